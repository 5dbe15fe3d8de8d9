"""Learning metadata and freshness: ``level``, ``verified_with`` and ``last_verified``.

Pages may carry these in front matter. :func:`learning_meta` reads them (pure); a page whose
``last_verified`` is older than ``WIKI_STALE_AFTER_DAYS`` is stale. :func:`stale_pages` lists
the stale live pages for ``/special/stale``, oldest first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Page, RenderCache, Revision
from wiki.rendering.markdown import split_front_matter

LEVELS = ("beginner", "intermediate", "advanced")


@dataclass(frozen=True)
class LearningMeta:
    """What the metadata card shows; every field is None when the page does not say."""

    level: str | None = None
    verified_with: str | None = None
    last_verified: date | None = None
    age_days: int | None = None  # days since last_verified (negative: a date in the future)
    stale: bool = False

    @property
    def present(self) -> bool:
        return bool(self.level or self.verified_with or self.last_verified)


@dataclass(frozen=True)
class StalePage:
    title: str
    last_verified: date
    age_days: int
    verified_with: str | None
    level: str | None


def parse_date(value: object) -> date | None:
    """A date from front matter: a ``date``, or text starting ``YYYY-MM-DD``; else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _text(value: object, limit: int = 200) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return None
    text = " ".join(str(value).split())[:limit]
    return text or None


def learning_meta(meta: dict, *, today: date, stale_after_days: int) -> LearningMeta:
    """The learning metadata of a page's front matter ``meta`` as of ``today``.

    ``level`` is kept only when it is one of :data:`LEVELS` (case-insensitive). A page is
    stale when ``last_verified`` is more than ``stale_after_days`` days before ``today``.
    """
    if not isinstance(meta, dict):
        return LearningMeta()
    level = _text(meta.get("level"))
    level = level.lower() if level and level.lower() in LEVELS else None
    verified = parse_date(meta.get("last_verified"))
    age = (today - verified).days if verified else None
    return LearningMeta(
        level=level,
        verified_with=_text(meta.get("verified_with")),
        last_verified=verified,
        age_days=age,
        stale=age is not None and age > stale_after_days,
    )


def _today() -> date:
    return datetime.now(UTC).date()


def page_learning_meta(meta: dict) -> LearningMeta:
    """:func:`learning_meta` with today's UTC date and the app's ``WIKI_STALE_AFTER_DAYS``."""
    days = int(current_app.config.get("WIKI_STALE_AFTER_DAYS", 365))
    return learning_meta(meta or {}, today=_today(), stale_after_days=days)


def _current_metas():
    """(title, front matter) of live pages whose current text mentions ``last_verified``."""
    current = Revision.current_of(Page)
    stmt = (
        select(Page.title, RenderCache.meta_json, Revision.body)
        .join(Revision, current)
        .outerjoin(RenderCache, RenderCache.revision_id == Revision.id)
        .where(Page.deleted.is_(False), Revision.body.contains("last_verified", autoescape=True))
    )
    for title, meta_json, body in db.session.execute(stmt):
        try:
            meta = json.loads(meta_json) if meta_json else split_front_matter(body)[0]
        except ValueError:
            meta = split_front_matter(body)[0]
        yield title, meta


def stale_pages(days: int | None = None, *, today: date | None = None) -> list[StalePage]:
    """Live pages whose ``last_verified`` is over ``days`` days old (default: the app's
    ``WIKI_STALE_AFTER_DAYS``), oldest first, then by title.
    """
    if days is None:
        days = int(current_app.config.get("WIKI_STALE_AFTER_DAYS", 365))
    today = today or _today()
    found = []
    for title, meta in _current_metas():
        info = learning_meta(meta, today=today, stale_after_days=days)
        if info.stale and info.last_verified is not None and info.age_days is not None:
            found.append(
                StalePage(title, info.last_verified, info.age_days, info.verified_with, info.level)
            )
    found.sort(key=lambda p: (p.last_verified, p.title))
    return found
