"""Rendering with the database: which linked pages exist, and the per-revision HTML cache."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import String, any_, bindparam, select, union
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError, OperationalError

from wiki.extensions import db
from wiki.models import Attachment, Page, Redirect, RenderCache, Revision
from wiki.rendering.guard import safe_render
from wiki.rendering.markdown import RENDERER_VERSION, Rendered, extract_link_targets


@dataclass(frozen=True)
class PageHTML:
    """What a page view needs from a rendered revision."""

    html: str
    toc_html: str
    meta: dict = field(default_factory=dict)
    uses_mermaid: bool = False
    uses_math: bool = False


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


def render_for_save(body: str, title: str | None, *, timeout: float | None = None) -> Rendered:
    """Render under the time and depth guard (``timeout`` seconds, else the configured
    ``WIKI_RENDER_TIMEOUT``). :raises RenderError: too complex."""
    existing = existing_titles(extract_link_targets(body))
    return safe_render(
        body,
        existing=existing,
        page_title=title,
        image_sizes=image_sizes(title) if "](" in body else None,
        timeout=timeout or current_app.config["WIKI_RENDER_TIMEOUT"],
    )


def store_render(revision: Revision, rendered: Rendered) -> None:
    """Keep the HTML of a revision; the caller commits."""
    row = db.session.get(RenderCache, revision.id) or RenderCache(revision_id=revision.id)
    row.renderer_version = RENDERER_VERSION
    row.links_json = json.dumps(sorted(rendered.links))
    row.missing_json = json.dumps(sorted(rendered.missing))
    row.html = rendered.html
    row.toc_html = rendered.toc_html
    row.meta_json = json.dumps(rendered.meta, default=str)
    row.flags = ",".join(
        f for f, on in (("mermaid", rendered.uses_mermaid), ("math", rendered.uses_math)) if on
    )
    db.session.add(row)


def _from_row(row: RenderCache) -> PageHTML:
    flags = set(row.flags.split(","))
    return PageHTML(
        html=row.html,
        toc_html=row.toc_html,
        meta=json.loads(row.meta_json or "{}"),
        uses_mermaid="mermaid" in flags,
        uses_math="math" in flags,
    )


def page_html(revision: Revision) -> PageHTML:
    """The revision's HTML, from the cache when its red links are still right.

    Costs one query for the cache row and one for the existence of all linked pages; renders
    again (and refreshes the cache) only when the renderer changed or a link turned red/blue.
    """
    row = db.session.get(RenderCache, revision.id)
    if row is not None and row.renderer_version == RENDERER_VERSION:
        links = json.loads(row.links_json)
        missing_now = sorted(set(links) - existing_titles(links))
        if missing_now == json.loads(row.missing_json):
            return _from_row(row)
    rendered = render_for_save(revision.body, revision.title)
    try:
        store_render(revision, rendered)
        db.session.commit()
    except (IntegrityError, OperationalError):  # another worker cached it, or SQLite busy
        db.session.rollback()
    return PageHTML(
        html=rendered.html,
        toc_html=rendered.toc_html,
        meta=rendered.meta,
        uses_mermaid=rendered.uses_mermaid,
        uses_math=rendered.uses_math,
    )
