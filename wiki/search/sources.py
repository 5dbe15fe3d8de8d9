"""What the search index is built from: ``SearchDoc`` values read from the database.

A live page's document is its current revision's rendered HTML as plain text (from the render
cache, split into prose, headings and code by ``doc_from_html``; the Markdown, by
``doc_from_markdown``, when the revision has no cached HTML of this renderer version), its
tags, the revision's author and time and its number.
Deleted pages, and ids with no page, are removals. Reads only; nothing is committed.

A page whose ```openapi blocks name an attachment (``openapi: api.yaml``) is indexed with the
file's newest text as code, so its operation ids (which the reference does not show), paths
and summaries are found; the rest from its HTML only when that was rendered at the page's
current generation (every upload bumps it: older HTML may show an older file), else from the
Markdown. The files service queues the page when such a file is uploaded or restored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace

from sqlalchemy import and_, select

from wiki.extensions import db
from wiki.models import Page, PageTag, RenderCache, Revision, User
from wiki.rendering.markdown import RENDERER_VERSION
from wiki.rendering.openapi_sources import newest_texts
from wiki.search.documents import SearchDoc, doc_from_html, doc_from_markdown

CHUNK = 500  # pages per query: bounded memory, and far below SQLite's parameter limit


def _load(*conditions, limit: int | None = None) -> list[SearchDoc]:
    current = Revision.current_of(Page)
    # The render cache row of the current revision, when the renderer has not changed since.
    cached = and_(
        RenderCache.revision_id == Revision.id, RenderCache.renderer_version == RENDERER_VERSION
    )
    stmt = (
        select(
            Page.id,
            Page.title,
            Page.current_rev,
            Revision.body,
            Revision.created_at,
            User.username,
            RenderCache.html,
            RenderCache.generation.label("html_generation"),
            Page.generation,
        )
        .join(Revision, current)
        .outerjoin(User, User.id == Revision.author_id)
        .outerjoin(RenderCache, cached)
        .where(Page.deleted.is_(False), *conditions)
        .order_by(Page.id)
    )
    rows = db.session.execute(stmt.limit(limit) if limit else stmt).all()
    tags: dict[int, list[str]] = defaultdict(list)
    if rows:
        tag_rows = db.session.execute(
            select(PageTag.page_id, PageTag.tag)
            .where(PageTag.page_id.in_([r.id for r in rows]))
            .order_by(PageTag.page_id, PageTag.tag)
        )
        for page_id, tag in tag_rows:
            tags[page_id].append(tag)
    return [_doc(r, tags[r.id]) for r in rows]


def _doc(r, tags: list[str]) -> SearchDoc:
    html = r.html
    attached = newest_texts(r.id, r.body)
    if attached and r.html_generation != r.generation:
        html = None  # it may show an older version of a file the blocks name
    make, source = (doc_from_html, html) if html is not None else (doc_from_markdown, r.body)
    doc = make(r.id, r.title, source, tags, r.username or "", r.created_at, r.current_rev)
    return replace(doc, code="\n".join([doc.code, *attached])) if attached else doc


def docs_for(page_ids: Iterable[int]) -> tuple[list[SearchDoc], list[int]]:
    """(documents of the live pages among ``page_ids``, the other ids: removals)."""
    ids = sorted(set(page_ids))
    docs: list[SearchDoc] = []
    for start in range(0, len(ids), CHUNK):
        docs += _load(Page.id.in_(ids[start : start + CHUNK]))
    live = {doc.page_id for doc in docs}
    return docs, [pid for pid in ids if pid not in live]


def all_docs() -> Iterator[SearchDoc]:
    """Every live page's document, in page id order, CHUNK pages per query."""
    last = 0
    while True:
        docs = _load(Page.id > last, limit=CHUNK)
        yield from docs
        if len(docs) < CHUNK:
            return
        last = docs[-1].page_id


def live_revisions() -> dict[int, int]:
    """Page id -> current revision number, for every live page."""
    rows = db.session.execute(
        select(Page.id, Page.current_rev).where(Page.deleted.is_(False), Page.current_rev > 0)
    )
    return {int(pid): int(rev) for pid, rev in rows}
