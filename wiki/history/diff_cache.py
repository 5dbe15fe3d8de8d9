"""Diffs computed once per worker: a diff of two revisions never changes.

What a diff view shows of the diff itself — the HTML of its table or blocks with their
notices, and the counts above them — is kept per revision pair and way of showing it
(source or rendered, inline or split, changes only or all lines), with the renderer version
and the page's title (the table's links name it) in the key; a rendered diff also with the
page's generation, as its HTML shows which linked pages exist. The rest of the page (who
reads it, the API notes) is rendered per request around it. The JSON API keeps its diff
documents here too.

At most ``WIKI_DIFF_CACHE_BYTES`` per worker (``page_cache.ByteCache``: a diff over an eighth of
that is not kept), for ``TTL`` seconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from flask import current_app
from markupsafe import Markup

from wiki.pages.page_cache import app_cache

TTL = 3600.0
DEFAULT_BUDGET = 16 * 1024 * 1024
_KEY = "nexus_diff_cache"


@dataclass(frozen=True)
class ShownDiff:
    """A diff as its view shows it; ``html`` was rendered (and escaped) by our templates."""

    html: Markup
    added: int = 0
    removed: int = 0
    identical: bool = False
    uses_mermaid: bool = False
    uses_math: bool = False

    def to_bytes(self) -> bytes:
        return json.dumps({**asdict(self), "html": str(self.html)}).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> ShownDiff:
        fields = json.loads(data)
        return cls(**{**fields, "html": Markup(fields["html"])})


def cached(key: tuple, build: Callable[[], bytes]) -> bytes:
    """The bytes kept for ``key``, else built (and kept). ``build`` may raise: nothing is kept."""
    app = current_app._get_current_object()
    budget = app.config.get("WIKI_DIFF_CACHE_BYTES", DEFAULT_BUDGET)
    return app_cache(app, _KEY, budget, TTL).get_or_build(key, build)


def shown(key: tuple, build: Callable[[], ShownDiff]) -> ShownDiff:
    """The diff as shown, kept for ``key`` (see :func:`cached`)."""
    return ShownDiff.from_bytes(cached(("shown", *key), lambda: build().to_bytes()))
