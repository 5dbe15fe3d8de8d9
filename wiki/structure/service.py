"""Structure changes: rename/move (with sub-pages and link rewriting), delete, restore, protect.

Each change takes the write lock (``BEGIN IMMEDIATE`` on SQLite, ``SELECT … FOR UPDATE`` of the
page rows on PostgreSQL), adds its revisions through :func:`editing.append_revision`, commits
once and then brings the search index up to date. A refused change raises before anything is
written, so nothing is left half done. The one exception is a rename's link rewriting, which
follows the committed move in short batches (the redirect serves old links in between).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import aliased

from wiki.auth.permissions import can_edit
from wiki.db import begin_write, lock_pages
from wiki.extensions import db
from wiki.models import Draft, Link, Page, PageTag, Redirect, Revision, User, now_utc
from wiki.notify import events as notify_events
from wiki.pages.editing import (
    BodyTooLarge,
    EditError,
    PermissionDenied,
    append_revision,
    check_body_size,
    current_body,
)
from wiki.refusals import NotFound
from wiki.rendering.cache import existing_titles, render_for_save
from wiki.rendering.guard import safe_render
from wiki.rendering.markdown import Rendered, RenderError, extract_link_targets
from wiki.search import indexing
from wiki.text.links import rewrite_links
from wiki.text.titles import SEPARATOR, TitleError, normalize_title

__all__ = [
    "NotFound",
    "RenameResult",
    "TitleTaken",
    "delete_page",
    "rename_page",
    "restore_page",
    "set_protected",
]


class TitleTaken(EditError):
    """The rename target, or the state the action needs, is already taken."""

    status = 409


@dataclass
class RenameResult:
    page: Page
    moves: dict[str, str]  # old title -> new title, the page first, then its sub-pages
    rewritten: list[str] = field(default_factory=list)  # pages whose links were updated
    skipped: list[str] = field(default_factory=list)  # linking pages the user may not edit


@contextmanager
def _writing(user_id: int, *, sync: bool = True) -> Iterator[User]:
    """One write transaction under the write lock, yielding the acting user (reloaded).

    Commits when the block ends normally, then (with ``sync``) syncs the search index; rolls
    back on any exception, so a refused or failed change writes nothing.
    """
    begin_write()
    try:
        yield db.session.get(User, user_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if sync:
        indexing.sync()


def _lock_page(title: str) -> Page:
    pages = lock_pages(Page.title == title)
    if not pages or pages[0].deleted:
        raise NotFound(f"There is no page called “{title}”.")
    return pages[0]


def _current_bodies(page_ids: list[int]) -> dict[int, str]:
    """page id -> current text, for many pages in one query."""
    current = Revision.current_of(Page)
    stmt = select(Page.id, Revision.body).join(Revision, current)
    bodies: dict[int, str] = {}
    for start in range(0, len(page_ids), 500):  # stay far below SQLite's parameter limit
        chunk = page_ids[start : start + 500]
        bodies.update(db.session.execute(stmt.where(Page.id.in_(chunk))).all())
    return bodies


def _same_body_revision(page: Page, summary: str, user: User, kind: str):
    """A revision that records an action (rename, delete…) and keeps the text as it was."""
    body = current_body(page)
    return append_revision(page, body, summary, user, kind, render_for_save(body, page.title))


def _check_new_title(title: str, new_title: str) -> str:
    try:
        new = normalize_title(new_title)
    except TitleError as error:
        raise EditError(f"Invalid title: {error}") from None
    if new == title:
        raise EditError("The new title is the same as the old one.")
    if new.startswith(title + SEPARATOR):
        raise EditError(f"“{title}” cannot be moved into its own sub-page “{new}”.")
    return new


def _plan_moves(page: Page, new: str, user: User, move_subpages: bool) -> list[tuple[Page, str]]:
    """(page, new title) for the page and, when asked, its live sub-pages (all locked)."""
    plan = [(page, new)]
    if move_subpages:
        prefix = page.title + SEPARATOR
        subs = lock_pages(Page.title.startswith(prefix, autoescape=True), Page.deleted.is_(False))
        for sub in subs:
            try:
                target = normalize_title(new + sub.title[len(page.title) :])
            except TitleError as error:
                raise EditError(f"Cannot move sub-page “{sub.title}”: {error}") from None
            if not can_edit(user, sub):
                raise PermissionDenied(f"The sub-page “{sub.title}” is protected.")
            plan.append((sub, target))
    targets = [target for _, target in plan]
    taken = db.session.scalars(select(Page.title).where(Page.title.in_(targets))).all()
    if taken:
        raise TitleTaken(f"A page called “{sorted(taken)[0]}” already exists.")
    return plan


def _move(page: Page, new: str) -> None:
    old = page.title
    db.session.execute(delete(Redirect).where(Redirect.title.in_([old, new])))
    page.title, page.title_key = new, new.lower()
    db.session.add(Redirect(title=old, page_id=page.id))
    other = aliased(Draft)
    taken = exists().where(other.user_id == Draft.user_id, other.page_title == new)
    db.session.execute(
        update(Draft)
        .where(Draft.page_title == old, ~taken)
        .values(page_title=new)
        .execution_options(synchronize_session=False)
    )


def rename_page(
    title: str,
    new_title: str,
    user: User,
    *,
    rewrite: bool = True,
    move_subpages: bool = False,
) -> RenameResult:
    """Rename page ``title`` to ``new_title``; history, attachments and tags move with it.

    Each moved page gets a ``rename`` revision ("Renamed from X to Y") and leaves a
    :class:`Redirect` at its old title. With ``move_subpages`` its live sub-pages follow
    (``Django/ORM`` becomes ``Flask/ORM``). With ``rewrite`` every live page linking to a moved
    title gets a revision pointing those links at the new title; protected pages the user
    may not edit are left alone and listed in ``skipped``.

    :raises EditError: invalid new title, the same title, or a move into its own sub-page (400).
    :raises NotFound: no live page ``title`` (404).
    :raises PermissionDenied: protected page or sub-page and the user is not an admin (403).
    :raises TitleTaken: a page already has the new title, or a sub-page's new title (409).
    :raises RenderError: a moved page became too complex to render.
    """
    new = _check_new_title(title, new_title)
    # Rendering is the slow part: do it before taking the write lock, and under the lock only
    # for texts that changed in between.
    ready = _prerender(title, new, move_subpages, rewrite)
    with _writing(user.id, sync=not rewrite) as user:
        page = _lock_page(title)
        if not can_edit(user, page):
            raise PermissionDenied("This page is protected: only administrators can move it.")
        plan = _plan_moves(page, new, user, move_subpages)
        moves = {moved.title: target for moved, target in plan}
        for moved, target in plan:
            _move(moved, target)
        db.session.flush()
        for (moved, target), old in zip(plan, moves, strict=True):
            body = current_body(moved)
            rendered = ready.get(moved.id, body, target)
            summary = f"Renamed from {old} to {target}"
            append_revision(moved, body, summary, user, "rename", rendered)
            notify_events.record_page_renamed(moved, old, user)
        result = RenameResult(page=page, moves=moves)
    if rewrite:
        # The redirects keep old links working while the linking pages are rewritten in
        # batches, each a short transaction of its own, so saves are never held up for long.
        _rewrite_linking_pages(moves, user.id, title, new, result, ready)
        indexing.sync()
    return result


class _Prerendered:
    """Texts rendered ahead of the write lock, used only if the text and title still match."""

    def __init__(self) -> None:
        self._items: dict[tuple[int, str, str], Rendered] = {}

    def add(self, page_id: int, body: str, title: str, moves: dict[str, str]) -> None:
        targets = extract_link_targets(body)
        # As the text will look once the moves are done: the new titles exist.
        existing = existing_titles(targets) | (targets & set(moves.values()))
        timeout = current_app.config["WIKI_RENDER_TIMEOUT"]
        try:
            rendered = safe_render(body, existing=existing, page_title=title, timeout=timeout)
        except RenderError:
            return  # rendered again under the lock, where the refusal counts
        self._items[(page_id, title, body)] = rendered

    def get(self, page_id: int, body: str, title: str) -> Rendered:
        """The rendering of ``body`` for page ``title``, from before the lock when it matches."""
        rendered = self._items.get((page_id, title, body))
        return rendered if rendered is not None else render_for_save(body, title)


def _current_texts(where):
    current = Revision.current_of(Page)
    stmt = select(Page.id, Page.title, Revision.body).join(Revision, current)
    return db.session.execute(stmt.where(Page.deleted.is_(False), where)).all()


def _prerender(title: str, new: str, move_subpages: bool, rewrite: bool) -> _Prerendered:
    """Render, without any lock, the texts a rename is expected to save."""
    ready = _Prerendered()
    moving = Page.title == title
    if move_subpages:
        moving = or_(moving, Page.title.startswith(title + SEPARATOR, autoescape=True))
    moved = _current_texts(moving)
    moves = {old: new + old[len(title) :] for _, old, _ in moved}
    for page_id, old, body in moved:
        ready.add(page_id, body, moves[old], moves)
    if rewrite and moves:
        linking = exists().where(Link.source_id == Page.id, Link.target_title.in_(list(moves)))
        for page_id, source, body in _current_texts(linking):
            new_body = rewrite_links(body, moves)
            if new_body != body:
                ready.add(page_id, new_body, moves.get(source, source), moves)
    db.session.rollback()  # end the read transaction before waiting for the write lock
    return ready


REWRITE_BATCH = 50  # linking pages per transaction at most
REWRITE_BATCH_SECONDS = 0.3  # and a transaction commits once it has run this long


def _rewrite_linking_pages(
    moves: dict[str, str],
    user_id: int,
    title: str,
    new: str,
    result: RenameResult,
    ready: _Prerendered,
) -> None:
    """Point links to the moved titles at the new ones, one revision per linking page, in
    batches of short write transactions (a page changed meanwhile is merged by reading its
    current text under the lock)."""
    linking = (
        select(Page.id)
        .where(Page.deleted.is_(False))
        .where(exists().where(Link.source_id == Page.id, Link.target_title.in_(list(moves))))
        .order_by(Page.id)
    )
    pending = list(db.session.scalars(linking))
    db.session.rollback()  # end the read transaction before waiting for the write lock
    more = " and its sub-pages" if len(moves) > 1 else ""
    summary = f"Updated links after renaming {title}{more} to {new}"
    while pending:
        batch, pending = pending[:REWRITE_BATCH], pending[REWRITE_BATCH:]
        with _writing(user_id, sync=False) as user:
            started = time.monotonic()
            sources = lock_pages(Page.id.in_(batch), Page.deleted.is_(False))
            bodies = _current_bodies([source.id for source in sources])
            for done, source in enumerate(sources):
                if done and time.monotonic() - started > REWRITE_BATCH_SECONDS:
                    pending = [s.id for s in sources[done:]] + pending  # the next batch
                    break
                _rewrite_one(source, bodies[source.id], moves, user, summary, result, ready)


def _rewrite_one(source, body, moves, user, summary, result, ready) -> None:
    if not can_edit(user, source):
        result.skipped.append(source.title)
        return
    new_body = rewrite_links(body, moves)
    if new_body == body:
        return
    try:
        check_body_size(new_body)
    except BodyTooLarge:
        result.skipped.append(source.title)
        return
    rendered = ready.get(source.id, new_body, source.title)
    append_revision(source, new_body, summary, user, "edit", rendered)
    result.rewritten.append(source.title)


def _require_admin(user: User | None) -> None:
    if user is None or not user.is_active or not user.is_admin:
        raise PermissionDenied("Only administrators can do this.")


def delete_page(title: str, user: User) -> Page:
    """Mark ``title`` deleted (admins): hidden from view, search, lists and link tables.

    Nothing is erased: the history stays and a ``delete`` revision records who deleted it.

    :raises NotFound: no live page ``title``. :raises PermissionDenied: not an admin.
    """
    with _writing(user.id) as user:
        _require_admin(user)
        page = _lock_page(title)
        _same_body_revision(page, "Deleted the page", user, "delete")
        notify_events.record_page_deleted(page, user)
        page.deleted, page.deleted_at, page.deleted_by_id = True, now_utc(), user.id
        # A deleted page links nowhere and carries no tags; restoring rebuilds both.
        db.session.execute(delete(Link).where(Link.source_id == page.id))
        db.session.execute(delete(PageTag).where(PageTag.page_id == page.id))
    return page


def restore_page(title: str, user: User) -> Page:
    """Bring back a deleted page (admins) with a ``restore`` revision noting it.

    :raises NotFound: no page ``title``. :raises TitleTaken: it is not deleted.
    :raises PermissionDenied: not an admin.
    """
    with _writing(user.id) as user:
        _require_admin(user)
        pages = lock_pages(Page.title == title)
        if not pages:
            raise NotFound(f"There is no page called “{title}”.")
        page = pages[0]
        if not page.deleted:
            raise TitleTaken(f"“{title}” is not deleted.")
        page.deleted, page.deleted_at, page.deleted_by_id = False, None, None
        _same_body_revision(page, "Restored the deleted page", user, "restore")
    return page


def set_protected(title: str, protected: bool, user: User) -> bool:
    """Protect (only admins may edit, revert, rename) or unprotect ``title`` (admins).

    Adds a ``protect``/``unprotect`` revision; returns False, adding nothing, when the page
    already was in that state.

    :raises NotFound: no live page ``title``. :raises PermissionDenied: not an admin.
    """
    with _writing(user.id) as user:
        _require_admin(user)
        page = _lock_page(title)
        if page.protected == protected:
            return False
        page.protected = protected
        if protected:
            summary, kind = "Protected the page: only administrators can edit it", "protect"
        else:
            summary, kind = "Removed the protection: editors can edit it", "unprotect"
        _same_body_revision(page, summary, user, kind)
    return True
