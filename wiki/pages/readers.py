"""The one query a page view starts with: the page's row and, for a logged-in reader, what the
view shows of them — the revision they last saw (for "changed since your last visit"),
whether they watch the page, and whether anyone else is editing it now (a second query then
names who). The view's slots show the reader's part (wiki/pages/page_cache.py). Both
statements are built once, as they run on every view.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, exists, select

from wiki.db import first_row
from wiki.models import STRUCTURE, Draft, Page, PageVisit, SiteGeneration, now_utc
from wiki.notify.models import Watch
from wiki.pages import drafts
from wiki.pages.visits import ChangedSince, note_visit

# Plain Core columns (the tables' own, not the ORM attributes): a row of values needs none of
# the ORM's per-statement set-up, and these run on every view.
_TITLE, _USER = bindparam("title"), bindparam("user_id")
_P, _V, _W, _D, _S = (m.__table__.c for m in (Page, PageVisit, Watch, Draft, SiteGeneration))
_STRUCTURE = select(_S.value).where(_S.name == STRUCTURE).scalar_subquery().label("structure")
_PAGE = (_P.id, _P.title, _P.generation, _P.current_rev, _P.protected, _P.deleted, _STRUCTURE)
_ANONYMOUS = select(*_PAGE).where(_P.title == _TITLE)
_LOGGED_IN = select(
    *_PAGE,
    select(_V.rev).where(_V.user_id == _USER, _V.page_id == _P.id).scalar_subquery().label("seen"),
    exists().where(_W.user_id == _USER, _W.page_id == _P.id).label("watching"),
    exists()
    .where(
        _D.page_title == _P.title,
        _D.updated_at >= bindparam("cutoff"),
        _D.user_id != _USER,
    )
    .label("others_editing"),
).where(_P.title == _TITLE)


def view_state(title: str, user) -> tuple | None:
    """The page ``title`` (id, title, generation, current_rev, protected, deleted), the site's
    structure generation and, for a logged-in ``user``, seen, watching and others_editing;
    None when there is no such page."""
    if not user.is_authenticated:
        return first_row(_ANONYMOUS, {"title": title})
    params = {"title": title, "user_id": user.id, "cutoff": now_utc() - drafts.ACTIVE_FOR}
    return first_row(_LOGGED_IN, params)


@dataclass(frozen=True)
class Reader:
    watching: bool
    changed: ChangedSince | None
    editors: list[drafts.Editor]


def reader_of(user, state: tuple, *, is_current: bool) -> Reader:
    """The logged-in ``user``'s part of a view (``state`` from :func:`view_state`); a view of
    the current revision also records the visit (written only when it changed, never
    waiting for the lock)."""
    changed = None
    if is_current:
        changed = note_visit(user.id, state.id, state.current_rev, state.seen)
    editors = []
    if state.others_editing:
        editors = drafts.active_editors(state.title, exclude_user_id=user.id)
    return Reader(bool(state.watching), changed, editors)
