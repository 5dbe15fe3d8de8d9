"""Whole-page cache of anonymous page views, per worker process.

Anonymous readers are most of a wiki's traffic and all see the same HTML, like MediaWiki's
parser and file caches. An entry is keyed by the request path and the wiki's *generation* —
the newest revision id — and lives at most ``TTL`` seconds. Every change that can alter a page
view (edit, create, rename, delete, restore, protect, import) adds a revision, so one indexed
``max(id)`` query tells a worker whether its entries still hold; several workers or servers
each keep their own and agree through the database. The TTL bounds relative times
("5 minutes ago") and date-based notices (stale pages).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Response, current_app, request, session
from flask_login import current_user
from sqlalchemy import func, select

from wiki.extensions import db
from wiki.models import Revision

TTL = 60.0
MAX_ENTRIES = 2000


class _Store:
    """One app's entries (an app per test, so nothing leaks between apps)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple[str, int], tuple[float, bytes]] = OrderedDict()


def _store() -> _Store:
    return current_app.extensions.setdefault("nexus_page_cache", _Store())


def _cacheable() -> bool:
    # Flashes live in the session: a reader with one pending must get a fresh page.
    return (
        request.method == "GET" and not current_user.is_authenticated and "_flashes" not in session
    )


def generation() -> int:
    return db.session.scalar(select(func.max(Revision.id))) or 0


def lookup() -> tuple[tuple[str, int] | None, Response | None]:
    """(key to store under, cached response or None); key is None when not cacheable."""
    if not _cacheable():
        return None, None
    key = (request.full_path, generation())
    cache = _store()
    with cache.lock:
        hit = cache.entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < TTL:
            cache.entries.move_to_end(key)
            return key, Response(hit[1], mimetype="text/html")
    return key, None


def store(key: tuple[str, int] | None, html: str) -> None:
    if key is None:
        return
    cache = _store()
    with cache.lock:
        cache.entries[key] = (time.monotonic(), html.encode("utf-8"))
        cache.entries.move_to_end(key)
        while len(cache.entries) > MAX_ENTRIES:
            cache.entries.popitem(last=False)
