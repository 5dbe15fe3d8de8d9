"""Watching, the notification list and count, preferences and the daily digest."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import delete, func, or_, select, update

from wiki.db import begin_write
from wiki.extensions import db
from wiki.models import Page, User, now_utc
from wiki.notify import events
from wiki.notify.models import EMAIL_MODES, Notification, NotifySettings, Watch
from wiki.refusals import Refusal
from wiki.security import external_url as absolute_url
from wiki.text.api_summary import summary_text

PER_PAGE = 50
COUNT_CAP = 100  # the header shows "99+"; counting stops there, so the cost is bounded


class SettingsError(Refusal):
    pass


def watching(user, page: Page | None) -> bool:
    """Whether ``user`` (maybe anonymous) watches the live ``page``: the Watch button's state."""
    if not getattr(user, "is_authenticated", False) or page is None or page.id is None:
        return False
    return db.session.get(Watch, (user.id, page.id)) is not None


def watch(user_id: int, page: Page, *, subpages: bool = False) -> None:
    """Follow ``page`` (and its sub-pages when asked); watching again updates ``subpages``."""
    begin_write()
    row = db.session.get(Watch, (user_id, page.id))
    if row is None:
        db.session.add(Watch(user_id=user_id, page_id=page.id, subpages=subpages))
    else:
        row.subpages = subpages
    db.session.commit()


def unwatch(user_id: int, page: Page) -> None:
    begin_write()
    db.session.execute(delete(Watch).where(Watch.user_id == user_id, Watch.page_id == page.id))
    db.session.commit()


def watched_pages(user_id: int) -> list[tuple[str, bool]]:
    """(title, with sub-pages) of the live pages ``user_id`` watches, by title."""
    rows = db.session.execute(
        select(Page.title, Watch.subpages)
        .join(Page, Page.id == Watch.page_id)
        .where(Watch.user_id == user_id, Page.deleted.is_(False))
        .order_by(Page.title)
    )
    return [(title, subpages) for title, subpages in rows]


def unread_count_of(user_id):
    """The unread entries of ``user_id`` (a value or a column to correlate with), counted up
    to COUNT_CAP, as a scalar subquery on ix_notifications_user_read. The session loader
    selects it with the user (wiki.auth.sessions.load): the header's count costs no query."""
    capped = (
        select(Notification.id)
        .where(Notification.user_id == user_id, Notification.read.is_(False))
        .limit(COUNT_CAP)
        .subquery()
    )
    return select(func.count()).select_from(capped).scalar_subquery()


