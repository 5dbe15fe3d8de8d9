"""A database that stays locked answers 503 with Retry-After, never a 500, and an edit
form comes back with the user's text (#20 point 2). SQLite: another process holds the lock."""

from __future__ import annotations

import re
import sqlite3

import pytest

import wiki.db
from tests.conftest import save_page
from wiki.extensions import db


@pytest.fixture
def locked(app, monkeypatch):
    """A function that holds SQLite's write lock from another connection while it runs."""
    monkeypatch.setattr(wiki.db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    with app.app_context():
        db.engine.dispose()  # new connections pick up the short busy timeout
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    yield holder
    holder.close()


@pytest.mark.parametrize("backend", ["sqlite"])  # SQLite's file lock
def test_a_locked_database_answers_503_and_keeps_the_editors_text(client, editor, locked):
    save_page(client, "Essay", "start")
    client.get("/edit/Essay")
    locked.execute("BEGIN IMMEDIATE")
    response = save_page(client, "Essay", "my careful words", base_rev=1)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert re.search(r"<textarea[^>]*>\s*my careful words</textarea>", page)
    assert "too busy to save" in page
    locked.execute("ROLLBACK")
    assert save_page(client, "Essay", "my careful words", base_rev=1).status_code == 302


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_locked_database_answers_503_to_account_writes(app, client, auth, locked):
    auth.register("alice")
    auth.logout()
    locked.execute("BEGIN IMMEDIATE")
    response = auth.register("bob")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "try again" in response.get_data(as_text=True)
    as_json = client.post(
        "/login",
        data={"username": "alice", "password": "wrong-password"},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 503 and as_json.get_json()["error"] == "Busy"
    locked.execute("ROLLBACK")
    assert auth.register("bob").status_code == 302


def test_is_busy_knows_postgresql_lock_errors():
    from sqlalchemy.exc import OperationalError

    class PgError(Exception):
        sqlstate = "55P03"  # lock_not_available

    assert wiki.db.is_busy(OperationalError("UPDATE", {}, PgError("lock timeout")))
    assert wiki.db.is_busy(OperationalError("x", {}, Exception("database is locked")))
    assert not wiki.db.is_busy(OperationalError("x", {}, Exception("no such table: x")))
    assert not wiki.db.is_busy(ValueError("database is locked"))
