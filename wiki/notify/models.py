"""Watching, notifications, the event queue (outbox), webhooks and their delivery log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wiki.extensions import db
from wiki.models import UTCDateTime, now_utc

EMAIL_MODES = ("off", "each", "daily")
WEBHOOK_EVENTS = ("page.saved", "page.renamed", "page.deleted", "comment.created")
WEBHOOK_FORMATS = ("json", "discord", "slack")


class Watch(db.Model):
    """A user follows a page (and its discussion); with ``subpages``, its sub-pages too."""

    __tablename__ = "watches"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    subpages: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class NotifySettings(db.Model):
    """A user's notification preferences; no row means the defaults."""

    __tablename__ = "notify_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(254))
    # Mail goes only to an address confirmed through the link sent to it.
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    email_mode: Mapped[str] = mapped_column(String(8), default="off")  # EMAIL_MODES
    auto_watch: Mapped[bool] = mapped_column(Boolean, default=True)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Event(db.Model):
    """The queue: one row per change, written in the change's own transaction.

    ``state`` is ``new`` until the fan-out (notifications and delivery rows) has committed,
    then ``done``; ``uuid`` is the idempotency key sent as ``X-Nexus-Delivery``.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(8), default="new", index=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revision: Mapped[int | None] = mapped_column(Integer)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    comment_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON: summary, old title…
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Notification(db.Model):
    """One entry of a user's /notifications; consecutive edits by one person share an entry."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The header's unread count and the folding lookup.
        Index("ix_notifications_user_read", "user_id", "read"),
        Index("ix_notifications_user_updated", "user_id", "updated_at", "id"),
        Index("ix_notifications_page", "page_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # edit, thread, reply, mention, rename, delete
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_rev: Mapped[int | None] = mapped_column(Integer)
    to_rev: Mapped[int | None] = mapped_column(Integer)
    edits: Mapped[int] = mapped_column(Integer, default=1)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    comment_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300), default="")
    # What the entry's edits changed in the page's API (summed over folded edits), for
    # "API: 2 breaking changes"; both 0 for anything else.
    api_breaking: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    api_changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    read: Mapped[bool] = mapped_column(Boolean, default=False)


class Webhook(db.Model):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(String(200))  # comma-separated WEBHOOK_EVENTS
    secret: Mapped[str] = mapped_column(String(200), default="")
    format: Mapped[str] = mapped_column(String(8), default="json")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Delivery(db.Model):
    """One event to one target (a webhook or a user's mailbox): the delivery log.

    ``pending`` → claimed as ``sending`` for a lease → ``sent``, or back to ``pending`` with a
    later ``next_at`` (backoff), or ``dead`` after the last attempt. A claim whose process died
    is taken again once its lease has passed, with the same ``X-Nexus-Delivery`` key.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "channel", "target_id", name="uq_deliveries_target"),
        Index("ix_deliveries_status_next", "status", "next_at"),
        Index("ix_deliveries_channel_target", "channel", "target_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))  # webhook, email
    target_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
