"""Per-worker cache of page documents (GET /api/v1/pages/<title>), like the page-view cache.

A page document is the same for every reader, so one entry serves all of them. Entries are
keyed by the wiki's *generation* (the newest revision id, ``page_cache.generation``): every
change that can alter a page document adds a revision, so a worker's entries stop matching
the moment anything is saved, renamed, deleted, restored or protected, on any server.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app

from wiki.pages.page_cache import generation

TTL = 300.0
MAX_ENTRIES = 2000
_KEY = "nexus_api_page_cache"


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple, tuple[float, bytes]] = OrderedDict()


def cached(key: tuple, build: Callable[[], bytes]) -> bytes:
    """The bytes stored for ``key`` at the current generation, built (and kept) if missing.
    ``build`` may raise; nothing is stored then."""
    store = current_app.extensions.setdefault(_KEY, _Store())
    full_key = (*key, generation())
    with store.lock:
        hit = store.entries.get(full_key)
        if hit is not None and time.monotonic() - hit[0] < TTL:
            store.entries.move_to_end(full_key)
            return hit[1]
    data = build()
    with store.lock:
        store.entries[full_key] = (time.monotonic(), data)
        while len(store.entries) > MAX_ENTRIES:
            store.entries.popitem(last=False)
    return data
