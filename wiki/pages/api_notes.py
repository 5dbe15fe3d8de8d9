"""The API changes a save makes ("API: 2 breaking changes"), worked out as the page is saved.

They travel with the save's event (the way a comment's text travels with its event), because
``wiki.notify`` may not read revisions through ``wiki.history``: notifications, their mail and
webhook messages say what the edit did to the API without comparing anything themselves.
Only pages whose old or new body mentions "openapi" are compared, and a save never waits
longer than :data:`BUDGET` for it. As on the diff page, the old revision is read with the
attachment versions it was saved with; the new body with the newest ones, which the save
records (so a re-uploaded ``api.yaml`` shows in the next save's note).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from wiki.models import Revision
from wiki.rendering.openapi import ApiChanges, CompareTimeout, compare_bodies, might_have_api
from wiki.rendering.openapi_sources import as_saved, with_attachments

# Seconds of comparing one save may spend; past it the edit carries no API note (the diff
# page still shows the changes). A 200-operation document takes about 70 ms.
BUDGET = 0.5


@dataclass(frozen=True)
class ApiNote:
    """The API changes of a save of ``body`` on top of revision ``against`` (0: a new page);
    ``changes`` is None when the API did not change (or could not be compared in time)."""

    against: int
    body: str
    changes: ApiChanges | None

    def still_holds(self, current_rev: int, body: str) -> bool:
        """Whether the note is for this save: nobody saved in between, nothing was merged."""
        return self.against == current_rev and self.body == body


def before_saving(current: Revision | None, body: str, title: str) -> ApiNote:
    """The note of saving ``body`` over ``current``, the page's current revision (None: a
    new page), worked out before the save takes the write lock (as its render is)."""
    return ApiNote(current.number if current else 0, body, changes(current, body, title))


def changes(old: Revision | None, new_body: str, title: str) -> ApiChanges | None:
    """The API changes from revision ``old`` (None: a new page) to ``new_body``; None when
    there are none, or when comparing them takes more than :data:`BUDGET`."""
    old_body = old.body if old is not None else ""
    if not (might_have_api(old_body) or might_have_api(new_body)):
        return None
    old_body, new_body = as_saved(old), with_attachments(new_body, title)
    try:
        found = compare_bodies(old_body, new_body, deadline=time.monotonic() + BUDGET)
    except CompareTimeout:
        return None
    return found if found.total else None
