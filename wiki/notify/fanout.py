"""Fan-out: turn each new :class:`Event` into notifications and delivery rows, exactly once.

Each event is read first, without the write lock: who watches, who is mentioned, which
webhooks and mailboxes want it. Then one write transaction claims it (``state`` new → done),
writes the notifications and the deliveries, and commits; a crash rolls all of it back and
the event is fanned out again. On SQLite every save queues for the same write lock, and the
reads were half of each fan-out's time holding it. Nobody is notified of their own action,
a page's readers only, one entry per user per event.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import current_app
from sqlalchemy import ARRAY, Integer, and_, bindparam, func, insert, literal, or_, select, update

from wiki.db import begin_write, is_postgres
from wiki.extensions import db
from wiki.models import Page, Revision, User, now_utc
from wiki.notify import events, mentions
from wiki.notify.models import Delivery, Event, Notification, NotifySettings, Watch, Webhook
from wiki.text.titles import SEPARATOR

BATCH = 100


def fan_out_pending() -> bool:
    """Fan out up to BATCH new events, oldest first (each unless another worker did);
    returns whether there may be more (a full batch was found)."""
    ids = db.session.scalars(
        select(Event.id).where(Event.state == "new").order_by(Event.id).limit(BATCH)
    ).all()
    db.session.rollback()
    for event_id in ids:
        fan_out(event_id)
    return len(ids) == BATCH


def fan_out(event_id: int) -> None:
    """Fan out one event unless another worker did (or does it first)."""
    event = db.session.scalar(select(Event).where(Event.id == event_id, Event.state == "new"))
    if event is None:
        db.session.rollback()
        return
    handler = HANDLERS.get(event.kind)
    write = handler(event, json.loads(event.data or "{}")) if handler is not None else None
    db.session.expunge(event)  # its loaded values serve the writes, with no reload
    begin_write()
    # The claim: of two workers fanning out the same event, one changes the row; the other
    # (on PostgreSQL, after waiting for the first's commit) finds it done and writes nothing.
    claimed = db.session.execute(
        update(Event).where(Event.id == event_id, Event.state == "new").values(state="done")
    ).rowcount
    if claimed and write is not None:
        write()
    db.session.commit()


def watchers(page: Page, event: Event) -> set[int]:
    """Active users who watched ``page`` (or an ancestor with its sub-pages) when ``event``
    happened: a watch started after the change, before the fan-out, does not count."""
    parts = page.title.split(SEPARATOR)
    ancestors = [SEPARATOR.join(parts[:i]) for i in range(1, len(parts))]
    own = Watch.page_id == page.id
    if ancestors:
        above = select(Page.id).where(Page.title.in_(ancestors))
        own = or_(own, and_(Watch.subpages.is_(True), Watch.page_id.in_(above)))
    stmt = (
        select(Watch.user_id)
        .join(User, User.id == Watch.user_id)
        .where(own, User.active, User.is_system.is_(False), Watch.created_at <= event.created_at)
    )
    return set(db.session.scalars(stmt))


def _notify(users, event: Event, kind: str, **fields) -> None:
    if not users:
        return
    now = now_utc()
    values = {
        "kind": kind,
        "page_id": event.page_id,
        "actor_id": event.actor_id,
        "thread_id": event.thread_id,
        "comment_id": event.comment_id,
        "created_at": now,
        "updated_at": now,
        "read": False,
        "edits": 1,
        **fields,
    }
    if is_postgres():
        # One statement for all watchers (the rows differ only in the user): an executemany
        # costs PostgreSQL a statement per watcher on every save of a watched page.
        table = Notification.__table__
        user_ids = func.unnest(bindparam("user_ids", sorted(users), type_=ARRAY(Integer)))
        each = user_ids.table_valued("user_id").render_derived(name="watcher")
        rows = select(each.c.user_id, *(literal(v, table.c[k].type) for k, v in values.items()))
        db.session.execute(insert(Notification).from_select(["user_id", *values], rows))
    else:
        # An executemany: cheaper in Python than one multi-row INSERT (compiled anew for each
        # number of rows).
        db.session.execute(insert(Notification), [{"user_id": u, **values} for u in sorted(users)])


def _fold_edits(users: set[int], event: Event, summary: str, api: dict) -> set[int]:
    """Extend unread edit entries by the same person ending just before this revision.

    The entry's API counts add up, so a breaking edit is never hidden by a later harmless one
    (the entry's diff may show fewer: a later edit can undo an earlier one).
    Returns the users whose entry was extended (they get no new entry).
    """
    if not users or event.actor_id is None:
        return set()
    match = and_(
        Notification.page_id == event.page_id,
        Notification.kind == "edit",
        Notification.read.is_(False),
        Notification.actor_id == event.actor_id,
        Notification.to_rev == event.revision - 1,
        Notification.user_id.in_(users),
    )
    folded = set(db.session.scalars(select(Notification.user_id).where(match)))
    if folded:
        db.session.execute(
            update(Notification)
            .where(match)
            .values(
                to_rev=event.revision,
                edits=Notification.edits + 1,
                text=summary,  # the latest edit's summary
                api_breaking=Notification.api_breaking + api["api_breaking"],
                api_changes=Notification.api_changes + api["api_changes"],
                updated_at=now_utc(),
            )
            .execution_options(synchronize_session=False)
        )
    return folded


def _fold_replies(users: set[int], event: Event) -> set[int]:
    """Extend unread reply entries of the same thread by the same person; returns their users."""
    if not users or event.actor_id is None:
        return set()
    match = and_(
        Notification.kind == "reply",
        Notification.read.is_(False),
        Notification.thread_id == event.thread_id,
        Notification.actor_id == event.actor_id,
        Notification.user_id.in_(users),
    )
    folded = set(db.session.scalars(select(Notification.user_id).where(match)))
    if folded:
        db.session.execute(
            update(Notification)
            .where(match)
            .values(comment_id=event.comment_id, edits=Notification.edits + 1, updated_at=now_utc())
            .execution_options(synchronize_session=False)
        )
    return folded


def _mentioned(event: Event, page: Page, text_before: str, text_after: str) -> set[int]:
    names = mentions.new_mentions(text_before, text_after)
    return {u.id for u in mentions.mentioned_readers(names, page)} - {event.actor_id}


# A handler reads what an event means (who is told, which deliveries) and returns the writes
# to make once the event is claimed under the write lock (None: nothing to write).
Writes = Callable[[], None] | None


def _page_saved(event: Event, data: dict) -> Writes:
    page = db.session.get(Page, event.page_id)
    bodies = dict(
        db.session.execute(
            select(Revision.number, Revision.body).where(
                Revision.page_id == page.id,
                Revision.number.in_([event.revision - 1, event.revision]),
            )
        ).all()
    )
    mentioned = _mentioned(
        event, page, bodies.get(event.revision - 1, ""), bodies.get(event.revision, "")
    )
    readers = _readers(watchers(page, event) - {event.actor_id} - mentioned, page)
    summary = (data.get("summary") or "")[:300]
    breaking, changes = events.api_counts(data)
    api = {"api_breaking": breaking, "api_changes": changes}
    deliveries = _deliveries(event, readers | mentioned)
    revs = {"from_rev": event.revision, "to_rev": event.revision}

    def write() -> None:
        _notify(mentioned, event, "mention", text=summary, **revs)
        fresh = readers - _fold_edits(readers, event, summary, api)  # read under the lock
        _notify(fresh, event, "edit", text=summary, **revs, **api)
        _add_deliveries(event, deliveries)

    return write


def _readers(user_ids: set[int], page: Page) -> set[int]:
    if page.deleted or not user_ids:
        return set()
    return user_ids  # watchers() keeps active users only; see mentions.can_read


def _page_changed(kind: str):
    def handler(event: Event, data: dict) -> Writes:
        page = db.session.get(Page, event.page_id)
        users = watchers(page, event) - {event.actor_id}
        text = data.get("old_title", "") if kind == "rename" else data.get("title", "")
        deliveries = _deliveries(event, users)

        def write() -> None:
            _notify(users, event, kind, to_rev=event.revision, text=text[:300])
            _add_deliveries(event, deliveries)

        return write

    return handler


def _comment_created(event: Event, data: dict) -> Writes:
    page = db.session.get(Page, event.page_id)
    if page is None or page.deleted:
        return None
    mentioned = _mentioned(event, page, "", data.get("text", ""))
    users = watchers(page, event) - {event.actor_id} - mentioned
    kind = "thread" if data.get("new_thread") else "reply"
    subject = (data.get("subject") or "")[:300]
    deliveries = _deliveries(event, users | mentioned)

    def write() -> None:
        _notify(mentioned, event, "mention", text=subject)
        told = users
        if kind == "reply":  # a burst of replies by one person in one thread is one entry
            told = users - _fold_replies(users, event)
        _notify(told, event, kind, text=subject)
        _add_deliveries(event, deliveries)

    return write


def _deliveries(event: Event, notified: set[int]) -> list[dict]:
    """Delivery rows: subscribed webhooks, and mail for notified users who want each event."""
    rows = []
    for hook in db.session.scalars(select(Webhook).where(Webhook.active.is_(True))):
        if event.kind in hook.events.split(","):
            rows.append({"channel": "webhook", "target_id": hook.id})
    if notified and current_app.config.get("MAIL_URL"):
        each = select(NotifySettings.user_id).where(
            NotifySettings.user_id.in_(notified),
            NotifySettings.email_mode == "each",
            NotifySettings.email_verified.is_(True),
            NotifySettings.email.is_not(None),
        )
        rows += [{"channel": "email", "target_id": uid} for uid in db.session.scalars(each)]
    return rows


def _add_deliveries(event: Event, rows: list[dict]) -> None:
    now = now_utc()
    if rows:
        db.session.execute(
            insert(Delivery),
            [
                {
                    "event_id": event.id,
                    "status": "pending",
                    "attempts": 0,
                    "next_at": now,
                    "created_at": now,
                    "last_error": "",
                    **row,
                }
                for row in rows
            ],
        )


def _to_user(event: Event, data: dict) -> Writes:
    return lambda: _add_deliveries(event, [{"channel": "email", "target_id": data["user_id"]}])


def _webhook_test(event: Event, data: dict) -> Writes:
    return lambda: _add_deliveries(event, [{"channel": "webhook", "target_id": data["webhook_id"]}])


HANDLERS = {
    "page.saved": _page_saved,
    "page.renamed": _page_changed("rename"),
    "page.deleted": _page_changed("delete"),
    "comment.created": _comment_created,
    "email.verify": _to_user,
    "email.digest": _to_user,
    "webhook.test": _webhook_test,
}
