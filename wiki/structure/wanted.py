"""Admins dismiss a missed search from the wanted pages: it stays counted, never listed."""

from __future__ import annotations

from sqlalchemy import update

from wiki.db import begin_write
from wiki.extensions import db
from wiki.models import SearchMiss


def dismiss_searches(query_keys: list[str]) -> int:
    """Hide these missed searches from the wanted pages for good; commits; returns how many."""
    if not query_keys:
        return 0
    begin_write()
    result = db.session.execute(
        update(SearchMiss)
        .where(SearchMiss.query_key.in_(query_keys), SearchMiss.dismissed.is_(False))
        .values(dismissed=True)
    )
    db.session.commit()
    return result.rowcount
