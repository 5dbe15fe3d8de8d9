"""API changes between revisions of pages that hold ```openapi blocks (issue #18).

The comparison itself is pure (:mod:`wiki.rendering.openapi.compare`); this module reads the
revision bodies and keeps results in a per-process cache keyed by the two compared texts
(after attachments are written in), so an entry can never be stale: not after an attachment
changes, nor in a process that serves several wikis (tests). Recent changes ask
:func:`api_summaries` ("API: 2 breaking changes"); the diff page asks :func:`api_changes`.
Notifications get theirs with the save's event (``wiki.pages.api_notes``), in the same words
(:func:`wiki.text.api_summary.summary_text`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from wiki.extensions import db
from wiki.models import Revision
from wiki.rendering.openapi import ApiChanges, compare_bodies, might_have_api
from wiki.rendering.openapi_sources import as_saved

CACHE_SIZE = 512  # comparisons kept per process
SUMMARY_BUDGET = 0.4  # seconds of comparing one listing may spend; the rest waits for later
_NO_API = ApiChanges()
_cache: OrderedDict[tuple[int, int, int, int], ApiChanges] = OrderedDict()
_lock = threading.Lock()


def _key(old_body: str, new_body: str) -> tuple[int, int, int, int]:
    return (len(old_body), hash(old_body), len(new_body), hash(new_body))


def _remember(key: tuple[int, int, int, int], changes: ApiChanges) -> None:
    with _lock:
        _cache[key] = changes
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _cached(key: tuple[int, int, int, int]) -> ApiChanges | None:
    with _lock:
        return _cache.get(key)


def between(page_id: int, old_no: int, new_no: int) -> ApiChanges:
    """:func:`api_changes` of two revision numbers of a page (0: before the page existed).

    Blocks that name an attachment are compared with the attachment version each revision
    was saved with (:func:`wiki.rendering.openapi_sources.as_saved`).
    """
    wanted = (Revision.page_id == page_id, Revision.number.in_({old_no, new_no}))
    # Most pages hold no API: find that out without loading the two bodies.
    if (
        db.session.scalar(
            select(Revision.id).where(*wanted, Revision.body.contains("openapi")).limit(1)
        )
        is None
    ):
        return _NO_API
    revisions = {r.number: r for r in db.session.scalars(select(Revision).where(*wanted))}
    if new_no not in revisions:
        return _NO_API
    return api_changes(revisions.get(old_no), revisions[new_no])


def api_changes(old: Revision | None, new: Revision) -> ApiChanges:
    """The API changes from ``old`` (None: the empty page before revision 1) to ``new``."""
    old_body = old.body if old is not None else ""
    if not (might_have_api(old_body) or might_have_api(new.body)):
        return _NO_API
    return _compared(*_bodies(old, new))


def _compared(old_body: str, new_body: str) -> ApiChanges:
    key = _key(old_body, new_body)
    found = _cached(key)
    if found is None:
        found = compare_bodies(old_body, new_body)
        _remember(key, found)
    return found


def _bodies(old: Revision | None, new: Revision) -> tuple[str, str]:
    return as_saved(old), as_saved(new)


def api_summary(revision_id: int) -> str:
    """ "API: 2 breaking changes" (or "API: 3 changes") for a revision against the one
    before it; "" when it changed no API."""
    return api_summaries([revision_id], budget=None).get(revision_id, "")


def api_summaries(revision_ids: list[int], budget: float | None = SUMMARY_BUDGET) -> dict[int, str]:
    """:func:`api_summary` of many revisions, reading only bodies that mention "openapi".

    Comparisons not cached yet stop after ``budget`` seconds (None: no limit), so a listing
    never waits long; the rest show on a later view.
    """
    if not revision_ids:
        return {}
    before = aliased(Revision)
    rows = db.session.execute(
        select(Revision.id, Revision.page_id, Revision.number)
        .outerjoin(
            before,
            (before.page_id == Revision.page_id) & (before.number == Revision.number - 1),
        )
        .where(
            Revision.id.in_(revision_ids),
            or_(Revision.body.contains("openapi"), before.body.contains("openapi")),
        )
    ).all()
    out: dict[int, str] = {}
    started = time.perf_counter()
    for rev_id, page_id, number in rows:
        new = db.session.get(Revision, rev_id)
        old = db.session.scalar(
            select(Revision).where(Revision.page_id == page_id, Revision.number == number - 1)
        )
        bodies = _bodies(old, new)
        over = budget is not None and time.perf_counter() - started > budget
        if over and _cached(_key(*bodies)) is None:
            continue  # shown on a later view, once compared
        summary = _compared(*bodies).summary
        if summary:
            out[rev_id] = summary
    return out
