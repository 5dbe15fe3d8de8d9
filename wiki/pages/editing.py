"""Page changes: the only place revisions are written and committed.

Every save takes the write lock first (``BEGIN IMMEDIATE`` on SQLite, ``SELECT … FOR UPDATE`` of
the page row on PostgreSQL), so revision numbers stay unique and gapless when saves race.
A save whose ``base_rev`` is not current is three-way merged; overlapping changes raise
:class:`EditConflict` carrying the merged text with both sides marked, so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from wiki.auth.permissions import can_edit
from wiki.db import begin_write, commit_keeping_values, lock_pages
from wiki.extensions import db
from wiki.models import Draft, Link, Page, PageTag, Redirect, Revision, User, now_utc
from wiki.notify import events as notify_events
from wiki.pages import api_notes
from wiki.refusals import Refusal
from wiki.rendering.cache import render_for_save, store_render
from wiki.rendering.markdown import Rendered, RenderError
from wiki.rendering.openapi_sources import pinned_versions
from wiki.search import indexing
from wiki.text.merging import MergeResult, three_way_merge

MAX_BODY_BYTES = 1024 * 1024
MAX_SUMMARY = 500


class EditError(Refusal):
    """A refused page change (see :class:`Refusal`)."""


class BodyTooLarge(EditError):
    status = 413


class PermissionDenied(EditError):
    status = 403


class EditConflict(EditError):
    """The page changed since ``base_rev`` and the changes overlap."""

    status = 409

    def __init__(self, merge: MergeResult, current: Revision):
        super().__init__(
            f"Someone else saved revision {current.number} while you were editing, "
            "and your changes overlap."
        )
        self.merge = merge
        self.current_rev = current.number
        self.current_author = current.author.username if current.author else "someone"


class TitleMoved(EditError):
    """A save to a renamed page's old title, which the caller did not mean to create anew."""

    status = 409

    def __init__(self, title: str, page: Page):
        super().__init__(f"“{title}” was renamed to “{page.title}”.")
        self.new_title = page.title


@dataclass
class SaveResult:
    page: Page
    revision: Revision | None  # None: the text was unchanged, no revision added
    merged_with: Revision | None = None  # set when the save was merged with a newer revision


def normalize_body(body: str) -> str:
    """LF line endings and no NUL; the one canonical form stored in revisions."""
    # PostgreSQL text cannot hold NUL (the save would fail), and browsers show it as U+FFFD.
    return body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def check_body_size(body: str) -> None:
    """:raises BodyTooLarge: when the UTF-8 body is over 1 MiB."""
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise BodyTooLarge("The page is larger than the 1 MiB limit. Split it into sub-pages.")


def render_preview(body: str, title: str | None, *, timeout: float | None = None) -> Rendered:
    """The HTML a save of ``body`` would show, without saving.

    ``timeout``: seconds, shorter than a save's (``WIKI_RENDER_TIMEOUT``) when given.
    :raises BodyTooLarge: over 1 MiB. :raises RenderError: too complex to render.
    """
    body = normalize_body(body)
    check_body_size(body)
    return render_for_save(body, title, timeout=timeout)


# A save's statements, built once: SQLAlchemy caches a statement's compiled form under a key
# it works out from the statement object each time it runs one built anew (~50 µs each).
_LATEST = (
    select(Revision)
    .join(Page, and_(Page.id == Revision.page_id, Page.current_rev == Revision.number))
    .where(Page.title == bindparam("title"))
)
_AT = (Revision.page_id == bindparam("page_id"), Revision.number == bindparam("number"))
_REVISION = select(Revision).where(*_AT)
_BODY = select(Revision.body).where(*_AT)
_SIZE = select(Revision.size).where(*_AT)
# Core DELETEs on the tables: an ORM DELETE flushes the session first and matches its rows
# against the loaded objects, which no save holds (they run in every save, under the lock).
_DRAFTS, _LINKS, _TAGS = Draft.__table__, Link.__table__, PageTag.__table__
_DELETE_DRAFT = delete(_DRAFTS).where(
    _DRAFTS.c.user_id == bindparam("user_id"), _DRAFTS.c.page_title == bindparam("title")
)
_DELETE_LINKS = delete(_LINKS).where(_LINKS.c.source_id == bindparam("page_id"))
_DELETE_TAGS = delete(_TAGS).where(_TAGS.c.page_id == bindparam("page_id"))


