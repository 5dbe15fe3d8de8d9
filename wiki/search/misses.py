"""Searches that found nothing, counted in batches for the "wanted pages" list.

A miss is noted in the worker's memory (text, count, who searched) and written later, many at
once, by a short-lived background thread that tries the write lock without waiting
(wiki.db.write_if_free): a search never queues behind a save, and a busy database only delays
the count. Memory is bounded (``MAX_PENDING`` texts, ``MAX_SEARCHERS`` searchers kept per
text); past that, misses are dropped, which only undercounts.

Who searched is a user id (``u:42``) or, for anonymous readers, a keyed hash of their address
(``a:…``), so the list can require several distinct people (wiki/structure/queries.py) and no
address is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import Connection, func, select, update

from wiki.db import dialect_insert, write_if_free
from wiki.models import SearchMiss, SearchMissSearcher, now_utc

MAX_PENDING = 1000
MAX_SEARCHERS = 20
DEFAULT_FLUSH_SECONDS = 2.0


@dataclass
class _Miss:
    query: str
    count: int = 0
    last_at: datetime = field(default_factory=now_utc)
    searchers: set[str] = field(default_factory=set)


class _Pending:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.misses: dict[str, _Miss] = {}
        self.flusher: threading.Thread | None = None
        self.closed = False  # set by discard(): an app being torn down writes nothing more


def _pending(app: Flask) -> _Pending:
    return app.extensions.setdefault("nexus_search_misses", _Pending())


def searcher_key(user_id: int | None, address: str | None) -> str:
    """``u:<id>`` for a user, else a keyed hash of the address (never the address itself)."""
    if user_id is not None:
        return f"u:{user_id}"
    secret = str(current_app.config.get("SECRET_KEY", "")).encode()
    digest = hmac.new(secret, (address or "?").encode(), hashlib.sha256).hexdigest()
    return f"a:{digest[:32]}"


def note(text: str, searcher: str | None) -> None:
    """Count one miss of ``text`` (already cleaned) by ``searcher``; written within seconds."""
    app = current_app._get_current_object()
    pending = _pending(app)
    key = text.lower()
    with pending.lock:
        miss = pending.misses.get(key)
        if miss is None:
            if len(pending.misses) >= MAX_PENDING:
                return
            miss = pending.misses[key] = _Miss(text)
        miss.count += 1
        miss.last_at = now_utc()
        if searcher and len(miss.searchers) < MAX_SEARCHERS:
            miss.searchers.add(searcher)
        if pending.flusher is None or not pending.flusher.is_alive():
            pending.flusher = threading.Thread(
                target=_flush_soon, args=(app,), name="search-misses", daemon=True
            )
            pending.flusher.start()


def discard(app: Flask) -> None:
    """Forget the misses not written yet and write none later (an app shutting down: tests)."""
    pending = _pending(app)
    with pending.lock:
        pending.closed = True
        pending.misses.clear()


def _flush_soon(app: Flask) -> None:
    delay = app.config.get("WIKI_SEARCH_MISS_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS)
    for _ in range(30):  # give up after a while: the next miss starts another thread
        time.sleep(delay)
        with app.app_context():
            if flush():
                return


def flush() -> bool:
    """Write the misses noted so far in one transaction if the write lock is free.

    Returns True when nothing is left to write.
    """
    pending = _pending(current_app._get_current_object())
    with pending.lock:
        batch, pending.misses = pending.misses, {}
    if not batch or pending.closed:
        return True
    if write_if_free(lambda conn: _write(conn, batch)) is None:
        with pending.lock:  # busy: keep them for the next try
            for key, miss in batch.items():
                if key not in pending.misses and len(pending.misses) < MAX_PENDING:
                    pending.misses[key] = miss
                elif key in pending.misses:
                    _merge(pending.misses[key], miss)
        return False
    return True


def _merge(into: _Miss, other: _Miss) -> None:
    into.count += other.count
    into.last_at = max(into.last_at, other.last_at)
    into.searchers |= set(list(other.searchers)[: MAX_SEARCHERS - len(into.searchers)])


def _write(conn: Connection, batch: dict[str, _Miss]) -> bool:
    for key, miss in sorted(batch.items()):
        stmt = dialect_insert(SearchMiss).values(
            query_key=key, query=miss.query, count=miss.count, last_at=miss.last_at
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[SearchMiss.query_key],
                set_={"count": SearchMiss.count + miss.count, "last_at": stmt.excluded.last_at},
            )
        )
        for searcher in sorted(miss.searchers):
            conn.execute(
                dialect_insert(SearchMissSearcher)
                .values(query_key=key, searcher=searcher)
                .on_conflict_do_nothing()
            )
        distinct = select(func.count()).where(SearchMissSearcher.query_key == key).scalar_subquery()
        conn.execute(
            update(SearchMiss).where(SearchMiss.query_key == key).values(searchers=distinct)
        )
    return True
