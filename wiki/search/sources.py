"""What the search index is built from: ``SearchDoc`` values read from the database.

A live page's document is its current revision's rendered HTML as plain text (from the render
cache, split into prose, headings and code by ``doc_from_html``; the Markdown, by
``doc_from_markdown``, when the revision has no cached HTML of this renderer version), its
tags, the revision's author and time and its number.
Deleted pages, and ids with no page, are removals. Reads only; nothing is committed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from sqlalchemy import and_, select

from wiki.extensions import db
from wiki.models import Page, PageTag, RenderCache, Revision, User
from wiki.rendering.markdown import RENDERER_VERSION
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
    return [
        (doc_from_html if r.html is not None else doc_from_markdown)(
            r.id,
            r.title,
            r.html if r.html is not None else r.body,
            tags[r.id],
            r.username or "",
            r.created_at,
            r.current_rev,
        )
        for r in rows
    ]


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
