"""Keeping the search index in step with the database: ``queue`` before, ``sync`` after commit.

Every change of a page (save, revert, rename, delete, restore, import) calls
``queue(page.id)`` inside its write transaction and ``sync()`` after the commit. The design:

1. **The database is the source of truth.** ``queue`` upserts a ``SearchStale`` row
   (page id, ``queued_at`` = now) in the caller's transaction, so "this page's index entry
   is stale" commits or rolls back together with the revision. A page queued again gets a
   newer ``queued_at``.
2. **``sync()`` drains the table after the commit**, from whichever process runs it: it
   reads a batch of stale rows (page id, ``queued_at``), builds each page's document from
   the database as it is *now* (deleted pages become removals), ``apply``s them to the
   index, and only then deletes exactly the rows it read whose ``queued_at`` has not
   changed. A page re-queued while it was being indexed keeps its row and is indexed again.
   A save in a request wakes this process's indexer thread instead (``sync_after_save``,
   wiki/search/indexer.py) and answers at once; until the thread has run, the row says the
   page is stale, exactly as after a crash.
3. **Whoosh concurrency.** ``apply`` opens the writer under Whoosh's file lock with a
   timeout and retries with backoff (never AsyncWriter or BufferedWriter), commits before it
   returns, and never replaces an indexed revision with an older one. So several gunicorn
   workers draining at once serialise on the lock, each writes the latest database state,
   and a late writer cannot undo a newer one. No read transaction is held while waiting.
   Merging index segments, the one slow part of a Whoosh write, runs after the response
   has been sent (``WhooshBackend.maintain``), and never waits for the lock.
4. **Failures never fail the save.** If the index is busy for too long, corrupt, or anything
   else goes wrong, ``sync`` logs it and leaves the rows; the next write (in any process)
   or the next start drains them. A crash between the commit and the index write leaves
   the rows too, with the same repair.
5. **Start-up** (lazily: the first search or sync in a process, never at import or in
   ``create_app``): a new or unreadable index is rebuilt from the database; otherwise every
   page whose indexed revision differs from the database is re-indexed; then the stale rows
   are drained. A rebuild reads the stale rows first and clears them after the new index is
   live, since it read every page after they were written.
6. **PostgreSQL backend** (``SEARCH_BACKEND=postgres``): the index is the
   ``search_documents`` table, so where a change is indexed before its response (outside
   requests, and with ``SEARCH_SYNC = "request"``), ``queue`` has the page's row written in
   the *same* transaction: just before the commit (so it sees the final state, e.g.
   ``deleted``), in a savepoint, which also deletes the page's stale row. If that fails, the
   savepoint is rolled back, the save still commits, and the stale row is drained as in (2).
   A save in a request with ``SEARCH_SYNC = "background"`` (the default) leaves its row to
   the host's indexer, as on Whoosh: the save holds its page's row lock for less time, and
   the indexer writes the rows of every save of the last moment in one transaction (a busy
   page saved twenty times a second has its GIN entries rewritten once, not twenty times).

From the caller's side both backends behave alike: after ``sync()`` returns, searches in
any process see the change (or it is recorded as pending and will be repaired).
"""

from __future__ import annotations

import logging

from flask import current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from wiki.db import upsert
from wiki.extensions import db
from wiki.models import SearchStale, now_utc
from wiki.search import indexer
from wiki.search import service as search_service

log = logging.getLogger(__name__)

# With SEARCH_SYNC="request", pages up to this size are searchable when their save's response
# arrives; longer pages are indexed just after it (see ``sync_after_save``).
INDEX_IN_REQUEST_MAX_BYTES = 32 * 1024

# Session.info key: page ids to index in the transaction (PostgreSQL backend).
_PENDING = "nexus_search_pending"


def queue(page_id: int) -> None:
    """Record, in the caller's transaction, that ``page_id``'s search entry is stale."""
    stmt = upsert(SearchStale, ("page_id", "queued_at"), "page_id", update=("queued_at",))
    db.session.execute(stmt, {"page_id": page_id, "queued_at": now_utc()})
    if search_service.backend_name() == "postgres" and _indexed_before_response():
        db.session.info.setdefault(_PENDING, set()).add(page_id)
        if not event.contains(db.session, "before_commit", _index_pending):
            event.listen(db.session, "before_commit", _index_pending)
            event.listen(db.session, "after_rollback", _forget_pending)


def _indexed_before_response() -> bool:
    """Whether this change is indexed before its response is sent (see (6) above)."""
    return not has_request_context() or current_app.config.get("SEARCH_SYNC") == "request"


def sync() -> None:
    """Bring the index up to date with the stale records (after the DB commit), now. Never
    raises: what cannot be done now stays recorded and is retried later."""
    search_service.sync()


def optimize_after_import() -> None:
    """After a bulk import (which leaves the index in many parts), merge it into one while
    the importer waits anyway. Never raises: a busy index is merged another time."""
    try:
        search_service.optimize()
    except Exception:
        log.exception("search index: optimizing after the import failed; run `search optimize`")
        db.session.rollback()


def sync_after_save(size: int) -> None:
    """After a save's commit: by default wake this process's indexer thread and return at
    once (wiki.search.indexer); with ``SEARCH_SYNC = "request"``, index now, or for a page
    over INDEX_IN_REQUEST_MAX_BYTES just after the response has been sent (tokenizing
    100 KB in pure Python would otherwise be most of the save's time). Outside a request
    (import, CLI, jobs) it indexes now."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not has_request_context():
        search_service.sync()
    elif app.config.get("SEARCH_SYNC", "background") != "request":
        indexer.kick(app)
    elif size > INDEX_IN_REQUEST_MAX_BYTES:
        search_service.sync_after_response()
    else:
        search_service.sync()


def _index_pending(session: Session) -> None:
    """Before a commit: index the queued pages in the same transaction (PostgreSQL)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        with session.begin_nested():
            search_service.index_in_transaction(pending)
    except Exception:  # the stale rows stay; sync() after the commit retries
        log.exception("indexing in the save's transaction failed; sync() will retry")


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
