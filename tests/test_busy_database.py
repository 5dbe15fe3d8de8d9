"""A database that stays locked answers 503 with Retry-After, never a 500, and an edit
form comes back with the user's text (#20 point 2). SQLite: another process holds the lock."""

from __future__ import annotations

import re
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

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


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_write_takes_the_lock_by_polling_not_sqlites_busy_handler(app, locked, monkeypatch):
    """SQLite's busy handler sleeps up to 100 ms between tries, while the freed lock sits
    idle: writes try it themselves (wiki.waiting), and SQLite's handler is off meanwhile."""
    monkeypatch.setattr(wiki.db, "SQLITE_BUSY_TIMEOUT_MS", 15000)
    tries, real_try = [], wiki.db._began_immediate

    def counted(raw):
        tries.append(raw.execute("PRAGMA busy_timeout").fetchone()[0])
        if len(tries) == 4:
            locked.execute("ROLLBACK")  # the other connection lets go after three tries
        return real_try(raw)

    monkeypatch.setattr(wiki.db, "_began_immediate", counted)
    locked.execute("BEGIN IMMEDIATE")
    with app.app_context():
        wiki.db.begin_write()
        assert db.session.connection().connection.driver_connection.in_transaction
        db.session.rollback()
        # SQLite's own handler was off while this process tried, and is back afterwards.
        busy_ms = db.session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        db.session.rollback()
    assert tries == [0, 0, 0, 0] and busy_ms == 15000


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_write_that_cannot_begin_for_another_reason_fails_at_once(app, monkeypatch):
    """Only "busy" is tried again: another error is raised as SQLAlchemy's, without waiting
    out the busy timeout."""
    tries = []

    def broken(raw):
        tries.append(1)
        return False  # what _began_immediate says for an error other than SQLITE_BUSY

    monkeypatch.setattr(wiki.db, "_began_immediate", broken)
    with app.app_context():
        original = db.session.connection().connection.driver_connection
        db.session.rollback()
        original.execute("BEGIN")  # the last try, BEGIN IMMEDIATE inside a transaction, fails
        with pytest.raises(OperationalError, match="within a transaction"):
            wiki.db.begin_write()
        db.session.rollback()
    assert tries == [1]
