"""Read-only queries the API needs that no HTML view has (filtered title lists, page tags)."""

from __future__ import annotations

from sqlalchemy import func, select

from wiki.extensions import db
from wiki.models import Page, PageTag


def live_titles(
    *, prefix: str = "", tag: str = "", offset: int = 0, limit: int = 100
) -> tuple[list[str], int]:
    """Titles of live pages in case-insensitive order, filtered by a title prefix and a tag,
    one slice of them, and how many match in all."""
    where = [Page.deleted.is_(False)]
    if prefix:
        where.append(Page.title.startswith(prefix, autoescape=True))
    if tag:
        tagged = select(PageTag.page_id).where(PageTag.tag == " ".join(tag.split()).lower())
        where.append(Page.id.in_(tagged))
    total = db.session.scalar(select(func.count()).select_from(Page).where(*where))
    titles = db.session.scalars(
        select(Page.title)
        .where(*where)
        .order_by(func.lower(Page.title), Page.title)
        .offset(offset)
        .limit(limit)
    ).all()
    return list(titles), total


def page_tags(page_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(PageTag.tag).where(PageTag.page_id == page_id).order_by(PageTag.tag)
        )
    )