def notifications_page(user_id: int, page_no: int) -> tuple[list[dict], bool]:
    """Entries newest first, PER_PAGE at a time; and whether there are more."""
    rows = db.session.execute(
        select(Notification, Page, User)
        .join(Page, Page.id == Notification.page_id)
        .outerjoin(User, User.id == Notification.actor_id)
        .where(Notification.user_id == user_id)
        .order_by(Notification.updated_at.desc(), Notification.id.desc())
        .offset((page_no - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    entries = [entry_view(n, page, actor) for n, page, actor in rows[:PER_PAGE]]
    return entries, len(rows) > PER_PAGE


def mark_all_read(user_id: int) -> int:
    begin_write()
    count = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read.is_(False))
        .values(read=True)
    ).rowcount
    db.session.commit()
    return count


def entry_view(n: Notification, page: Page, actor: User | None, *, absolute=False) -> dict:
    """What one entry says and where it links; never a link into a deleted page."""
    who = actor.username if actor else "Someone"
    title = page.title
    link = absolute_url if absolute else (lambda endpoint, **v: url_for(endpoint, **v))
    url = api_url = None
    api = ""
    if n.kind == "edit":
        many = f" ({n.edits} edits)" if n.edits > 1 else ""
        text = f"{who} edited {title}{many}"
        revs = {"from": max(n.from_rev - 1, 1), "to": n.to_rev}
        url = link("history.diff", title=title, **revs)
        api = summary_text(n.api_breaking, n.api_changes)
        if api:  # the diff's "API changes" view
            api_url = link("history.diff", title=title, **revs, mode="api")
    elif n.kind in ("thread", "reply"):
        text = f"{who} {'started a thread' if n.kind == 'thread' else 'replied'} on {title}"
        if n.edits > 1:
            text += f" ({n.edits} replies)"
        url = link("discuss.threads", title=title, _anchor=f"c{n.comment_id}")
    elif n.kind == "mention":
        text = f"{who} mentioned you on {title}"
        if n.comment_id:
            url = link("discuss.threads", title=title, _anchor=f"c{n.comment_id}")
        else:
            url = link("pages.view", title=title, rev=n.to_rev)
    elif n.kind == "rename":
        text = f"{who} renamed {n.text} to {title}"
        url = link("pages.view", title=title)
    else:
        text = f"{who} deleted {n.text or title}"
    if page.deleted:
        url = api_url = None
    detail = n.text if n.kind not in ("rename", "delete") else ""
    return {
        "text": text,
        "detail": detail,
        "url": url,
        "api": api,  # "API: 2 breaking changes", or ""
        "api_breaking": n.api_breaking > 0,
        "api_url": api_url,
        "when": n.updated_at,
        "read": n.read,
        "kind": n.kind,
    }


def settings_for(user_id: int) -> NotifySettings:
    """The user's settings row, or an unsaved one holding the defaults."""
    row = db.session.get(NotifySettings, user_id)
    return row or NotifySettings(
        user_id=user_id, email=None, email_verified=False, email_mode="off", auto_watch=True
    )


def update_settings(user_id: int, email: str, mode: str, auto_watch: bool) -> bool:
    """Save preferences; a new address is unverified and gets a verification mail.

    Returns True when a verification mail was queued. :raises SettingsError: unknown mode.
    """
    if mode not in EMAIL_MODES:
        raise SettingsError(f"Email notifications must be one of: {', '.join(EMAIL_MODES)}.")
    email = email.strip() or None
    begin_write()
    row = db.session.get(NotifySettings, user_id)
    if row is None:
        row = NotifySettings(user_id=user_id, email_verified=False, auto_watch=True)
        db.session.add(row)
    changed = email is not None and email.lower() != (row.email or "").lower()
    if changed or email is None:
        row.email_verified = False
    row.email, row.email_mode, row.auto_watch = email, mode, auto_watch
    if changed:
        events.record_internal("email.verify", {"user_id": user_id, "email": email})
    db.session.commit()
    return changed


def confirm_email(user_id: int, email: str) -> bool:
    """Mark ``email`` verified if it is still the user's address."""
    begin_write()
    row = db.session.get(NotifySettings, user_id)
    ok = row is not None and (row.email or "").lower() == email.lower()
    if ok:
        row.email_verified = True
    db.session.commit()
    return ok


def unsubscribe(user_id: int) -> None:
    begin_write()
    db.session.execute(
        update(NotifySettings).where(NotifySettings.user_id == user_id).values(email_mode="off")
    )
    db.session.commit()


def queue_due_digests() -> int:
    """Queue one digest mail per daily-mode user whose last one is a day old; returns how many."""
    hours = float(current_app.config.get("WIKI_DIGEST_HOURS", 24))
    now = now_utc()
    due = db.session.scalars(
        select(NotifySettings)
        .where(
            NotifySettings.email_mode == "daily",
            NotifySettings.email_verified.is_(True),
            or_(
                NotifySettings.last_digest_at.is_(None),
                NotifySettings.last_digest_at <= now - timedelta(hours=hours),
            ),
        )
        .limit(200)
    ).all()
    user_ids = [row.user_id for row in due]
    db.session.rollback()
    queued = 0
    for user_id in user_ids:
        begin_write()
        row = db.session.get(NotifySettings, user_id)
        since = row.last_digest_at
        unread = select(Notification.id).where(
            Notification.user_id == user_id, Notification.read.is_(False)
        )
        if since is not None:
            unread = unread.where(Notification.updated_at > since)
        ids = list(db.session.scalars(unread.order_by(Notification.id).limit(200)))
        row.last_digest_at = now
        if ids:
            events.record_internal("email.digest", {"user_id": user_id, "ids": ids})
            queued += 1
        db.session.commit()
    return queued


def prune_events() -> int:
    """Delete events (and their delivery log) older than ``WIKI_EVENT_RETENTION_DAYS`` that
    have nothing left to send; returns how many. Notifications are kept."""
    from wiki.notify.models import Delivery, Event

    days = float(current_app.config.get("WIKI_EVENT_RETENTION_DAYS", 30))
    unsent = (
        select(Delivery.id)
        .where(Delivery.event_id == Event.id, Delivery.status.in_(("pending", "sending")))
        .exists()
    )
    begin_write()
    count = db.session.execute(
        delete(Event).where(
            Event.state == "done", Event.created_at < now_utc() - timedelta(days=days), ~unsent
        )
    ).rowcount
    db.session.commit()
    return count
