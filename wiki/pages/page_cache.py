"""Whole-page cache of anonymous page views, per worker process.

Anonymous readers are most of a wiki's traffic and all see the same HTML, like MediaWiki's
parser and file caches. An entry is keyed by what the view reads from the request — the page
title and the ``rev`` and ``redirectedfrom`` arguments, never other query strings — and by the
page's *generation*, which every change that can alter the view bumps in its own transaction
(wiki/pages/generations.py). One indexed query reads the generation, so several workers or
servers each keep their own entries and agree through the database. An entry lives at most
``TTL`` seconds, which bounds relative times ("5 minutes ago") and date-based notices.

The cache holds at most ``WIKI_PAGE_CACHE_BYTES`` of HTML (cachetools, sized in bytes), and a
single page larger than an eighth of that is not kept, so no flood of variants or huge page
can grow a worker. ``WIKI_PAGE_CACHE = False`` switches it off (for benchmarks).
"""

from __future__ import annotations

import threading

from cachetools import TTLCache
from flask import Response, current_app, request, session
from flask_login import current_user
from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Page

TTL = 60.0
DEFAULT_BUDGET = 32 * 1024 * 1024
Key = tuple[str, str | None, str | None, int]


class ByteCache:
    """Bytes kept per worker for ``ttl`` seconds within a byte budget (cachetools); a value
    over an eighth of the budget is not kept. Also the JSON API's page documents."""

    def __init__(self, budget: int, ttl: float) -> None:
        self.lock = threading.Lock()
        self.largest = budget // 8
        self.entries: TTLCache[tuple, bytes] = TTLCache(maxsize=budget, ttl=ttl, getsizeof=len)

    def get(self, key: tuple) -> bytes | None:
        with self.lock:
            return self.entries.get(key)

    def put(self, key: tuple, data: bytes) -> None:
        if len(data) <= self.largest:
            with self.lock:
                self.entries[key] = data


def store_of(app) -> ByteCache:
    """The app's store (created on first use with the configured budget; an app per test,
    so nothing leaks between apps)."""
    store = app.extensions.get("nexus_page_cache")
    if store is None:
        budget = app.config.get("WIKI_PAGE_CACHE_BYTES", DEFAULT_BUDGET)
        store = app.extensions.setdefault("nexus_page_cache", ByteCache(budget, TTL))
    return store


def _cacheable() -> bool:
    # Flashes live in the session: a reader with one pending must get a fresh page.
    return (
        current_app.config.get("WIKI_PAGE_CACHE", True)
        and request.method == "GET"
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def generation(title: str) -> int | None:
    """The live page's generation (one indexed query); None when it is missing or deleted."""
    return db.session.scalar(
        select(Page.generation).where(Page.title == title, Page.deleted.is_(False))
    )


def lookup(title: str) -> tuple[Key | None, Response | None]:
    """(key to store under, cached response or None); key is None when not cacheable."""
    if not _cacheable():
        return None, None
    page_generation = generation(title)
    if page_generation is None:
        return None, None  # missing, deleted or moved: those answers are not cached
    args = request.args
    key = (title, args.get("rev"), args.get("redirectedfrom"), page_generation)
    hit = store_of(current_app).get(key)
    if hit is not None:
        return key, Response(hit, mimetype="text/html")
    return key, None


def store(key: Key | None, html: str) -> None:
    if key is None:
        return
    store_of(current_app).put(key, html.encode("utf-8"))
