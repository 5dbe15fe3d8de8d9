"""Best-effort writes of a read (#21): they never wait for the write lock; busy means later."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager

from sqlalchemy import create_engine, select, text

from tests.api_support import bearer, make_token
from tests.conftest import save_page
from wiki.extensions import db
from wiki.models import Page, PageVisit, RenderCache, Revision, SearchMiss
from wiki.search import misses
from wiki.tokens.models import ApiToken

WAIT_BOUND = 5.0  # the busy timeout is 15 s: a read that waited for the lock would take that


@contextmanager
def _held(app, backend, table: str = "page_visits"):
    """Another client holding the lock a visit update needs: SQLite's write lock, or on
    PostgreSQL the rows of ``table`` (FOR UPDATE)."""
    with app.app_context():
        url = db.engine.url
    if backend == "sqlite":
        conn = sqlite3.connect(url.database, timeout=0, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text(f"SELECT * FROM {table} FOR UPDATE"))
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def _visit_rev(app, username_id: int = 2) -> int | None:
    with app.app_context():
        return db.session.scalar(select(PageVisit.rev).where(PageVisit.user_id == username_id))


def test_a_busy_lock_skips_the_visit_and_records_it_next_time(app, client, editor, backend):
    save_page(client, "Topic", "one")
    client.get("/wiki/Topic")  # bob (user 2) saw revision 1
    assert _visit_rev(app) == 1
    save_page(client, "Topic", "two")
    with _held(app, backend):
        started = time.monotonic()
        response = client.get("/wiki/Topic")
        waited = time.monotonic() - started
    assert response.status_code == 200 and waited < WAIT_BOUND
    assert b"Changed since your last visit" in response.data
    assert _visit_rev(app) == 1  # skipped: the lock was busy
    assert b"Changed since your last visit" in client.get("/wiki/Topic").data
    assert _visit_rev(app) == 2  # recorded this time
    assert b"Changed since your last visit" not in client.get("/wiki/Topic").data


def test_the_render_cache_fill_does_not_wait(app, client, editor, backend):
    save_page(client, "Linker", "see [[Target]]")
    save_page(client, "Target", "here")  # Linker's generation moves on: it renders again
    with _held(app, backend):
        started = time.monotonic()
        response = client.get("/wiki/Linker")
        waited = time.monotonic() - started
    assert response.status_code == 200 and waited < WAIT_BOUND
    assert b"wikilink missing" not in response.data
    if backend == "sqlite":  # (PostgreSQL's held rows are page_visits: the fill went through)
        assert not _row_is_current(app, "Linker")
    with app.app_context():
        app.extensions["nexus_html_cache"].clear()  # as another worker would
    assert b"wikilink missing" not in client.get("/wiki/Linker").data
    assert _row_is_current(app, "Linker")


def _row_is_current(app, title: str) -> bool:
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == title))
        revision_id = db.session.scalar(
            select(Revision.id).where(
                Revision.page_id == page.id, Revision.number == page.current_rev
            )
        )
        row = db.session.get(RenderCache, revision_id)
        return row is not None and row.generation == page.generation


def test_missed_searches_wait_for_a_free_lock(app, client, editor, backend):
    with app.app_context():
        misses.note("nothing here", "u:1")
        if backend == "sqlite":
            with _held(app, backend):
                assert misses.flush() is False  # busy: kept for the next try
            assert db.session.scalar(select(SearchMiss)) is None
        assert misses.flush() is True
        db.session.rollback()
        row = db.session.scalar(select(SearchMiss))
        assert (row.query, row.count, row.searchers) == ("nothing here", 1, 1)
        assert db.session.scalar(select(Page.id)) is None


def test_a_token_read_does_not_wait_to_record_its_use(app, client, editor, backend):
    save_page(client, "Topic", "one")
    raw = make_token(app, "bob", "read")
    editor.logout()
    with _held(app, backend, "api_tokens"):
        started = time.monotonic()
        response = client.get("/api/v1/pages/Topic", headers=bearer(raw))
        waited = time.monotonic() - started
    assert response.status_code == 200 and waited < WAIT_BOUND
    assert response.get_json()["body"] == "one"
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is None  # skipped: busy
    assert client.get("/api/v1/pages/Topic", headers=bearer(raw)).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None
