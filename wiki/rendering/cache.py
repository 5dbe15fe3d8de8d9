"""Rendering with the database: which linked pages exist, and the per-revision HTML cache.

The HTML of a revision is kept in two places, both tagged with the page's generation
(wiki/pages/generations.py) and trusted only at that generation: the ``render_cache`` table
(written with the save, or best effort by a view that had to render) and, in each worker, a
cachetools LRU of at most ``WIKI_HTML_CACHE_BYTES`` bytes so a logged-in view of a popular
page costs no query for its HTML.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field

from cachetools import LRUCache
from flask import current_app
from sqlalchemy import Connection, String, any_, bindparam, select, union
from sqlalchemy.dialects.postgresql import ARRAY

from wiki import slots
from wiki.db import upsert, write_if_free
from wiki.extensions import db
from wiki.models import Attachment, Page, Redirect, RenderCache, Revision
from wiki.rendering.guard import safe_render, warm_up
from wiki.rendering.markdown import RENDERER_VERSION, Rendered, extract_link_targets
from wiki.rendering.openapi_sources import for_view, with_attachments


@dataclass(frozen=True)
class PageHTML:
    """What a page view needs from a rendered revision."""

    html: str
    toc_html: str
    meta: dict = field(default_factory=dict)
    uses_mermaid: bool = False
    uses_math: bool = False

    @property
    def size(self) -> int:
        """Bytes this entry holds, roughly (what the worker cache budgets)."""
        return len(self.html.encode()) + len(self.toc_html.encode()) + 200


DEFAULT_HTML_BUDGET = 32 * 1024 * 1024
_lock = threading.Lock()


def _worker_cache() -> LRUCache:
    app = current_app._get_current_object()
    cache = app.extensions.get("nexus_html_cache")
    if cache is None:
        budget = app.config.get("WIKI_HTML_CACHE_BYTES", DEFAULT_HTML_BUDGET)
        cache = app.extensions.setdefault(
            "nexus_html_cache", LRUCache(maxsize=budget, getsizeof=lambda e: e.size)
        )
    return cache


def existing_titles(titles) -> set[str]:
    """The subset of ``titles`` that are live pages or redirects, in one query."""
    titles = list(titles)
    if not titles:
        return set()
    if db.engine.dialect.name == "postgresql":
        # One array parameter instead of an IN list of hundreds: PostgreSQL plans the query
        # about three times faster for a page with 200 links (bench/bench_links.py).
        wanted = bindparam("titles", titles, type_=ARRAY(String))
        live_match, moved_match = Page.title == any_(wanted), Redirect.title == any_(wanted)
    else:
        live_match, moved_match = Page.title.in_(titles), Redirect.title.in_(titles)
    live = select(Page.title).where(live_match, Page.deleted.is_(False))
    moved = select(Redirect.title).where(moved_match)
    return set(db.session.scalars(union(live, moved)))


def image_sizes(title: str | None) -> dict[str, tuple[int, int]]:
    """Width and height of the newest version of each image attached to page ``title``."""
    if not title:
        return {}
    rows = db.session.execute(
        select(Attachment.name, Attachment.width, Attachment.height)
        .join(Page, Page.id == Attachment.page_id)
        .where(Page.title == title, Attachment.width.is_not(None))
        .order_by(Attachment.version)
    )
    return {name: (width, height) for name, width, height in rows}


def render_for_save(
    body: str,
    title: str | None,
    *,
    timeout: float | None = None,
    attachments_inlined: bool = False,
) -> Rendered:
    """Render under the time and depth guard (``timeout`` seconds, else the configured
    ``WIKI_RENDER_TIMEOUT``), holding a render slot when the caller asked for it
    (:func:`wiki.slots.renders_held`: saves and previews). ```openapi blocks naming an
    attachment get its newest version, unless the caller wrote them in already.

    :raises RenderError: too complex. :raises Busy: no render slot came free in time.
    """
    if not attachments_inlined:
        body = with_attachments(body, title)
    existing = existing_titles(extract_link_targets(body))
    sizes = image_sizes(title) if "](" in body else None
    warm_up()  # a worker's cold start never holds the host's render slot
    with slots.slot_if_held():  # only the render itself: the queries above need none
        return safe_render(
            body,
            existing=existing,
            page_title=title,
            image_sizes=sizes,
            timeout=timeout or current_app.config["WIKI_RENDER_TIMEOUT"],
        )


def _row_values(rendered: Rendered) -> dict:
    flags = (("mermaid", rendered.uses_mermaid), ("math", rendered.uses_math))
    return {
        "renderer_version": RENDERER_VERSION,
        "links_json": json.dumps(sorted(rendered.links)),
        "missing_json": json.dumps(sorted(rendered.missing)),
        "html": rendered.html,
        "toc_html": rendered.toc_html,
        "meta_json": json.dumps(rendered.meta, default=str),
        "flags": ",".join(f for f, on in flags if on),
    }


@functools.cache  # built once, as wiki.db.upsert: SQLAlchemy then compiles it once
def _insert_with_generation(names: tuple[str, ...]):
    """INSERT of a render-cache row (``names``' values) whose generation is read from the
    page by the statement itself: the page's generation in this transaction, with no round
    trip to fetch it."""
    table = RenderCache.__table__
    row = select(*(bindparam(n, type_=table.c[n].type) for n in names), Page.generation)
    return table.insert().from_select(
        [*names, "generation"], row.where(Page.id == bindparam("page_id"))
    )


def store_render(revision: Revision, rendered: Rendered) -> None:
    """Keep the HTML of a revision written in this transaction; the caller commits.

    Call it after the revision was flushed (its page's generation bumped): the row is tagged
    with the generation the page has in this transaction.
    """
    # A new revision has no row yet (a deleted revision's rows go with it: ON DELETE CASCADE)
    values = {"revision_id": revision.id, **_row_values(rendered)}
    store = _insert_with_generation(tuple(values))
    db.session.execute(store, {"page_id": revision.page_id, **values})


def _store_best_effort(revision_id: int, generation: int, rendered: Rendered) -> None:
    """Keep what a view rendered, if the write lock is free right now (else skip)."""
    values = _row_values(rendered) | {"generation": generation}

    def write(conn: Connection) -> None:
        stmt = upsert(RenderCache, ("revision_id", *values), "revision_id", update=tuple(values))
        conn.execute(stmt, {"revision_id": revision_id, **values})

    write_if_free(write)


def _from_row(row: RenderCache) -> PageHTML:
    flags = set(row.flags.split(","))
    return PageHTML(
        html=row.html,
        toc_html=row.toc_html,
        meta=json.loads(row.meta_json or "{}"),
        uses_mermaid="mermaid" in flags,
        uses_math="math" in flags,
    )


def page_html(revision: Revision, generation: int | None = None) -> PageHTML:
    """The revision's HTML as of page generation ``generation`` (read before this call;
    by default the generation of the revision's page as loaded in this session).

    No query when this worker has it; else one for the cache row; renders again only when
    the renderer changed or the page's generation moved on (then refreshes the row, best
    effort). A concurrent change makes the entry stale, never wrong: it carries the
    generation read before rendering.
    """
    page = None
    if generation is None:
        page = db.session.get(Page, revision.page_id)
        generation = page.generation
    key = (revision.id, generation, RENDERER_VERSION)
    cache = _worker_cache()
    with _lock:
        hit = cache.get(key)
    if hit is not None:
        return hit
    row = db.session.scalar(
        select(RenderCache).where(
            RenderCache.revision_id == revision.id,
            RenderCache.generation == generation,
            RenderCache.renderer_version == RENDERER_VERSION,
        )
    )
    if row is not None:
        entry = _from_row(row)
    else:
        body = revision.body
        if "openapi" in body:  # which versions of its attachments: see for_view
            page = page or db.session.get(Page, revision.page_id)
            body = for_view(revision, current=revision.number == page.current_rev)
        rendered = render_for_save(body, revision.title, attachments_inlined=True)
        _store_best_effort(revision.id, generation, rendered)
        entry = PageHTML(
            html=rendered.html,
            toc_html=rendered.toc_html,
            meta=rendered.meta,
            uses_mermaid=rendered.uses_mermaid,
            uses_math=rendered.uses_math,
        )
    if entry.size <= cache.maxsize // 8:
        with _lock:
            cache[key] = entry
    return entry
