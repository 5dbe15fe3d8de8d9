"""Recording events: called inside the transaction of the change that causes them.

Each call adds one :class:`Event` row (and, for saves and new threads, the author's watch), so
the change and its event commit or roll back together: a crash can neither lose an event nor
invent one for a change that did not happen. Nothing here does I/O beyond those rows; the jobs
fan events out and deliver them after the commit (the session's ``after_commit`` wakes them).
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import bindparam, insert, text

from wiki.extensions import db
from wiki.models import Page, Revision, User, now_utc
from wiki.notify.models import Event, NotifySettings, Watch

KICK_FLAG = "nexus_jobs_kick"


_INSERT_EVENT = insert(Event.__table__)


def _add(kind: str, page: Page | None, actor: User | None, **fields) -> None:
    """One event row, inserted at once in the caller's transaction: a Core INSERT, as it
    runs in every save under the page lock (no ORM object for its commit to flush)."""
    data = fields.pop("data", {})
    row = {
        "uuid": str(uuid.uuid4()),
        "kind": kind,
        "page_id": page.id if page is not None else None,
        "actor_id": actor.id if actor is not None else None,
        "data": json.dumps(data),
        **fields,
    }
    db.session.execute(_INSERT_EVENT, row)
    db.session.info[KICK_FLAG] = True


# One statement, as it runs in every save under the page lock: no read of the watch or of the
# settings first. DO NOTHING keeps a watch the user has (and its sub-pages choice); no row of
# settings means the default, which is to watch. Text, so it is compiled once (see db.upsert).
_AUTO_WATCH = text(
    "INSERT INTO watches (user_id, page_id, subpages, created_at) "
    "SELECT :user_id, :page_id, :subpages, :created_at WHERE NOT EXISTS ("
    "SELECT 1 FROM notify_settings WHERE user_id = :user_id AND auto_watch = :off) "
    "ON CONFLICT (user_id, page_id) DO NOTHING"
).bindparams(
    bindparam("subpages", type_=Watch.__table__.c.subpages.type),
    bindparam("created_at", type_=Watch.__table__.c.created_at.type),
    bindparam("off", type_=NotifySettings.__table__.c.auto_watch.type),
)


def auto_watch(user: User | None, page: Page) -> None:
    """Watch ``page`` for ``user`` unless they turned auto-watching off or already watch it."""
    if user is None or page.id is None or user.is_system:  # the starter-content loader
        return
    db.session.execute(
        _AUTO_WATCH,
        {
            "user_id": user.id,
            "page_id": page.id,
            "subpages": False,
            "created_at": now_utc(),
            "off": False,
        },
    )


def record_page_saved(
    page: Page, revision: Revision, actor: User | None, *, api_breaking=0, api_changes=0
) -> None:
    """A new revision was saved (edit, create, merge, revert); its author watches the page.

    ``api_breaking`` of ``api_changes``: what the revision changed in the page's API, counted
    by the save. Like a comment's text, they travel with the event, so notify never compares
    revisions (that is history's, and history depends on notify, not the reverse).
    """
    auto_watch(actor, page)
    data = {"title": page.title, "summary": revision.summary, "kind": revision.kind}
    if api_changes:
        data["api"] = {"breaking": api_breaking, "changes": api_changes}
    _add("page.saved", page, actor, revision=revision.number, data=data)


def api_counts(data: dict) -> tuple[int, int]:
    """(breaking, all) API changes of a ``page.saved`` event's data; (0, 0) for none."""
    api = data.get("api") or {}
    return int(api.get("breaking") or 0), int(api.get("changes") or 0)


def record_page_renamed(page: Page, old_title: str, actor: User | None) -> None:
    data = {"title": page.title, "old_title": old_title}
    _add("page.renamed", page, actor, revision=page.current_rev, data=data)


def record_page_deleted(page: Page, actor: User | None) -> None:
    _add("page.deleted", page, actor, revision=page.current_rev, data={"title": page.title})


def record_comment(page: Page, thread, comment, actor: User | None, *, new_thread: bool) -> None:
    """A new thread (its opening comment) or a reply; the author watches the page."""
    auto_watch(actor, page)
    # The comment's text travels with the event (for its @mentions), so notify never reads
    # discussion tables: discuss depends on notify, not the other way round.
    data = {
        "title": page.title,
        "subject": thread.subject,
        "new_thread": new_thread,
        "text": comment.body,
    }
    _add("comment.created", page, actor, thread_id=thread.id, comment_id=comment.id, data=data)


def record_internal(kind: str, data: dict, page: Page | None = None) -> None:
    """An event for the delivery machinery only (verification mail, digest, webhook test)."""
    _add(kind, page, None, data=data)
