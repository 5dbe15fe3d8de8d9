"""wiki.db.first_row, the page views' reads without a Session, gives what the Session gives:
the same values through the same type processors (booleans, UTC datetimes), None for no row,
and the Session's own errors when the driver fails. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import save_page
from wiki.auth import sessions
from wiki.db import first_row
from wiki.extensions import db
from wiki.models import Page, now_utc
from wiki.pages import page_cache, readers
from wiki.search import service as search_service


def _both(statement, params):
    fast = first_row(statement, params)
    slow = db.session.execute(statement, params).first()
    db.session.rollback()
    return fast, slow


def test_the_view_reads_give_what_the_session_gives(app, client, auth):
    auth.register("alice")
    assert save_page(client, "Narwhal", "Whales with a tusk.").status_code == 302
    assert client.post("/watch/Narwhal").status_code == 302
    with app.app_context():
        user_id = db.session.scalar(text("SELECT id FROM users WHERE username = 'alice'"))
        token = db.session.scalar(text("SELECT id FROM user_sessions LIMIT 1"))
        cutoff = now_utc() - timedelta(minutes=5)
        cases = [
            (readers._ANONYMOUS, {"title": "Narwhal"}),
            (readers._LOGGED_IN, {"title": "Narwhal", "user_id": user_id, "cutoff": cutoff}),
            (page_cache._GENERATION, {"title": "Narwhal"}),
            (search_service._SYNONYMS, {"title": "Narwhal"}),
        ]
        for statement, params in cases:
            fast, slow = _both(statement, params)
            assert fast is not None and tuple(fast) == tuple(slow)
            assert fast._fields == tuple(slow._fields)
        fast, slow = _both(readers._ANONYMOUS, {"title": "Narwhal"})
        assert fast.deleted is False and fast.protected is False  # booleans, not 0/1
        assert fast.title == "Narwhal" and fast.current_rev == 1
        watching = _both(*cases[1])[0]
        assert watching.watching is True and watching.seen is None
        # The session's row: datetimes come back as the model's aware UTC datetimes.
        fast, slow = _both(sessions._LOAD, {"digest": token})
        assert tuple(fast) == tuple(slow)
        assert fast.session_seen_at.tzinfo is not None
        assert abs(now_utc() - fast.session_seen_at) < timedelta(minutes=5)
        assert first_row(readers._ANONYMOUS, {"title": "No such page"}) is None


def test_it_sees_what_was_committed_a_moment_ago(app, client, editor):
    assert save_page(client, "Orca", "Black and white.").status_code == 302
    with app.app_context():
        before = first_row(page_cache._GENERATION, {"title": "Orca"})[0]
    assert save_page(client, "Orca", "Black and white, and fast.", base_rev=1).status_code == 302
    with app.app_context():
        assert first_row(page_cache._GENERATION, {"title": "Orca"})[0] > before


def test_a_driver_error_is_the_sessions_error(app):
    broken = select(Page.__table__.c.id).where(text("no_such_column = 1"))
    with app.app_context():
        with pytest.raises(DBAPIError):
            first_row(broken, {})
        db.session.rollback()
        assert first_row(readers._ANONYMOUS, {"title": "No such page"}) is None  # still usable
