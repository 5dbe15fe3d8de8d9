"""Where a page sits among the others, for the page view: the tree beside it (its ancestors,
its siblings, each with its children so they can be expanded, and its own children: one query
bounded by ``LIMIT`` titles) and the footer under it (tags and sub-pages)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from wiki.db import starts_with
from wiki.extensions import db
from wiki.models import Page, PageTag
from wiki.text.titles import SEPARATOR

SUBPAGES_LIMIT = 200  # sub-pages listed under a page
LIMIT = 1500  # sub-pages read for one level: a bigger level shows its first ones
LEVEL_LIMIT = 60  # entries shown at one level


@dataclass(frozen=True)
class TreeNode:
    title: str
    current: bool = False
    children: list[TreeNode] = field(default_factory=list)
    more_children: bool = False

    @property
    def name(self) -> str:
        return self.title.rsplit(SEPARATOR, 1)[-1]


@dataclass(frozen=True)
class PageTree:
    ancestors: list[tuple[str, bool]]  # (title, exists), outermost first
    siblings: list[TreeNode]  # the page's level, the page itself among them
    more_siblings: bool


def _depth(title: str) -> int:
    return title.count(SEPARATOR)


def build_tree(title: str, titles: Iterable[str]) -> PageTree:
    """The tree of ``title`` from the live titles under its parent (PURE).

    Guarantees: siblings and children in the order given, at most ``LEVEL_LIMIT`` per level
    (the current page always kept); ancestors whatever exists of them.
    """
    parts = title.split(SEPARATOR)
    depth = len(parts) - 1
    known = set(titles)
    ancestors = [
        (SEPARATOR.join(parts[: i + 1]), SEPARATOR.join(parts[: i + 1]) in known)
        for i in range(depth)
    ]
    level = [t for t in titles if _depth(t) == depth]
    if title not in level:
        level.append(title)
    kids: dict[str, list[str]] = {}
    for t in titles:
        if _depth(t) == depth + 1:
            kids.setdefault(t.rsplit(SEPARATOR, 1)[0], []).append(t)
    shown = level[:LEVEL_LIMIT]
    if title not in shown:
        shown[-1] = title
    siblings = [
        TreeNode(
            t,
            current=t == title,
            children=[TreeNode(c) for c in kids.get(t, [])[:LEVEL_LIMIT]],
            more_children=len(kids.get(t, [])) > LEVEL_LIMIT,
        )
        for t in shown
    ]
    return PageTree(ancestors, siblings, len(level) > LEVEL_LIMIT)


def page_tree(title: str) -> PageTree:
    """The tree beside the live page ``title``, A–Z, in two small queries: the titles under
    the page's parent down to one level below the page (at the top level, which is the whole
    wiki: the first ``LEVEL_LIMIT`` + 1 top-level titles and the page's own sub-pages), then
    the ancestors."""
    parts = title.split(SEPARATOR)
    depth = len(parts) - 1
    slashes = func.length(Page.title) - func.length(func.replace(Page.title, SEPARATOR, ""))
    live = Page.deleted.is_(False)
    order = func.lower(Page.title)
    if not depth:
        top = ~Page.title.contains(SEPARATOR, autoescape=True)
        titles = list(
            db.session.scalars(
                select(Page.title).where(top, live).order_by(order).limit(LEVEL_LIMIT + 1)
            )
        )
        under = starts_with(Page.title, title + SEPARATOR)
        titles += db.session.scalars(
            select(Page.title).where(under, slashes == 1, live).order_by(order).limit(LIMIT)
        )
        return build_tree(title, titles)
    # The prefix test comes first: slashes are only counted on the rows it lets through.
    under = starts_with(Page.title, SEPARATOR.join(parts[:-1]) + SEPARATOR)
    stmt = select(Page.title).where(under, slashes <= depth + 1, live)
    titles = list(db.session.scalars(stmt.order_by(order).limit(LIMIT)))
    ancestors = [SEPARATOR.join(parts[: i + 1]) for i in range(depth)]
    titles += db.session.scalars(select(Page.title).where(Page.title.in_(ancestors), live))
    return build_tree(title, titles)


@dataclass(frozen=True)
class FooterInfo:
    tags: list[str]
    subpages: list[str]
    more_subpages: bool


def footer_info(page: Page) -> FooterInfo:
    """Tags and sub-pages of a live page, for the page footer (two small queries)."""
    tags = list(
        db.session.scalars(
            select(PageTag.tag).where(PageTag.page_id == page.id).order_by(PageTag.tag)
        )
    )
    subpages = list(
        db.session.scalars(
            select(Page.title)
            .where(
                starts_with(Page.title, page.title + SEPARATOR),
                Page.deleted.is_(False),
            )
            .order_by(Page.title)
            .limit(SUBPAGES_LIMIT + 1)
        )
    )
    return FooterInfo(tags, subpages[:SUBPAGES_LIMIT], len(subpages) > SUBPAGES_LIMIT)