def _revision_body(page: Page, number: int) -> str:
    body = db.session.scalar(_BODY, {"page_id": page.id, "number": number})
    if body is None:
        raise EditError(f"Revision {number} does not exist.")
    return body


def save_edit(
    title: str,
    body: str,
    summary: str,
    base_rev: int | None,
    user: User,
    *,
    kind: str | None = None,
    over_redirect: bool = True,
) -> SaveResult:
    """Save ``body`` as the next revision of ``title`` (creating the page if needed).

    A new page at a renamed page's old title replaces the redirect left there; with
    ``over_redirect=False`` the save is refused instead (the API's clients may not know).

    :raises BodyTooLarge: body over 1 MiB.
    :raises RenderError: Markdown too complex to render in bounded time.
    :raises PermissionDenied: protected or deleted page, inactive user.
    :raises EditError: a ``base_rev`` that is not a revision of this page.
    :raises EditConflict: overlapping concurrent change; carries the merged text.
    :raises TitleMoved: ``title`` is a renamed page's old title (``over_redirect=False``).
    """
    body = normalize_body(body)
    check_body_size(body)
    summary = " ".join(summary.replace("\x00", " ").split())[:MAX_SUMMARY]
    author = Author.of(user)
    latest = db.session.scalar(_LATEST, {"title": title})
    current = latest.number if latest is not None else 0
    if (base_rev or 0) == current:
        if latest is not None:  # detached, it keeps its values through begin_write's rollback
            db.session.expunge(latest)
        prepared = _Prepared(
            at=current,
            rendered=render_for_save(body, title),  # validate before taking the lock
            note=api_notes.before_saving(latest, body, title),  # nor compare under it
            latest=latest,
        )
    else:
        prepared = _premerge(title, base_rev, body) if base_rev else _Prepared(at=current)
    for attempt in range(3):
        try:
            return _save_locked(
                title, body, summary, base_rev, author, kind, over_redirect, prepared, attempt
            )
        except IntegrityError:
            # Two first saves of a new page raced; the loser retries against the winner.
            db.session.rollback()
            if attempt == 2:
                raise
        except _Moved:  # merge and render with the newer revision, again without the lock
            prepared = _premerge(title, base_rev, body)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Author:
    """Who saves, as plain values taken when the save starts. Its rollbacks (before the lock,
    and begin_write's) expire every loaded object, and reading a ``User`` again under the
    page lock cost every save a query while others waited for the page."""

    id: int
    is_active: bool
    is_admin: bool
    is_system: bool
    is_authenticated = True

    @classmethod
    def of(cls, user) -> Author:
        return cls(user.id, user.is_active, user.is_admin, user.is_system)


class _Moved(Exception):
    """Someone saved the page after this save prepared its text outside the write lock."""


@dataclass(frozen=True)
class _Prepared:
    """What a save worked out before taking the write lock, against revision ``at``: the
    render of its text, or, when it had to be merged with revision ``at`` and merged
    cleanly, the ``merged`` text and its render; the API note of a save with no merge, and
    revision ``at`` itself (revisions never change: under the lock, it is the page's current
    one as long as the page is still at ``at``)."""

    at: int
    rendered: Rendered | None = None
    note: api_notes.ApiNote | None = None
    merged: str | None = None
    latest: Revision | None = None

    def current_of(self, page: Page) -> Revision | None:
        """``page``'s current revision under the lock; no query when it is ``latest``."""
        held = self.latest
        if held is not None and (held.page_id, held.number) == (page.id, page.current_rev):
            return held
        return current_revision(page)


