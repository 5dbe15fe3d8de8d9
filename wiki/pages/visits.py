""" "Changed since your last visit": the last revision each user viewed as current.

A view reads the visit with the reader's state (wiki.pages.readers) and writes only when what
it records changed (a first visit, or a page changed since), best effort: when the write lock
is busy the visit is recorded next time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, update

from wiki.db import upsert, write_if_free
from wiki.models import PageVisit


@dataclass(frozen=True)
class ChangedSince:
    last_seen_rev: int
    edits: int


def note_visit(
    user_id: int, page_id: int, current_rev: int, seen: int | None
) -> ChangedSince | None:
    """Note that the user saw revision ``current_rev``, having last seen ``seen`` (None: a
    first visit; read with the reader's state, wiki.pages.readers); tell what changed since.

    Returns None on a first visit or when nothing changed. Never writes when nothing changed,
    never waits for the write lock.
    """
    if seen is not None and seen >= current_rev:
        return None

    def write(conn: Connection) -> None:
        if seen is None:
            stmt = upsert(PageVisit, ("user_id", "page_id", "rev"), None)
            conn.execute(stmt, {"user_id": user_id, "page_id": page_id, "rev": current_rev})
        else:  # never move backwards if a newer view of another tab got there first
            conn.execute(
                update(PageVisit)
                .where(
                    PageVisit.user_id == user_id,
                    PageVisit.page_id == page_id,
                    PageVisit.rev < current_rev,
                )
                .values(rev=current_rev)
            )

    write_if_free(write)
    if seen is None:
        return None
    return ChangedSince(last_seen_rev=seen, edits=current_rev - seen)
