"""Page templates: any live page under ``Templates/`` can start a new page."""

from __future__ import annotations

from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Page, Revision

TEMPLATES_PREFIX = "Templates/"


def template_titles() -> list[str]:
    """Titles of the live pages under ``Templates/``, A–Z (for the create form's picker)."""
    return list(
        db.session.scalars(
            select(Page.title)
            .where(Page.title.startswith(TEMPLATES_PREFIX, autoescape=True))
            .where(Page.deleted.is_(False))
            .order_by(Page.title)
        )
    )


def template_body(title: str) -> str | None:
    """The current text of template ``title``; None unless it is a live page under Templates/."""
    if not title.startswith(TEMPLATES_PREFIX):
        return None
    return db.session.scalar(
        select(Revision.body)
        .join(Page, Revision.current_of(Page))
        .where(Page.title == title, Page.deleted.is_(False))
    )
