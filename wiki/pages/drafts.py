"""Autosaved drafts: an editor's unsaved text, one per user and page title.

A draft is private to its author. It records the revision the text started from
(``base_rev``), so restoring it and saving goes through the normal three-way merge. Drafts
updated in the last :data:`ACTIVE_FOR` make their author show as "editing this page" to
others; drafts untouched for :data:`EXPIRE_AFTER` are gone (never offered, and deleted).
A successful save deletes the saver's draft (in :func:`wiki.pages.editing.save_edit`).

No Flask here: callers pass the user and, in tests, the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from wiki.auth.permissions import can_edit
from wiki.db import begin_write, is_postgres
from wiki.extensions import db
from wiki.models import Draft, Page, User, now_utc
from wiki.pages.editing import (
    MAX_SUMMARY,
    EditError,
    PermissionDenied,
    check_body_size,
    current_body,
    normalize_body,
)

ACTIVE_FOR = timedelta(minutes=2)
EXPIRE_AFTER = timedelta(days=30)
MIN_INTERVAL = timedelta(seconds=3)  # at most one accepted autosave per editor per interval


@dataclass(frozen=True)
class DraftInfo:
    """A stored draft, detached from the database session."""

    title: str
    body: str
    summary: str
    base_rev: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Editor:
    """Someone else editing a page: their name and when this editing session began."""

    username: str
    since: datetime


@dataclass(frozen=True)
class SaveOutcome:
    """What :func:`save_draft` did.

    ``status`` is ``"saved"``; ``"skipped"`` (throttled, nothing written; try again after
    ``retry_after`` seconds); or ``"unchanged"`` (the text equals the current revision, so
    there is nothing unsaved and any draft was removed).
    """

    status: str
    retry_after: float = 0.0
    saved_at: datetime | None = None


def _info(draft: Draft) -> DraftInfo:
    return DraftInfo(
        draft.page_title,
        draft.body,
        draft.summary,
        draft.base_rev,
        draft.created_at,
        draft.updated_at,
    )


def save_draft(
    user: User,
    title: str,
    body: str,
    summary: str = "",
    base_rev: int | None = None,
    *,
    throttle: bool = True,
    now: datetime | None = None,
) -> SaveOutcome:
    """Store ``body`` as ``user``'s draft of ``title`` (replacing any earlier one) and commit.

    With ``throttle``, a save less than :data:`MIN_INTERVAL` after the user's last draft
    write (any page) is skipped without writing.

    :raises BodyTooLarge: body over the 1 MiB page limit.
    :raises PermissionDenied: the user may not edit the page (protected, deleted, inactive).
    :raises EditError: ``base_rev`` is not a revision of the page.
    """
    body = normalize_body(body)
    check_body_size(body)
    summary = " ".join(summary.replace("\x00", " ").split())[:MAX_SUMMARY]  # PostgreSQL: no NUL
    now = now or now_utc()
    user_id = user.id
    for attempt in range(2):
        try:
            return _save_locked(user_id, title, body, summary, base_rev, throttle, now)
        except IntegrityError:
            # Two tabs inserted this user's first draft of the page at once: update instead.
            db.session.rollback()
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


def _lock_user(user_id: int) -> User | None:
    """The user, locked so one editor's draft writes (and the throttle) serialize.

    SQLite's BEGIN IMMEDIATE already serializes all writes; PostgreSQL locks the user's row
    (NO KEY UPDATE: rows referencing the user can still be inserted meanwhile).
    """
    stmt = select(User).where(User.id == user_id)
    if is_postgres():
        stmt = stmt.with_for_update(key_share=True)  # FOR NO KEY UPDATE
    return db.session.scalar(stmt)


def _save_locked(user_id, title, body, summary, base_rev, throttle, now) -> SaveOutcome:
    begin_write()
    user = _lock_user(user_id)
    page = Page.named(title)
    if not can_edit(user, page) or (page is not None and page.deleted):
        db.session.rollback()
        raise PermissionDenied("You cannot edit this page, so no draft can be kept for it.")
    current = page.current_rev if page else 0
    if base_rev is not None and not 0 <= base_rev <= current:
        db.session.rollback()
        raise EditError(f"Revision {base_rev} is not a revision of this page.")
    if throttle:
        last = db.session.scalar(select(func.max(Draft.updated_at)).where(Draft.user_id == user_id))
        if last is not None and now - last < MIN_INTERVAL:
            db.session.rollback()
            wait = (MIN_INTERVAL - (now - last)).total_seconds()
            return SaveOutcome("skipped", retry_after=round(wait, 2))
    db.session.execute(
        delete(Draft).where(Draft.user_id == user_id, Draft.updated_at < now - EXPIRE_AFTER)
    )
    draft = db.session.scalar(
        select(Draft).where(Draft.user_id == user_id, Draft.page_title == title)
    )
    if body == current_body(page):
        if draft is not None:
            db.session.delete(draft)
        db.session.commit()
        return SaveOutcome("unchanged")
    if draft is None:
        draft = Draft(user_id=user_id, page_title=title, created_at=now)
        db.session.add(draft)
    elif draft.updated_at < now - ACTIVE_FOR:
        draft.created_at = now  # a new editing session: "editing since" starts again
    draft.body, draft.summary, draft.base_rev, draft.updated_at = body, summary, base_rev, now
    db.session.commit()
    return SaveOutcome("saved", saved_at=now)


# The editor's reads, built once (SQLAlchemy works out a cache key for a statement built anew).
_DRAFT = select(Draft).where(
    Draft.user_id == bindparam("user_id"),
    Draft.page_title == bindparam("title"),
    Draft.updated_at >= bindparam("cutoff"),
)
_EDITORS = (
    select(User.username, Draft.created_at)
    .join(User, User.id == Draft.user_id)
    .where(
        Draft.page_title == bindparam("title"),
        Draft.updated_at >= bindparam("cutoff"),
        User.active.is_(True),
        Draft.user_id != bindparam("viewer"),
    )
    .order_by(Draft.created_at, User.username)
)
# Both for the editor in one query: the viewer's own draft (any age short of expiry) and the
# drafts of everyone active changed lately, the viewer's own among them.
_EDITOR_DRAFTS = (
    select(Draft, User.username)
    .join(User, User.id == Draft.user_id)
    .where(
        Draft.page_title == bindparam("title"),
        or_(
            and_(Draft.user_id == bindparam("viewer"), Draft.updated_at >= bindparam("expiry")),
            and_(Draft.updated_at >= bindparam("active"), User.active.is_(True)),
        ),
    )
    .order_by(Draft.created_at, User.username)
)


def get_draft(user_id: int, title: str, *, now: datetime | None = None) -> DraftInfo | None:
    """``user_id``'s unexpired draft of ``title``, or None. Only ever the author's own."""
    cutoff = (now or now_utc()) - EXPIRE_AFTER
    draft = db.session.scalar(_DRAFT, {"user_id": user_id, "title": title, "cutoff": cutoff})
    return _info(draft) if draft is not None else None


def editor_drafts(
    viewer_id: int, title: str, page: Page | None, *, now: datetime | None = None
) -> tuple[DraftInfo | None, list[Editor]]:
    """For ``viewer_id``'s editor of ``title`` (``page``; None: a new page), in one query:
    the draft to offer back (unexpired, and not the page's current text: nothing unsaved in
    it) and the others editing it now (as :func:`active_editors`)."""
    now = now or now_utc()
    params = {
        "title": title,
        "viewer": viewer_id,
        "expiry": now - EXPIRE_AFTER,
        "active": now - ACTIVE_FOR,
    }
    own, editors = None, []
    for draft, username in db.session.execute(_EDITOR_DRAFTS, params):
        if draft.user_id == viewer_id:
            own = _info(draft)
        else:
            editors.append(Editor(username, draft.created_at))
    if own is not None and own.body == current_body(page):
        own = None
    return own, editors


def discard_draft(user_id: int, title: str) -> bool:
    """Delete ``user_id``'s draft of ``title`` and commit; True if there was one."""
    result = db.session.execute(
        delete(Draft).where(Draft.user_id == user_id, Draft.page_title == title)
    )
    db.session.commit()
    return bool(result.rowcount)


def active_editors(
    title: str, exclude_user_id: int | None = None, *, now: datetime | None = None
) -> list[Editor]:
    """Other users whose draft of ``title`` changed in the last :data:`ACTIVE_FOR`.

    Ordered by when they started editing; ``exclude_user_id`` (the viewer) is left out.
    """
    cutoff = (now or now_utc()) - ACTIVE_FOR
    params = {"title": title, "cutoff": cutoff, "viewer": exclude_user_id or 0}  # ids start at 1
    return [Editor(name, since) for name, since in db.session.execute(_EDITORS, params)]


def expire_drafts(*, now: datetime | None = None) -> int:
    """Delete every draft untouched for :data:`EXPIRE_AFTER`; commit; return how many."""
    cutoff = (now or now_utc()) - EXPIRE_AFTER
    result = db.session.execute(delete(Draft).where(Draft.updated_at < cutoff))
    db.session.commit()
    return result.rowcount or 0
