"""Per-worker cache of page documents (GET /api/v1/pages/<title>), like the page-view cache.

A page document is the same for every reader, so one entry serves all of them. Entries are
keyed by the page's *generation* (wiki/pages/generations.py: bumped in the same transaction as
any change that can alter the page), so a worker's entry stops matching the moment the page
changes, on any server. At most ``BUDGET`` bytes are kept (``page_cache.ByteCache``).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from wiki.pages.page_cache import app_cache, generation

TTL = 300.0
BUDGET = 16 * 1024 * 1024
_KEY = "nexus_api_page_cache"


def cached(title: str, key: tuple, build: Callable[[], bytes]) -> bytes:
    """The bytes stored for ``key`` of page ``title`` at its current generation, built (and
    kept) if missing. ``build`` may raise; nothing is stored then, nor for a missing page."""
    page_generation = generation(title)
    if page_generation is None:
        return build()
    store = app_cache(current_app, _KEY, BUDGET, TTL)
    return store.get_or_build((title, *key, page_generation), build)
