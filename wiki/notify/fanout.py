"""Fan-out: turn each new :class:`Event` into notifications and delivery rows, exactly once.

Each event is read first, without the write lock: who watches, who is mentioned, which
webhooks and mailboxes want it. Then one write transaction claims the events read (``state``
new → done; up to WRITE_CHUNK of them), writes their notifications and deliveries, and
commits; a crash rolls all of it back and the events are fanned out again. On SQLite
every save queues for the same write lock, and the reads were half of each fan-out's time
holding it. Nobody is notified of their own action, a page's readers only, one entry per
user per event.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable

from flask import current_app
from sqlalchemy import ARRAY, Integer, and_, bindparam, func, insert, or_, select, tuple_, update

from wiki.db import begin_write, is_postgres
from wiki.extensions import db
from wiki.models import Page, Revision, User, now_utc
from wiki.notify import events, mentions
from wiki.notify.models import Delivery, Event, Notification, NotifySettings, Watch, Webhook
from wiki.text.titles import SEPARATOR

BATCH = 100
# Events whose writes share one write transaction: a commit and a claim per event cost the
# job runner as much as the event's own writes, yet one transaction must not hold SQLite's
# write lock for long while saves queue for it (a chunk of events writes for a few milliseconds).
WRITE_CHUNK = 25


def fan_out_pending() -> bool:
    """Fan out up to BATCH new events, oldest first (each unless another worker did);
    returns whether there may be more (a full batch was found)."""
    events = db.session.scalars(
        select(Event).where(Event.state == "new").order_by(Event.id).limit(BATCH)
    ).all()
    for start in range(0, len(events), WRITE_CHUNK):
        _fan_out_events(events[start : start + WRITE_CHUNK])
    db.session.rollback()
    return len(events) == BATCH


def fan_out(event_id: int) -> None:
    """Fan out one event unless another worker did (or does it first)."""
    event = db.session.scalar(select(Event).where(Event.id == event_id, Event.state == "new"))
    if event is not None:
        _fan_out_events([event])
    db.session.rollback()


def _fan_out_events(events: list[Event]) -> None:
    """Read what each event means without the write lock, then claim the events and write
    for those claimed, in one transaction (a crash rolls all of it back; they are fanned
    out again). The writes of one event see those of the events before it (folding)."""
    batch = _Batch(events)
    writes = {}
    for event in events:
        handler = HANDLERS.get(event.kind)
        data = json.loads(event.data or "{}")
        writes[event.id] = handler(event, data, batch) if handler is not None else None
    for event in events:
        db.session.expunge(event)  # its loaded values serve the writes, with no reload
    begin_write()
    for event_id in _claim(list(writes)):
        if writes[event_id] is not None:
            writes[event_id]()
    db.session.commit()


def _claim(event_ids: list[int]) -> list[int]:
    """Of ``event_ids``, those still new, now marked done, in order. Of two workers fanning
    out the same events, one claims each: on PostgreSQL the other skips the rows the first
    has locked (its commit marks them done) instead of waiting for it."""
    ids = db.session.scalars(
        select(Event.id)
        .where(Event.id.in_(event_ids), Event.state == "new")
        .order_by(Event.id)
        .with_for_update(skip_locked=True)
    ).all()
    if ids:
        db.session.execute(update(Event).where(Event.id.in_(ids)).values(state="done"))
    return list(ids)


class _Batch:
    """What the events fanned out together read once instead of once each (a burst of
    saves of a few busy pages is most of a run): the active webhooks, each page's watches,
    and the texts of the revisions saved and of the ones before them."""

    def __init__(self, events: list[Event]) -> None:
        self.hooks = db.session.scalars(select(Webhook).where(Webhook.active.is_(True))).all()
        self._watches: dict[int, list[tuple[int, datetime.datetime]]] = {}
        saved = {
            (e.page_id, n)
            for e in events
            if e.kind == "page.saved" and e.page_id is not None and e.revision
            for n in (e.revision - 1, e.revision)
        }
        self._bodies: dict[tuple[int, int], str] = {}
        if saved:
            rows = db.session.execute(
                select(Revision.page_id, Revision.number, Revision.body).where(
                    tuple_(Revision.page_id, Revision.number).in_(sorted(saved))
                )
            )
            self._bodies = {(page_id, n): body for page_id, n, body in rows}

    def body(self, page_id: int, number: int) -> str:
        """The text of revision ``number`` of the page, as saved by one of the batch's
        events or the revision before one ("" for none)."""
        return self._bodies.get((page_id, number), "")

    def watchers(self, page: Page, event: Event) -> set[int]:
        """Active users who watched ``page`` (or an ancestor with its sub-pages) when
        ``event`` happened: a watch started after the change, before the fan-out, does not
        count."""
        if page.id not in self._watches:
            self._watches[page.id] = watches(page)
        return {user for user, since in self._watches[page.id] if since <= event.created_at}


def watches(page: Page) -> list[tuple[int, datetime.datetime]]:
    """(user, since when) of the active users who watch ``page``, or an ancestor with its
    sub-pages."""
    parts = page.title.split(SEPARATOR)
    ancestors = [SEPARATOR.join(parts[:i]) for i in range(1, len(parts))]
    own = Watch.page_id == page.id
    if ancestors:
        above = select(Page.id).where(Page.title.in_(ancestors))
        own = or_(own, and_(Watch.subpages.is_(True), Watch.page_id.in_(above)))
    stmt = (
        select(Watch.user_id, Watch.created_at)
        .join(User, User.id == Watch.user_id)
        .where(own, User.active, User.is_system.is_(False))
    )
    return [(user, since) for user, since in db.session.execute(stmt)]


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
        params = {f"v_{name}": value for name, value in values.items()}
        db.session.execute(_insert_each(tuple(values)), {"user_ids": sorted(users), **params})
    else:
        # An executemany: cheaper in Python than one multi-row INSERT (compiled anew for each
        # number of rows).
        db.session.execute(_INSERT, [{"user_id": u, **values} for u in sorted(users)])


# The fan-out's statements are built once: building them for every event (SQLAlchemy's
# expression objects, then their cache keys) cost more of its time than running them.
_TABLE = Notification.__table__
_INSERT = insert(_TABLE)


@functools.cache
def _insert_each(columns: tuple[str, ...]):
    """PostgreSQL: one INSERT … SELECT for all users (``user_ids``, an array, unnested), the
    other ``columns`` from parameters ``v_<column>``. An executemany cost PostgreSQL a
    statement per watcher on every save of a watched page."""
    user_ids = func.unnest(bindparam("user_ids", type_=ARRAY(Integer)))
    each = user_ids.table_valued("user_id").render_derived(name="watcher")
    values = (bindparam(f"v_{c}", type_=_TABLE.c[c].type) for c in columns)
    return insert(_TABLE).from_select(["user_id", *columns], select(each.c.user_id, *values))


def _now_param():
    return bindparam("now", type_=_TABLE.c.updated_at.type)


# Unread edit entries by the same person ending just before this revision, extended to it.
_FOLD_EDITS = (
    update(_TABLE)
    .where(
        _TABLE.c.page_id == bindparam("page"),
        _TABLE.c.kind == "edit",
        _TABLE.c.read.is_(False),
        _TABLE.c.actor_id == bindparam("actor"),
        _TABLE.c.to_rev == bindparam("previous_rev"),
        _TABLE.c.user_id.in_(bindparam("users", expanding=True)),
    )
    .values(
        to_rev=bindparam("revision"),
        edits=_TABLE.c.edits + 1,
        text=bindparam("summary"),  # the latest edit's summary
        api_breaking=_TABLE.c.api_breaking + bindparam("breaking"),
        api_changes=_TABLE.c.api_changes + bindparam("changes"),
        updated_at=_now_param(),
    )
    .returning(_TABLE.c.user_id)
)
# Unread reply entries of the same thread by the same person, extended to the new comment.
_FOLD_REPLIES = (
    update(_TABLE)
    .where(
        _TABLE.c.kind == "reply",
        _TABLE.c.read.is_(False),
        _TABLE.c.thread_id == bindparam("thread"),
        _TABLE.c.actor_id == bindparam("actor"),
        _TABLE.c.user_id.in_(bindparam("users", expanding=True)),
    )
    .values(comment_id=bindparam("latest"), edits=_TABLE.c.edits + 1, updated_at=_now_param())
    .returning(_TABLE.c.user_id)
)


def _fold_edits(users: set[int], event: Event, summary: str, api: dict) -> set[int]:
    """Extend unread edit entries by the same person ending just before this revision.

    The entry's API counts add up, so a breaking edit is never hidden by a later harmless one
    (the entry's diff may show fewer: a later edit can undo an earlier one).
    Returns the users whose entry was extended (they get no new entry).
    """
    if not users or event.actor_id is None:
        return set()
    params = {
        "page": event.page_id,
        "actor": event.actor_id,
        "previous_rev": event.revision - 1,
        "users": sorted(users),
        "revision": event.revision,
        "summary": summary,
        "breaking": api["api_breaking"],
        "changes": api["api_changes"],
        "now": now_utc(),
    }
    return set(db.session.scalars(_FOLD_EDITS, params))


def _fold_replies(users: set[int], event: Event) -> set[int]:
    """Extend unread reply entries of the same thread by the same person; returns their users."""
    if not users or event.actor_id is None:
        return set()
    params = {
        "thread": event.thread_id,
        "actor": event.actor_id,
        "users": sorted(users),
        "latest": event.comment_id,
        "now": now_utc(),
    }
    return set(db.session.scalars(_FOLD_REPLIES, params))


def _mentioned(event: Event, page: Page, text_before: str, text_after: str) -> set[int]:
    names = mentions.new_mentions(text_before, text_after)
    return {u.id for u in mentions.mentioned_readers(names, page)} - {event.actor_id}


# A handler reads what an event means (who is told, which deliveries; ``batch``: what the
# events fanned out together share) and returns the writes to make once the event is claimed
# under the write lock (None: nothing to write).
Writes = Callable[[], None] | None


def _page_saved(event: Event, data: dict, batch: _Batch) -> Writes:
    page = db.session.get(Page, event.page_id)
    before, after = (batch.body(page.id, n) for n in (event.revision - 1, event.revision))
    mentioned = _mentioned(event, page, before, after)
    readers = _readers(batch.watchers(page, event) - {event.actor_id} - mentioned, page)
    summary = (data.get("summary") or "")[:300]
    breaking, changes = events.api_counts(data)
    api = {"api_breaking": breaking, "api_changes": changes}
    deliveries = _deliveries(event, readers | mentioned, batch.hooks)
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
    def handler(event: Event, data: dict, batch: _Batch) -> Writes:
        page = db.session.get(Page, event.page_id)
        users = batch.watchers(page, event) - {event.actor_id}
        text = data.get("old_title", "") if kind == "rename" else data.get("title", "")
        deliveries = _deliveries(event, users, batch.hooks)

        def write() -> None:
            _notify(users, event, kind, to_rev=event.revision, text=text[:300])
            _add_deliveries(event, deliveries)

        return write

    return handler


def _comment_created(event: Event, data: dict, batch: _Batch) -> Writes:
    page = db.session.get(Page, event.page_id)
    if page is None or page.deleted:
        return None
    mentioned = _mentioned(event, page, "", data.get("text", ""))
    users = batch.watchers(page, event) - {event.actor_id} - mentioned
    kind = "thread" if data.get("new_thread") else "reply"
    subject = (data.get("subject") or "")[:300]
    deliveries = _deliveries(event, users | mentioned, batch.hooks)

    def write() -> None:
        _notify(mentioned, event, "mention", text=subject)
        told = users
        if kind == "reply":  # a burst of replies by one person in one thread is one entry
            told = users - _fold_replies(users, event)
        _notify(told, event, kind, text=subject)
        _add_deliveries(event, deliveries)

    return write


def _deliveries(event: Event, notified: set[int], hooks: list[Webhook]) -> list[dict]:
    """Delivery rows: the active webhooks (``hooks``) subscribed to the event, and mail for
    notified users who want each event."""
    rows = [
        {"channel": "webhook", "target_id": hook.id}
        for hook in hooks
        if event.kind in hook.events.split(",")
    ]
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


def _to_user(event: Event, data: dict, batch: _Batch) -> Writes:
    return lambda: _add_deliveries(event, [{"channel": "email", "target_id": data["user_id"]}])


def _webhook_test(event: Event, data: dict, batch: _Batch) -> Writes:
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
