"""Keeping the search index in step with the database (filled in by the search work)."""

from .extensions import db
from .models import SearchStale


def queue(page_id: int) -> None:
    """Record, in the caller's transaction, that ``page_id``'s search entry is stale."""
    if db.session.get(SearchStale, page_id) is None:
        db.session.add(SearchStale(page_id=page_id))


def sync() -> None:
    """Bring the index up to date with the stale records (after the DB commit)."""