def _premerge(title: str, base_rev: int, body: str) -> _Prepared:
    """Merge ``body`` (written on ``base_rev``) with the current revision and render the
    result without the write lock, so other saves do not wait for it: under the lock it is
    used if the page is still at that revision. No merge when it is not clean or the page is
    not as expected: the save then does all of it under the lock, as the rules say (a
    conflict is found there at once). Rendering a merged page under the lock made every save
    of a busy page wait for it."""
    page = Page.named(title)
    if page is None or page.deleted or not 0 < base_rev < page.current_rev:
        return _Prepared(at=page.current_rev if page else 0)
    at = page.current_rev
    try:
        base_body = _revision_body(page, base_rev)
    except EditError:
        return _Prepared(at=at)
    current = current_body(page)
    db.session.rollback()  # no read transaction held while merging and rendering
    merge = three_way_merge(base_body, current, body)
    if not merge.clean:
        return _Prepared(at=at)
    try:
        return _Prepared(at=at, rendered=render_for_save(merge.text, title), merged=merge.text)
    except RenderError:
        return _Prepared(at=at)  # refused under the lock, with the lock released at once


def _save_locked(title, body, summary, base_rev, user, kind, over_redirect, prepared, attempt):
    """The save under the write lock, with what was ``prepared`` without it. When the page
    has moved on since and the save would have to merge and render again, it raises
    :class:`_Moved` instead (the caller prepares again without the lock), except at the
    last ``attempt`` (2), which does whatever it takes under the lock."""
    begin_write()
    page = next(iter(lock_pages(Page.title == title)), None)
    if not can_edit(user, page):
        db.session.rollback()
        raise PermissionDenied("This page is protected: only administrators can edit it.")
    # Checked under the lock: a rename committed since the caller looked is seen here.
    if page is None and not over_redirect and (moved := renamed_to(title)) is not None:
        db.session.rollback()
        raise TitleMoved(title, moved)
    if page is not None and page.deleted:
        db.session.rollback()
        raise PermissionDenied("This page was deleted. An administrator can restore it.")
    merged_with = None
    # The render of the text as sent (a render of a merge serves only that merge).
    rendered = prepared.rendered if prepared.merged is None else None
    note = prepared.note
    current_no = page.current_rev if page else 0
    if base_rev is not None and not 0 <= base_rev <= current_no:
        db.session.rollback()
        raise EditError(f"Revision {base_rev} is not a revision of this page.")
    if page is not None and (base_rev or 0) != current_no:
        current = db.session.scalar(_REVISION, {"page_id": page.id, "number": current_no})
        if prepared.merged is not None and prepared.at == current_no:
            body, rendered = prepared.merged, prepared.rendered
        elif base_rev and attempt < 2 and prepared.at != current_no:
            db.session.rollback()
            raise _Moved
        else:
            base_body = _revision_body(page, base_rev) if base_rev else ""
            merge = three_way_merge(
                base_body,
                current.body,
                body,
                theirs_label=f"their version (revision {current.number})",
            )
            if not merge.clean:
                db.session.rollback()
                raise EditConflict(merge, current)
            if rendered is None or merge.text != body:
                rendered = _render_locked(merge.text, title)
            body = merge.text
        merged_with, kind = current, kind or "merge"
    if rendered is None:  # the page changed under us (e.g. renamed away): not a merge after all
        rendered = _render_locked(body, title)
    if page is None:
        # A new page at a renamed page's old title wins over the redirect left there.
        db.session.execute(delete(Redirect).where(Redirect.title == title))
        page = Page(title=title, title_key=title.lower(), current_rev=0)
        db.session.add(page)
        db.session.flush()
        kind = kind or "create"
    previous = merged_with or prepared.current_of(page)  # a merge loaded it already
    if previous is not None and previous.body == body:
        db.session.rollback()
        return SaveResult(page=db.session.get(Page, page.id), revision=None)
    if note is not None and note.still_holds(page.current_rev, body):
        api = note.changes
    else:  # merged, or someone saved in between: compare what this save really follows
        api = api_notes.changes(previous, body, title)
    revision = append_revision(
        page, body, summary, user, kind or "edit", rendered, previous=previous
    )
    # Same transaction as the revision; the API note goes with it to the notifications.
    notify_events.record_page_saved(
        page,
        revision,
        user,
        api_breaking=api.breaking if api else 0,
        api_changes=api.total if api else 0,
    )
    db.session.execute(_DELETE_DRAFT, {"user_id": user.id, "title": title})
    commit_keeping_values()  # the redirect's flash message reads the page and the revision
    indexing.sync_after_save(revision.size)
    return SaveResult(page=page, revision=revision, merged_with=merged_with)


