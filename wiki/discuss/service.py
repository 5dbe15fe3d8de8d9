"""Discussions: threads and comments on a page, their edits, resolving and hiding.

Comment bodies are Markdown rendered by the page pipeline (the one sanitizer gate) when
written, and the HTML is stored. Threads point at the page row, so they follow a rename; they
are shown only while the page is live, so deleting the page hides them and restoring brings
them back. Each new thread or reply records a ``comment.created`` event in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from wiki.auth.permissions import can_edit
from wiki.db import begin_write
from wiki.discuss.models import Comment, CommentEdit, Thread
from wiki.extensions import db
from wiki.models import Page, User, now_utc
from wiki.notify import events as notify_events
from wiki.refusals import NotFound, Refusal
from wiki.rendering.cache import render_for_save
from wiki.rendering.markdown import RenderError

MAX_BODY_BYTES = 256 * 1024
MAX_SUBJECT = 200


class DiscussError(Refusal):
    """A refused discussion change (400 unless a subclass says otherwise)."""


class NotAllowed(DiscussError):
    status = 403


class TooLarge(DiscussError):
    status = 413


@dataclass
class ThreadView:
    thread: Thread
    comments: list[Comment]
    edited: set[int]


def _active(user: User | None) -> User:
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        raise NotAllowed("Log in to take part in discussions.")
    return user


def _render(body: str, title: str) -> tuple[str, str]:
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
    if not body:
        raise DiscussError("Write something first: the comment is empty.")
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise TooLarge("A comment can be at most 256 KB. Put long text on a page and link to it.")
    try:
        return body, render_for_save(body, title).html
    except RenderError as error:
        raise DiscussError(f"This comment is too complex to show: {error}") from None


def _live_page(page_id: int) -> Page:
    page = db.session.get(Page, page_id)
    if page is None or page.deleted:
        raise NotFound("That page does not exist any more.")
    return page


def _recount_open(page: Page) -> None:
    """Keep ``page.open_threads`` (the tab's count) exact, in the caller's transaction: a
    recount on ix_discussion_threads_page_resolved, not an increment that could drift."""
    db.session.flush()
    page.open_threads = (
        db.session.scalar(
            select(func.count(Thread.id)).where(
                Thread.page_id == page.id, Thread.resolved.is_(False)
            )
        )
        or 0
    )


def threads_of(page: Page) -> list[ThreadView]:
    """Every thread of ``page`` with its comments (open first, liveliest first)."""
    threads = db.session.scalars(
        select(Thread)
        .where(Thread.page_id == page.id)
        .order_by(Thread.resolved, Thread.updated_at.desc(), Thread.id.desc())
    ).all()
    ids = [t.id for t in threads]
    by_thread: dict[int, list[Comment]] = {t.id: [] for t in threads}
    edited: set[int] = set()
    if ids:
        for comment in db.session.scalars(
            select(Comment).where(Comment.thread_id.in_(ids)).order_by(Comment.id)
        ):
            by_thread[comment.thread_id].append(comment)
            if comment.edited_at is not None:
                edited.add(comment.id)
    return [ThreadView(t, by_thread[t.id], edited) for t in threads]


def start_thread(page: Page, subject: str, body: str, user: User) -> Comment:
    """:raises DiscussError: empty subject or body. :raises TooLarge: body over 64 KB."""
    _active(user)
    subject = " ".join(subject.replace("\x00", " ").split())[:MAX_SUBJECT]
    if not subject:
        raise DiscussError("Give the thread a subject.")
    body, html = _render(body, page.title)
    page_id, user_id = page.id, user.id
    begin_write()
    page, user = _live_page(page_id), db.session.get(User, user_id)
    now = now_utc()
    thread = Thread(
        page_id=page.id, subject=subject, author_id=user.id, created_at=now, updated_at=now
    )
    db.session.add(thread)
    db.session.flush()
    comment = Comment(thread_id=thread.id, author_id=user.id, body=body, html=html, created_at=now)
    db.session.add(comment)
    db.session.flush()
    notify_events.record_comment(page, thread, comment, user, new_thread=True)
    _recount_open(page)
    db.session.commit()
    return comment


def _thread_of(page: Page, thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or thread.page_id != page.id:
        raise NotFound("There is no such thread on this page.")
    return thread


def reply(page: Page, thread_id: int, body: str, user: User) -> Comment:
    """A reply; replying to a resolved thread is allowed and reopens nothing by itself."""
    _active(user)
    body, html = _render(body, page.title)
    page_id, user_id = page.id, user.id
    begin_write()
    page, user = _live_page(page_id), db.session.get(User, user_id)
    thread = _thread_of(page, thread_id)
    now = now_utc()
    comment = Comment(thread_id=thread.id, author_id=user.id, body=body, html=html, created_at=now)
    thread.updated_at = now
    db.session.add(comment)
    db.session.flush()
    notify_events.record_comment(page, thread, comment, user, new_thread=False)
    db.session.commit()
    return comment


def comment_of(page: Page, comment_id: int) -> tuple[Comment, Thread]:
    comment = db.session.get(Comment, comment_id)
    thread = db.session.get(Thread, comment.thread_id) if comment else None
    if comment is None or thread.page_id != page.id:
        raise NotFound("There is no such comment on this page.")
    return comment, thread


def edit_comment(page: Page, comment_id: int, body: str, user: User) -> Comment:
    """Replace the text of one's own comment, keeping the old text in its history.

    :raises NotAllowed: not the author, or the comment is hidden.
    """
    _active(user)
    comment, _ = comment_of(page, comment_id)
    if comment.author_id != user.id or comment.hidden:
        raise NotAllowed("You can only edit your own comments.")
    body, html = _render(body, page.title)
    begin_write()
    comment = db.session.get(Comment, comment_id)
    if body != comment.body:
        written = comment.edited_at or comment.created_at
        db.session.add(CommentEdit(comment_id=comment.id, body=comment.body, written_at=written))
        comment.body, comment.html, comment.edited_at = body, html, now_utc()
    db.session.commit()
    return comment


def history_of(comment: Comment) -> list[CommentEdit]:
    return list(
        db.session.scalars(
            select(CommentEdit).where(CommentEdit.comment_id == comment.id).order_by(CommentEdit.id)
        )
    )


def can_resolve(user, page: Page, thread: Thread) -> bool:
    """The thread's author, whoever may edit the page, and admins."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return user.id == thread.author_id or user.is_admin or can_edit(user, page)


def set_resolved(page: Page, thread_id: int, resolved: bool, user: User) -> Thread:
    thread = _thread_of(page, thread_id)
    if not can_resolve(user, page, thread):
        raise NotAllowed("Only the thread's author and the page's editors can do this.")
    begin_write()
    thread = db.session.get(Thread, thread_id)
    thread.resolved = resolved
    thread.resolved_by_id, thread.resolved_at = (user.id, now_utc()) if resolved else (None, None)
    _recount_open(db.session.get(Page, page.id))
    db.session.commit()
    return thread


def set_hidden(page: Page, comment_id: int, hidden: bool, user: User) -> Comment:
    """Admins hide an abusive comment (kept, shown to admins only) or show it again."""
    if user is None or not user.is_authenticated or not user.is_admin:
        raise NotAllowed("Only administrators can hide comments.")
    comment_of(page, comment_id)
    begin_write()
    comment = db.session.get(Comment, comment_id)
    comment.hidden = hidden
    comment.hidden_by_id, comment.hidden_at = (user.id, now_utc()) if hidden else (None, None)
    db.session.commit()
    return comment
