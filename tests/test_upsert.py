"""wiki.db.upsert: the hot paths' INSERT … ON CONFLICT as a statement SQLAlchemy compiles
once, with the same effect on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import save_page
from wiki.db import dialect_insert, upsert
from wiki.extensions import db
from wiki.models import Page, PageVisit, SearchStale, User, now_utc


def test_do_update_replaces_and_do_nothing_keeps_the_first(app, client, editor):
    save_page(client, "Topic", "text")
    with app.app_context():
        page_id = db.session.scalar(select(Page.id))
        user_id = db.session.scalar(select(User.id).where(User.username == "bob"))
        db.session.execute(SearchStale.__table__.delete())  # the save's own row, if left
        stale = upsert(SearchStale, ("page_id", "queued_at"), "page_id", update=("queued_at",))
        first, later = now_utc(), now_utc().replace(year=2099)
        for queued in (first, later):
            db.session.execute(stale, {"page_id": page_id, "queued_at": queued})
        visit = upsert(PageVisit, ("user_id", "page_id", "rev"), None)
        db.session.execute(PageVisit.__table__.delete())
        for rev in (1, 5):
            db.session.execute(visit, {"user_id": user_id, "page_id": page_id, "rev": rev})
        db.session.commit()
        assert db.session.scalars(select(SearchStale.queued_at)).all() == [later]
        assert db.session.scalars(select(PageVisit.rev)).all() == [1]


def test_sqlalchemy_caches_it_unlike_the_dialects_own_construct(app):
    with app.app_context():
        ours = upsert(SearchStale, ("page_id", "queued_at"), "page_id", update=("queued_at",))
        theirs = dialect_insert(SearchStale).values(page_id=1).on_conflict_do_nothing()
        assert ours._generate_cache_key() is not None
        assert theirs._generate_cache_key() is None  # compiled at every execution
        # One statement object per shape: its compiled form is reused across requests.
        again = upsert(SearchStale, ("page_id", "queued_at"), "page_id", update=("queued_at",))
        assert again is ours