def _render_locked(body: str, title: str) -> Rendered:
    """Render while holding the write lock; a refusal releases the lock at once."""
    try:
        return render_for_save(body, title)
    except RenderError:
        db.session.rollback()
        raise


def renamed_to(title: str) -> Page | None:
    """The page a rename moved away from ``title`` (the one its redirect points at)."""
    moved = db.session.get(Redirect, title)
    return db.session.get(Page, moved.page_id) if moved is not None else None


def current_revision(page: Page | None) -> Revision | None:
    """``page``'s current revision; None for no page or a page with no revision."""
    if page is None or not page.current_rev:
        return None
    return db.session.scalar(_REVISION, {"page_id": page.id, "number": page.current_rev})


def current_body(page: Page | None) -> str | None:
    """The text of ``page``'s current revision; None for no page or a page with no revision."""
    if page is None or not page.current_rev:
        return None
    return db.session.scalar(_BODY, {"page_id": page.id, "number": page.current_rev})


def append_revision(
    page: Page,
    body: str,
    summary: str,
    user: User | Author | None,
    kind: str,
    rendered: Rendered,
    *,
    previous: Revision | None = None,
) -> Revision:
    """Add the next revision to a locked ``page`` and refresh what derives from it.

    The caller holds the write lock and commits. Links, tags, render cache and the search
    index's stale record are written in the same transaction as the revision. ``previous``
    is the page's current revision when the caller has it loaded (it spares a query).
    """
    if previous is None:
        at = {"page_id": page.id, "number": page.current_rev}
        previous_size = db.session.scalar(_SIZE, at) or 0
    else:
        previous_size = previous.size
    size = len(body.encode("utf-8"))
    revision = Revision(
        page_id=page.id,
        number=page.current_rev + 1,
        title=page.title,
        body=body,
        summary=summary,
        kind=kind,
        author_id=user.id if user else None,
        size=size,
        size_delta=size - previous_size if page.current_rev else size,
        created_at=now_utc(),
        openapi_sources=pinned_versions(page.id, body),
    )
    db.session.add(revision)
    page.current_rev = revision.number
    page.updated_at = revision.created_at
    db.session.flush()
    replace_links_and_tags(page, rendered)
    store_render(revision, rendered)
    indexing.queue(page.id)
    return revision


def replace_links_and_tags(page: Page, rendered: Rendered) -> None:
    db.session.execute(_DELETE_LINKS, {"page_id": page.id})
    db.session.execute(_DELETE_TAGS, {"page_id": page.id})
    for target in sorted(rendered.links):
        if target != page.title:
            db.session.add(Link(source_id=page.id, target_title=target))
    for tag in page_tags(rendered.meta):
        db.session.add(PageTag(page_id=page.id, tag=tag))


def page_tags(meta: dict) -> list[str]:
    """Tags from front matter ``tags:`` (a list or a comma-separated string), lower-cased."""
    raw = meta.get("tags") or []
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list):
        return []
    # YAML escapes can decode to NUL, which PostgreSQL cannot store.
    tags = {" ".join(str(t).replace("\x00", " ").split()).lower()[:64] for t in raw}
    return sorted(t for t in tags if t)


def revert(title: str, number: int, user: User) -> SaveResult:
    """Make revision ``number``'s body the new current revision ("Restored revision N").

    :raises EditError: unknown revision. :raises PermissionDenied: protected page.
    """
    page = Page.named(title)
    if page is None:
        raise EditError("There is no such page.")
    body = _revision_body(page, number)
    return save_edit(
        title, body, f"Restored revision {number}", page.current_rev, user, kind="revert"
    )


__all__ = [
    "BodyTooLarge",
    "EditConflict",
    "EditError",
    "PermissionDenied",
    "RenderError",
    "SaveResult",
    "TitleMoved",
    "renamed_to",
    "revert",
    "save_edit",
]
