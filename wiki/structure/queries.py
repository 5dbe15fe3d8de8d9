"""Read-side queries of the wiki's structure: backlinks, tags, sub-pages and maintenance lists.

Every list counts live pages only: deleted pages neither appear nor count as linking pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased, selectinload

from wiki.extensions import db
from wiki.models import Link, Page, PageTag, Redirect, SearchMiss
from wiki.text.titles import SEPARATOR, TitleError, normalize_title

WANTED_LIMIT = 200
SEARCH_SYNTAX = (":", '"', "*", "(", ")")


@dataclass(frozen=True)
class Backlink:
    title: str
    via: str | None = None  # the redirect title the link goes through, if not direct


@dataclass(frozen=True)
class Wanted:
    title: str
    links: int  # live pages linking to it
    searches: int  # searches that found nothing for it
    query_keys: tuple[str, ...] = ()  # the SearchMiss rows behind ``searches``

    @property
    def demand(self) -> int:
        return self.links + self.searches


def _live():
    return Page.deleted.is_(False)


def redirects_to(page: Page) -> list[str]:
    """Old titles that redirect to ``page``, A–Z."""
    return list(
        db.session.scalars(
            select(Redirect.title).where(Redirect.page_id == page.id).order_by(Redirect.title)
        )
    )


def backlinks(title: str, page: Page | None) -> list[Backlink]:
    """Live pages linking to ``title``, directly or through a redirect to ``page``; A–Z.

    One indexed query whatever the number of linking pages.
    """
    targets = [title] + (redirects_to(page) if page is not None and not page.deleted else [])
    rows = db.session.execute(
        select(Page.title, Link.target_title)
        .join(Page, Page.id == Link.source_id)
        .where(Link.target_title.in_(targets), _live(), Page.title != title)
        .order_by(func.lower(Page.title), Page.title)
    )
    found: dict[str, Backlink] = {}
    for source, target in rows:
        if source not in found or target == title:
            found[source] = Backlink(source, None if target == title else target)
    return list(found.values())


def tag_counts() -> list[tuple[str, int]]:
    """Every tag of a live page with its number of pages, A–Z."""
    count = func.count(PageTag.page_id)
    stmt = (
        select(PageTag.tag, count)
        .join(Page, Page.id == PageTag.page_id)
        .where(_live())
        .group_by(PageTag.tag)
        .order_by(PageTag.tag)
    )
    return [(tag, n) for tag, n in db.session.execute(stmt)]


def tagged(tag: str) -> list[str]:
    """Titles of the live pages carrying ``tag``, A–Z."""
    return list(
        db.session.scalars(
            select(Page.title)
            .join(PageTag, PageTag.page_id == Page.id)
            .where(PageTag.tag == tag, _live())
            .order_by(func.lower(Page.title), Page.title)
        )
    )


def _red_links(limit: int) -> list[tuple[str, int]]:
    """Link targets with no page (live or deleted) and no redirect, most linked first."""
    source = aliased(Page)
    count = func.count(Link.source_id)
    stmt = (
        select(Link.target_title, count)
        .join(source, source.id == Link.source_id)
        .where(source.deleted.is_(False))
        .where(~exists().where(Page.title == Link.target_title))
        .where(~exists().where(Redirect.title == Link.target_title))
        .group_by(Link.target_title)
        .order_by(count.desc(), Link.target_title)
        .limit(limit)
    )
    return [(title, n) for title, n in db.session.execute(stmt)]


def _missed_searches(limit: int, min_searchers: int) -> list[tuple[str, int, list[str]]]:
    """Searches that found nothing, made by at least ``min_searchers`` distinct people and not
    dismissed, as titles nobody has written yet (most searched first): (title, count, keys)."""
    misses = db.session.execute(
        select(SearchMiss.query_key, SearchMiss.query, SearchMiss.count)
        .where(SearchMiss.searchers >= min_searchers, SearchMiss.dismissed.is_(False))
        .order_by(SearchMiss.count.desc(), SearchMiss.query)
        .limit(limit)
    )
    found: dict[str, tuple[str, int, list[str]]] = {}
    for query_key, query, n in misses:
        title = search_title(query)
        if title is None:
            continue
        key = title.lower()
        previous = found.get(key, (title, 0, []))
        found[key] = (previous[0], previous[1] + n, previous[2] + [query_key])
    if not found:
        return []
    keys = list(found)
    taken = set(db.session.scalars(select(Page.title_key).where(Page.title_key.in_(keys))))
    redirect_key = func.lower(Redirect.title)
    taken |= set(db.session.scalars(select(redirect_key).where(redirect_key.in_(keys))))
    return [value for key, value in found.items() if key not in taken]


def search_title(query: str) -> str | None:
    """The page title a missed search asks for, or None when it is search syntax
    ("tag:x", quoted phrases, wildcards) or no valid title."""
    if any(c in query for c in SEARCH_SYNTAX):
        return None
    try:
        return normalize_title(query)
    except TitleError:
        return None


def wanted(
    limit: int = WANTED_LIMIT, *, with_searches: bool = False, min_searchers: int = 3
) -> list[Wanted]:
    """Pages people need written, most wanted first: red links, and with ``with_searches``
    missed searches made by at least ``min_searchers`` distinct people (never for anonymous
    readers: the text of a search is private to who typed it until several people did).

    A red link and a missed search for the same title (compared case-insensitively) make one
    entry; demand is linking pages plus searches.
    """
    entries: dict[str, Wanted] = {}
    for title, n in _red_links(limit):
        entries[title.lower()] = Wanted(title, n, 0)
    misses = _missed_searches(limit, min_searchers) if with_searches else []
    for title, n, query_keys in misses:
        key = title.lower()
        previous = entries.get(key) or Wanted(title, 0, 0)
        entries[key] = Wanted(
            previous.title,
            previous.links,
            previous.searches + n,
            tuple(previous.query_keys) + tuple(query_keys),
        )
    ranked = sorted(entries.values(), key=lambda w: (-w.demand, -w.links, w.title.lower()))
    return ranked[:limit]


def orphaned_query():
    """Live pages no live page links to, directly or through one of their redirects (A–Z).

    ``Home`` is left out: every page links to it through the site's header.
    """
    source = aliased(Page)
    direct = exists().where(
        Link.target_title == Page.title,
        Link.source_id == source.id,
        source.deleted.is_(False),
        source.id != Page.id,
    )
    via_redirect = exists().where(
        Redirect.page_id == Page.id,
        Link.target_title == Redirect.title,
        Link.source_id == source.id,
        source.deleted.is_(False),
        source.id != Page.id,
    )
    return (
        select(Page.title)
        .where(_live(), Page.title != "Home", ~direct, ~via_redirect)
        .order_by(func.lower(Page.title), Page.title)
    )


def deleted_pages() -> list[Page]:
    """Deleted pages, most recently deleted first, with who deleted each (one query more,
    not one per page)."""
    return list(
        db.session.scalars(
            select(Page)
            .where(Page.deleted.is_(True))
            .order_by(Page.deleted_at.desc(), Page.title)
            .options(selectinload(Page.deleted_by))
        )
    )


def random_title() -> str | None:
    """The title of a random live page (None when there are none)."""
    return db.session.scalar(select(Page.title).where(_live()).order_by(func.random()).limit(1))


def page_count_under(title: str) -> int:
    """Number of live sub-pages of ``title`` (for the rename form's "move sub-pages" option)."""
    return db.session.scalar(
        select(func.count(Page.id)).where(
            and_(Page.title.startswith(title + SEPARATOR, autoescape=True), _live())
        )
    )
