"""Managing webhooks (admins): add with a checked URL, remove, send a test, recent deliveries."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, select

from wiki.db import begin_write
from wiki.extensions import db
from wiki.notify import events, webhooks
from wiki.notify.models import WEBHOOK_EVENTS, WEBHOOK_FORMATS, Delivery, Webhook
from wiki.security import base_url


def add_webhook(
    url: str, chosen: list[str], secret: str, fmt: str, request_host: str | None
) -> Webhook:
    """:raises webhooks.UnsafeTarget: the URL is refused (see :func:`webhooks.check_target`)."""
    chosen = [e for e in WEBHOOK_EVENTS if e in chosen]
    if not chosen or fmt not in WEBHOOK_FORMATS:
        raise webhooks.UnsafeTarget("Pick at least one event and a known format.")
    config = current_app.config
    webhooks.check_target(
        url,
        allow=webhooks.allowed_hosts(config),
        own=webhooks.own_hosts(base_url() or "", request_host),
    )
    begin_write()
    hook = Webhook(url=url, events=",".join(chosen), secret=secret, format=fmt, active=True)
    db.session.add(hook)
    db.session.commit()
    return hook


def remove_webhook(hook_id: int) -> None:
    begin_write()
    db.session.execute(delete(Webhook).where(Webhook.id == hook_id))
    db.session.commit()


def send_test(hook: Webhook) -> None:
    """Queue a ``ping`` delivery to ``hook``; the worker sends it like any other."""
    begin_write()
    events.record_internal("webhook.test", {"webhook_id": hook.id})
    db.session.commit()


def hooks_with_deliveries(limit: int = 10) -> list[tuple[Webhook, list[Delivery]]]:
    hooks = db.session.scalars(select(Webhook).order_by(Webhook.id)).all()
    result = []
    for hook in hooks:
        recent = db.session.scalars(
            select(Delivery)
            .where(Delivery.channel == "webhook", Delivery.target_id == hook.id)
            .order_by(Delivery.id.desc())
            .limit(limit)
        ).all()
        result.append((hook, recent))
    return result
