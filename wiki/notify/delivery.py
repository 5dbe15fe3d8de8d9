"""Sending the delivery rows: claim with a lease, send, record, retry with backoff.

A claim commits before anything is sent, and the result commits after, so a process that dies
mid-way leaves a ``sending`` row whose lease runs out; it is then sent again with the same
``X-Nexus-Delivery`` key (the event's id), which receivers use to drop a repeat if the first
attempt did arrive. Nothing is sent inside a database transaction, so a slow endpoint never
holds the write lock, and none of this runs in a web request.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import and_, func, or_, select, update

from wiki.db import begin_write
from wiki.extensions import db
from wiki.models import Page, User, now_utc
from wiki.notify import events, mail, webhooks
from wiki.notify.models import Delivery, Event, Notification, NotifySettings, Webhook
from wiki.security import external_url as absolute_url
from wiki.text.api_summary import summary_text

log = logging.getLogger(__name__)
BATCH = 50


def _due(now):
    return or_(
        and_(Delivery.status == "pending", Delivery.next_at <= now),
        and_(Delivery.status == "sending", Delivery.locked_until < now),
    )


def deliver_due() -> float | None:
    """Send up to BATCH due deliveries; returns seconds until the next retry is due, if any."""
    ids = db.session.scalars(
        select(Delivery.id).where(_due(now_utc())).order_by(Delivery.id).limit(BATCH)
    ).all()
    db.session.rollback()
    for delivery_id in ids:
        deliver(delivery_id)
    if len(ids) == BATCH:
        return 0.0
    upcoming = db.session.scalar(
        select(func.min(Delivery.next_at)).where(Delivery.status == "pending")
    )
    leased = db.session.scalar(
        select(func.min(Delivery.locked_until)).where(Delivery.status == "sending")
    )
    db.session.rollback()
    times = [t for t in (upcoming, leased) if t is not None]
    return max(0.0, (min(times) - now_utc()).total_seconds()) if times else None


def _claim(delivery_id: int) -> bool:
    lease = float(current_app.config.get("WIKI_JOBS_LEASE_SECONDS", 120))
    now = now_utc()
    begin_write()
    claimed = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, _due(now))
        .values(
            status="sending",
            locked_until=now + timedelta(seconds=lease),
            attempts=Delivery.attempts + 1,
        )
    ).rowcount
    db.session.commit()
    return bool(claimed)


def deliver(delivery_id: int) -> None:
    """Claim, send and record one delivery (skipped if another worker holds it)."""
    if not _claim(delivery_id):
        return
    delivery = db.session.get(Delivery, delivery_id)
    event = db.session.get(Event, delivery.event_id)
    try:
        message = _prepare(delivery, event)
    except Exception as error:  # a target that vanished, a template bug: logged, not retried
        log.exception("delivery %s could not be prepared", delivery_id)
        return _record(delivery_id, None, f"not sendable: {error}"[:500], final=True)
    db.session.rollback()  # no transaction is held while talking to the network
    if message is None:
        return _record(delivery_id, None, "target gone or mail off", final=True)
    if current_app.config.get("WIKI_FAULT_EXIT_BEFORE_SEND"):
        os._exit(70)  # fault injection for the crash test: die after the claim, before sending
    try:
        status = message()
    except (webhooks.SendFailed, webhooks.UnsafeTarget, OSError, smtplib.SMTPException) as error:
        code = getattr(error, "status", None)
        return _record(delivery_id, code, str(error)[:500] or type(error).__name__)
    _record(delivery_id, status, "", sent=True)


def _record(delivery_id: int, status: int | None, error: str, *, sent=False, final=False) -> None:
    config = current_app.config
    begin_write()
    delivery = db.session.get(Delivery, delivery_id)
    delivery.last_status, delivery.last_error, delivery.locked_until = status, error, None
    if sent:
        delivery.status, delivery.sent_at = "sent", now_utc()
    elif final or delivery.attempts >= int(config.get("WIKI_DELIVERY_MAX_ATTEMPTS", 8)):
        delivery.status = "dead"
    else:
        base = float(config.get("WIKI_DELIVERY_BACKOFF_SECONDS", 30))
        wait = min(base * 2 ** (delivery.attempts - 1), 6 * 3600)
        delivery.status, delivery.next_at = "pending", now_utc() + timedelta(seconds=wait)
    db.session.commit()


def describe(event: Event) -> tuple[dict, str]:
    """The contract's JSON payload of ``event`` and a one-line human description."""
    data = json.loads(event.data or "{}")
    actor = db.session.get(User, event.actor_id) if event.actor_id else None
    name = actor.username if actor else "someone"
    title = data.get("title", "")
    url = absolute_url("pages.view", title=title) if title else None
    kind = event.kind
    if kind == "page.saved":
        summary, line = data.get("summary", ""), f"{name} edited {title}"
    elif kind == "page.renamed":
        summary = f"Renamed from {data.get('old_title')} to {title}"
        line = f"{name} renamed {data.get('old_title')} to {title}"
    elif kind == "page.deleted":
        summary, line, url = "Deleted the page", f"{name} deleted {title}", None
    elif kind == "comment.created":
        summary = data.get("subject", "")
        line = f"{name} {'started a thread' if data.get('new_thread') else 'replied'} on {title}"
        url = absolute_url("discuss.threads", title=title, _anchor=f"c{event.comment_id}")
    else:
        summary, line = "This is a test delivery from the wiki.", "Webhook test from Nexus Wiki"
    payload = {
        "id": event.uuid,
        "event": "ping" if kind == "webhook.test" else kind,
        "at": event.created_at.isoformat(),
        "actor": actor.username if actor else None,
        "page": {"title": title, "url": url} if title else None,
        "revision": event.revision,
        "summary": summary,
    }
    if line and summary and kind == "page.saved":
        line += f": {summary}"
    if kind == "page.saved" and (api := summary_text(*events.api_counts(data))):
        line += f" ({api})"  # in the mail's subject and text, and Discord's and Slack's message
    return payload, line


