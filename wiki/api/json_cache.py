"""Per-worker cache of page documents (GET /api/v1/pages/<title>), like the page-view cache.

A page document is the same for every reader, so one entry serves all of them. Entries are
keyed by the page's *generation* (wiki/pages/generations.py: bumped in the same transaction as
any change that can alter the page), so a worker's entry stops matching the moment the page
changes, on any server. At most ``BUDGET`` bytes are kept (cachetools, sized in bytes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from cachetools import TTLCache
from flask import current_app

from wiki.pages.page_cache import generation

TTL = 300.0
BUDGET = 16 * 1024 * 1024
_KEY = "nexus_api_page_cache"


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: TTLCache[tuple, bytes] = TTLCache(maxsize=BUDGET, ttl=TTL, getsizeof=len)


def cached(title: str, key: tuple, build: Callable[[], bytes]) -> bytes:
    """The bytes stored for ``key`` of page ``title`` at its current generation, built (and
    kept) if missing. ``build`` may raise; nothing is stored then, nor for a missing page."""
    page_generation = generation(title)
    if page_generation is None:
        return build()
    store = current_app.extensions.setdefault(_KEY, _Store())
    full_key = (title, *key, page_generation)
    with store.lock:
        hit = store.entries.get(full_key)
    if hit is not None:
        return hit
    data = build()
    if len(data) <= BUDGET // 8:
        with store.lock:
            store.entries[full_key] = data
    return data
