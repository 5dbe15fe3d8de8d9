"""Whole-page cache of page views, per worker process, for anonymous and logged-in readers.

A page view is rendered once as a *shell*: the whole HTML, with a mark wherever the reader
shows through — the header's user menu, the Watch button, "changed since your last visit",
who is editing now (each a small template, a *slot*), and every CSRF token. The shell is
kept and each request fills the marks for its own reader (:func:`fill`), so a logged-in view
costs a cache lookup, the query of its reader's state and a few small templates, like
MediaWiki's parser cache plus its per-user skin bits. Anonymous readers all see the same
page: theirs is rendered whole, slots in place, and served as it is.

Shells are keyed by what the view reads from the request — the page title and the ``rev`` and
``redirectedfrom`` arguments, never other query strings — by what the reader's role changes
in the page (anonymous, may edit, administrator: :func:`variant`), by the page's
*generation*, which every change that can alter the view bumps in its own transaction, and by
the site's *structure* generation, bumped by any page created, deleted, restored or renamed
(the page tree lists the page's neighbours; wiki/pages/generations.py). Several workers or
servers each keep their own shells and agree through the database. A shell lives at most
``TTL`` seconds, which bounds relative times ("5 minutes ago"). A reader with a flash message
pending gets a page rendered for them alone.

The cache holds at most ``WIKI_PAGE_CACHE_BYTES`` of HTML (cachetools, sized in bytes), and a
single page larger than an eighth of that is not kept, so no flood of variants or huge page
can grow a worker. ``WIKI_PAGE_CACHE = False`` switches it off (for benchmarks); pages are
then still rendered as shells and filled, so both ways show the same HTML.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cachetools import TTLCache
from flask import current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import bindparam, select

from wiki.db import first_row
from wiki.models import Page

TTL = 60.0
DEFAULT_BUDGET = 32 * 1024 * 1024
Key = tuple

# Marks carry a per-process secret, so no page text can forge one.
_NONCE = secrets.token_hex(8)
_SLOT_PREFIX = "\x00slot-" + _NONCE + ":"
_SLOT_MARK = _SLOT_PREFIX + "{}:{}\x00"  # the slot's template, its ``when``
_SLOT = re.compile((_SLOT_PREFIX + r"([\w/.]+):(\w*)\x00").encode())
_CSRF_MARK = "csrf-" + _NONCE
_SHELL = "nexus_shell"  # flask.g key: set while a shell renders
_CSRF_FIELD = "csrf_token"  # Flask-WTF keeps the request's signed token in g under this name


class ByteCache:
    """Bytes kept per worker for ``ttl`` seconds within a byte budget (cachetools); a value
    over an eighth of the budget is not kept. Also the JSON API's page documents and the
    computed diffs (wiki/history/diff_cache.py)."""

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

    def get_or_build(self, key: tuple, build: Callable[[], bytes]) -> bytes:
        """The bytes kept for ``key``, else ``build()``'s, kept. ``build`` may raise: then
        nothing is kept."""
        data = self.get(key)
        if data is None:
            data = build()
            self.put(key, data)
        return data


def app_cache(app, name: str, budget: int, ttl: float) -> ByteCache:
    """The ``ByteCache`` called ``name`` of ``app``, made on first use (one per app, so an app
    per test shares nothing with the next)."""
    cache = app.extensions.get(name)
    if cache is None:
        cache = app.extensions.setdefault(name, ByteCache(budget, ttl))
    return cache


def store_of(app) -> ByteCache:
    """The app's page-view store, within ``WIKI_PAGE_CACHE_BYTES``."""
    budget = app.config.get("WIKI_PAGE_CACHE_BYTES", DEFAULT_BUDGET)
    return app_cache(app, "nexus_page_cache", budget, TTL)


_PAGES = Page.__table__
# Built once, and plain Core (no ORM entity to set up): every API page read asks it.
_GENERATION = select(_PAGES.c.generation).where(
    _PAGES.c.title == bindparam("title"), _PAGES.c.deleted.is_(False)
)


def generation(title: str) -> int | None:
    """The live page's generation (one indexed query); None when it is missing or deleted."""
    row = first_row(_GENERATION, {"title": title})
    return None if row is None else row[0]


def variant(user, can_edit: bool) -> str:
    """What of the reader, besides the slots, changes a page view: anonymous readers, readers
    who may edit it (Edit tab, section links, rename box), administrators (protect, delete)."""
    if not user.is_authenticated:
        return "anonymous"
    return "admin" if user.is_admin else ("editor" if can_edit else "reader")


def key_for(state, reader: str) -> Key:
    """The cache key of a view: ``state`` is the page's row from readers.view_state, with
    the page's generation and the site's structure generation (the page tree)."""
    args = request.args
    return (
        state.title,
        args.get("rev"),
        args.get("redirectedfrom"),
        reader,
        state.generation,
        state.structure,
    )


def cacheable() -> bool:
    """Whether this request may use and fill the cache: asked before rendering, as a reader
    with a flash message pending gets a page of their own (the render takes the message)."""
    return current_app.config.get("WIKI_PAGE_CACHE", True) and "_flashes" not in session


def cached(key: Key) -> bytes | None:
    return store_of(current_app).get(key)


def keep(key: Key, shell: str) -> bytes:
    data = shell.encode("utf-8")
    store_of(current_app).put(key, data)
    return data


# -- shells and slots ---------------------------------------------------------------------


@contextmanager
def rendering_shell(*, marks: bool = True) -> Iterator[None]:
    """Within: templates render marks for slots and CSRF tokens instead of this reader's.
    Without ``marks`` (an anonymous reader, the same for all), slots render in place."""
    if not marks:
        yield
        return
    real_token = g.pop(_CSRF_FIELD, None)
    setattr(g, _CSRF_FIELD, _CSRF_MARK)
    setattr(g, _SHELL, True)
    try:
        yield
    finally:
        g.pop(_SHELL, None)
        g.pop(_CSRF_FIELD, None)
        if real_token is not None:
            setattr(g, _CSRF_FIELD, real_token)


def slot(context, name: str, when: str = "") -> Markup:
    """The ``slot(name, when)`` template global: the template ``name`` rendered here for this
    reader, or, while a shell renders, a mark that :func:`fill` replaces per request. With
    ``when``, the name of a context value, the slot shows only when that value is truthy."""
    if g.get(_SHELL):
        return Markup(_SLOT_MARK.format(name, when))
    return Markup(_render(context.environment, name, when, context.get_all()))


def _render(env, name: str, when: str, values: dict) -> str:
    if when and not values.get(when):
        return ""
    return env.get_template(name).render(values)


def fill(shell: bytes, values: dict) -> bytes:
    """The shell with each slot rendered for this reader (``values`` are their context) and
    this reader's CSRF token; UTF-8, like the shell."""
    app = current_app
    app.update_template_context(values)
    env = app.jinja_env

    def one(mark: re.Match) -> bytes:
        name, when = mark[1].decode(), mark[2].decode()
        return _render(env, name, when, values).encode("utf-8")

    html = _SLOT.sub(one, shell)
    csrf = _CSRF_MARK.encode()
    return html.replace(csrf, generate_csrf().encode()) if csrf in html else html