def _prepare(delivery: Delivery, event: Event):
    """A zero-argument callable that sends, or None when there is nothing to send to."""
    if delivery.channel == "webhook":
        hook = db.session.get(Webhook, delivery.target_id)
        if hook is None:
            return None
        payload, line = describe(event)
        body = webhooks.body_for(hook.format, payload, line)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "NexusWiki-Webhook/1",
            "X-Nexus-Event": payload["event"],
            "X-Nexus-Delivery": event.uuid,
        }
        if hook.secret:
            headers["X-Nexus-Signature"] = webhooks.signature(hook.secret, body)
        url, config = hook.url, current_app.config
        allow = webhooks.allowed_hosts(config)
        own = webhooks.own_hosts(config.get("WIKI_BASE_URL") or "")
        timeout = float(config.get("WIKI_WEBHOOK_TIMEOUT", 5))
        return lambda: webhooks.post(
            webhooks.check_target(url, allow=allow, own=own), body, headers, timeout
        )
    return _prepare_mail(delivery, event)


def _prepare_mail(delivery: Delivery, event: Event):
    server = mail.mail_server(current_app.config.get("MAIL_URL"))
    settings = db.session.get(NotifySettings, delivery.target_id)
    if server is None or settings is None:
        return None
    data = json.loads(event.data or "{}")
    unsubscribe = absolute_url(
        "notify.unsubscribe", token=mail.unsubscribe_token(delivery.target_id)
    )
    context = {"unsubscribe": unsubscribe, "settings_url": absolute_url("notify.settings")}
    if event.kind == "email.verify":
        to, template = data["email"], "verify"
        context["link"] = absolute_url(
            "notify.verify_email", token=mail.verify_token(delivery.target_id, to)
        )
        subject = "Confirm your address for Nexus Wiki"
    elif event.kind == "email.digest":
        if not (settings.email_verified and settings.email):
            return None
        to, template = settings.email, "digest"
        context["items"] = _digest_items(delivery.target_id, data.get("ids", []))
        subject = f"Nexus Wiki: {len(context['items'])} notifications today"
    else:
        if not (settings.email_verified and settings.email and settings.email_mode == "each"):
            return None
        payload, line = describe(event)
        to, template, subject = settings.email, "event", f"[Nexus Wiki] {line}"[:200]
        context.update(
            line=line, url=(payload.get("page") or {}).get("url"), summary=payload["summary"]
        )
    text = render_template(f"notify/email/{template}.txt", **context)
    html = render_template(f"notify/email/{template}.html", **context)
    key = f"{event.uuid}.{delivery.target_id}"
    message = mail.build(to, subject, text, html, key=key, unsubscribe=unsubscribe)
    return lambda: (mail.send(server, message), 250)[1]


def _digest_items(user_id: int, ids: list[int]) -> list[dict]:
    from wiki.notify.service import entry_view

    rows = db.session.execute(
        select(Notification, Page, User)
        .join(Page, Page.id == Notification.page_id)
        .outerjoin(User, User.id == Notification.actor_id)
        .where(Notification.user_id == user_id, Notification.id.in_(ids or [0]))
        .order_by(Notification.updated_at)
    ).all()
    return [entry_view(n, page, actor, absolute=True) for n, page, actor in rows]
