"""Per-page generations: the one invalidation story of every cache of a page view.

``Page.generation`` is bumped in the same transaction (the same flush) as any change that can
alter the view of that page:

* a new revision of the page (edit, create, revert, rename, delete, restore, protect),
* a discussion thread opened or resolved (the count on its Discussion tab),
* a new attachment version of the page (upload, re-upload, restore of an old version),
* its title or deleted flag changing — which also bumps the pages that link to the old and
  new title (their red links turn blue or back) and the parent pages of both titles (their
  list of sub-pages changes).

A page created, deleted, restored or renamed also bumps the site's *structure* generation
(:class:`wiki.models.SiteGeneration`): the page tree beside every page lists its neighbours,
their sub-pages and its ancestors, too many pages to bump one by one (at the top level, all of
them). A view's cache key holds both generations.

The render cache row, the worker's HTML cache and the anonymous whole-page cache all record
the generation they were built at; any other generation means stale. The bump happens in a
``before_flush`` listener, so no write path can forget it; bulk ``UPDATE`` statements on
pages bypass the ORM and must call :func:`bump_titles` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from wiki.db import dialect_insert
from wiki.models import STRUCTURE, Attachment, Link, Page, Revision, SiteGeneration
from wiki.text.titles import SEPARATOR


def parents(title: str) -> list[str]:
    """``A/B/C`` -> ``["A", "A/B"]``: the pages whose sub-page list shows ``title``."""
    parts = title.split(SEPARATOR)
    return [SEPARATOR.join(parts[:i]) for i in range(1, len(parts))]


def bump_titles(session: Session, titles: Iterable[str]) -> None:
    """Bump the pages linking to ``titles`` and the parents of ``titles``; in the caller's
    transaction."""
    titles = sorted(set(titles))
    if not titles:
        return
    linkers = select(Link.source_id).where(Link.target_title.in_(titles))
    above = sorted({p for t in titles for p in parents(t)})
    # Two statements, each using its index (an OR of both would scan the pages table).
    for where in [Page.id.in_(linkers)] + ([Page.title.in_(above)] if above else []):
        session.connection().execute(
            update(Page)
            .where(where)
            .values(generation=Page.generation + 1)
            .execution_options(synchronize_session=False)
        )


def _changed(page: Page, name: str) -> list:
    history = inspect(page).attrs[name].history
    return list(history.deleted) + list(history.added) if history.has_changes() else []


@event.listens_for(Session, "before_flush")
def _bump_generations(session: Session, _context, _instances) -> None:
    own: set[int] = set()
    pages: list[Page] = []
    structural: set[str] = set()
    for obj in session.new:
        if isinstance(obj, Revision | Attachment) and obj.page_id is not None:
            own.add(obj.page_id)
        elif isinstance(obj, Page):
            structural.add(obj.title)
    for obj in session.dirty:
        if not isinstance(obj, Page):
            continue
        titles = _changed(obj, "title")
        if titles or _changed(obj, "deleted"):
            structural.update(titles or [obj.title])
            pages.append(obj)
        elif _changed(obj, "protected") or _changed(obj, "open_threads"):
            pages.append(obj)
    for page in pages:
        own.discard(page.id)
        page.generation = Page.generation + 1  # evaluated by the database: never stale
    loaded = {p.id: p for p in session.identity_map.values() if isinstance(p, Page)}
    for page_id in own:
        if page_id in loaded and loaded[page_id] not in session.deleted:
            loaded[page_id].generation = Page.generation + 1
        else:
            session.connection().execute(
                update(Page)
                .where(Page.id == page_id)
                .values(generation=Page.generation + 1)
                .execution_options(synchronize_session=False)
            )
    bump_titles(session, structural)
    if structural:  # an upsert: a database emptied table by table still counts
        bump = dialect_insert(SiteGeneration).values(name=STRUCTURE, value=1)
        session.connection().execute(
            bump.on_conflict_do_update(
                index_elements=[SiteGeneration.name], set_={"value": SiteGeneration.value + 1}
            )
        )
