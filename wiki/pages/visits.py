""" "Changed since your last visit": the last revision each user viewed as current."""

from __future__ import annotations

from dataclasses import dataclass

from wiki.extensions import db
from wiki.models import Page, PageVisit


@dataclass(frozen=True)
class ChangedSince:
    last_seen_rev: int
    edits: int


def record_visit(user_id: int, page: Page) -> ChangedSince | None:
    """Note that the user saw the current revision; tell what changed since the last time.

    The caller commits. Returns None on a first visit or when nothing changed.
    """
    visit = db.session.get(PageVisit, (user_id, page.id))
    if visit is None:
        db.session.add(PageVisit(user_id=user_id, page_id=page.id, rev=page.current_rev))
        return None
    changed = None
    if visit.rev < page.current_rev:
        changed = ChangedSince(last_seen_rev=visit.rev, edits=page.current_rev - visit.rev)
    visit.rev = page.current_rev
    return changed
