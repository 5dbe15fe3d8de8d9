"""Search for the app: one interface over the Whoosh and the PostgreSQL backend.

``SEARCH_BACKEND`` picks the backend (``whoosh``, the default, or ``postgres``, which needs a
PostgreSQL database); each app builds its backend lazily, on first use, so creating an app
does no I/O. Pages reach the index as ``SearchDoc`` values built from the database: the
current revision's Markdown, the page's tags, the revision's author and time (deleted pages
are removals). ``wiki.search.indexing`` explains how the index stays in step with the database;
the functions it relies on are here (``sync``, ``rebuild``, ``index_in_transaction``).

``search`` expands synonyms from the wiki page ``Nexus/Search synonyms`` and records
searches that found nothing in ``SearchMiss``. A missing or corrupt index is rebuilt from
the database instead of failing the request; :class:`SearchUnavailable` is raised only when
that is impossible right now (another process holds the index for longer than we wait).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Protocol, TypeVar

from flask import current_app
from sqlalchemy import bindparam, delete, select

from wiki import after_response
from wiki.db import begin_write, first_row, is_postgres
from wiki.extensions import db
from wiki.models import Page, Revision, SearchStale
from wiki.search import misses
from wiki.search.documents import IndexCorrupt, SearchDoc, SearchIndexError, SearchResults
from wiki.search.query import MAX_QUERY_LENGTH, parse_query, parse_synonyms
from wiki.search.query_ast import ParsedQuery
from wiki.search.sources import all_docs, docs_for, live_revisions
from wiki.search.text import clean_text

log = logging.getLogger(__name__)

SYNONYMS_TITLE = "Nexus/Search synonyms"
SUGGEST_LIMIT = 8
DRAIN_BATCH = 200
DRAIN_ROUNDS = 50
# Reconciling more pages than this one by one is slower than a rebuild.
RECONCILE_LIMIT = 2000
_KEY = "nexus_search"
T = TypeVar("T")


class Backend(Protocol):
    """What both backends offer (see WhooshBackend and PgBackend)."""

    def needs_rebuild(self) -> bool: ...
    def apply(self, updates: Iterable[SearchDoc], removals: Iterable[int]) -> None: ...
    def rebuild(
        self, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None = None
    ) -> int: ...
    def search(
        self, query: ParsedQuery, *, page: int = 1, per_page: int = 20, correct: bool = True
    ) -> SearchResults: ...
    def suggest(self, prefix: str, limit: int = 8) -> list[str]: ...
    def indexed_revisions(self) -> dict[int, int]: ...
    def maintain(self) -> bool: ...
    def optimize(self) -> int: ...
    def close(self) -> None: ...


class SearchUnavailable(Exception):
    """The index cannot answer now and could not be rebuilt (it is busy elsewhere)."""


@dataclass
class _State:
    backend: Backend
    name: str
    ready: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class SearchOutcome:
    """A search as asked (``query``: parsed, cut to 500 characters) and its results."""

    query: ParsedQuery
    results: SearchResults


@dataclass(frozen=True)
class IndexCheck:
    """Page ids whose index entry is missing, behind the database, or of no live page."""

    missing: list[int]
    stale: list[int]
    extra: list[int]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def _state() -> _State:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions.get(_KEY)
    if state is None:
        state = app.extensions.setdefault(_KEY, _make_state(app.config))
    return state


def _make_state(config) -> _State:
    wanted = (config.get("SEARCH_BACKEND") or "whoosh").lower()
    if wanted == "postgres":
        if is_postgres():
            from wiki.search.postgres.backend import PgBackend

            return _State(PgBackend(), "postgres")
        log.warning("SEARCH_BACKEND=postgres needs a PostgreSQL database; using Whoosh")
    elif wanted != "whoosh":
        log.warning("unknown SEARCH_BACKEND %r; using Whoosh", wanted)
    from wiki.search.whoosh.backend import WhooshBackend

    return _State(WhooshBackend(config["SEARCH_INDEX_DIR"]), "whoosh")


def backend_name() -> str:
    """``whoosh`` or ``postgres``: the backend this app really uses."""
    return _state().name


def close() -> None:
    """Release the backend's open files (it reopens on next use)."""
    _state().backend.close()


# -- staying in step (see wiki.search.indexing) ---------------------------------------------------


def index_in_transaction(page_ids: Iterable[int]) -> None:
    """PostgreSQL backend: write the pages' rows and clear their stale records in the
    current transaction (the caller's commit makes both visible at once)."""
    ids = sorted(set(page_ids))
    docs, removals = docs_for(ids)
    _state().backend.apply(docs, removals)
    db.session.execute(delete(SearchStale).where(SearchStale.page_id.in_(ids)))


def sync() -> None:
    """Bring the index up to date with the database after a commit. Never raises: whatever
    is left undone stays recorded in SearchStale for the next sync."""
    try:
        ensure_ready()
        _drain()
    except IndexCorrupt as error:
        log.warning("search index corrupt (%s); rebuilding from the database", error)
        _quietly(rebuild)
    except Exception:  # the save succeeded; the index catches up at the next write or start
        log.exception("search index update failed; it will be retried")
        db.session.rollback()
    # Merging index segments can take a while: the saver never waits for it.
    after_response.defer(_state().backend.maintain)


def sync_after_response() -> None:
    """:func:`sync` once the response has been sent (at once when there is no request).

    The stale records are committed already, so nothing is lost if the process dies before
    it runs: the next sync anywhere indexes the page.
    """
    after_response.defer(sync)


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:
        log.exception("search index repair failed; it will be retried")
        db.session.rollback()


def ensure_ready() -> None:
    """Once per process (and whenever the index went missing): rebuild it when it is new or
    unreadable, otherwise repair pages whose entry differs from the database.

    :raises SearchIndexError: the index is busy elsewhere; the next call retries.
    """
    state = _state()
    if state.ready and not (state.name == "whoosh" and state.backend.needs_rebuild()):
        return
    with state.lock:
        if state.backend.needs_rebuild():
            rebuild()
        elif not state.ready:
            _reconcile()
        state.ready = True


def _reconcile() -> None:
    report = check()
    ids = report.missing + report.stale + report.extra
    if len(ids) > RECONCILE_LIMIT:
        rebuild()
    elif ids:
        log.info("search index: repairing %d pages that differ from the database", len(ids))
        _apply_and_clear(ids, [])


def _drain() -> int:
    """Index the pages recorded in SearchStale, then clear exactly the records read (a page
    queued again meanwhile has a newer ``queued_at`` and stays). :raises SearchIndexError:"""
    done = 0
    for _ in range(DRAIN_ROUNDS):
        rows = _stale_rows(DRAIN_BATCH)
        if not rows:
            break
        _apply_and_clear([pid for pid, _ in rows], rows)
        done += len(rows)
        if len(rows) < DRAIN_BATCH:
            break
    return done


def _apply_and_clear(page_ids: list[int], rows: list) -> None:
    """Index the pages as the database has them now, then delete the stale ``rows``."""
    docs, removals = docs_for(page_ids)
    state = _state()
    if state.name == "whoosh":
        db.session.rollback()  # no read transaction stays open while waiting for the lock
        state.backend.apply(docs, removals)
        begin_write()
    else:  # PgBackend writes in this transaction: its rows and the clearing commit together
        state.backend.apply(docs, removals)
    _delete_rows(rows)
    db.session.commit()


def _stale_rows(limit: int | None = None) -> list:
    stmt = select(SearchStale.page_id, SearchStale.queued_at).order_by(SearchStale.queued_at)
    return list(db.session.execute(stmt.limit(limit) if limit else stmt).all())


def _delete_rows(rows: list) -> None:
    """Delete the stale records read as ``rows`` unless they were queued again since."""
    if rows:
        table = SearchStale.__table__
        stmt = table.delete().where(
            table.c.page_id == bindparam("pid"), table.c.queued_at <= bindparam("qa")
        )
        db.session.execute(stmt, [{"pid": pid, "qa": queued} for pid, queued in rows])


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Re-index every live page from the database; returns the number indexed.

    :raises SearchIndexError: the index stayed busy elsewhere.
    """
    rows = _stale_rows()
    db.session.rollback()  # read the pages afresh, after the stale records
    count = _state().backend.rebuild(all_docs(), progress)
    begin_write()
    _delete_rows(rows)
    db.session.commit()
    _state().ready = True
    return count


def optimize() -> int:
    """Merge the index into as few parts as it can (see the backends); returns how many
    there were. :raises SearchIndexError: the index stayed busy elsewhere."""
    ensure_ready()
    return _state().backend.optimize()


def check() -> IndexCheck:
    """Compare the index with the database (nothing is repaired)."""
    indexed = _state().backend.indexed_revisions()
    live = live_revisions()
    missing = sorted(set(live) - set(indexed))
    stale = sorted(pid for pid, rev in live.items() if pid in indexed and indexed[pid] != rev)
    return IndexCheck(missing, stale, sorted(set(indexed) - set(live)))


# -- reading -------------------------------------------------------------------------------


def _repairing(action: Callable[[Backend], T]) -> T:
    """Run ``action`` on a ready backend, rebuilding a corrupt index once.

    :raises SearchUnavailable:
    """
    try:
        ensure_ready()
        return action(_state().backend)
    except IndexCorrupt as error:
        log.warning("search index corrupt (%s); rebuilding from the database", error)
    except SearchIndexError as error:
        raise SearchUnavailable(str(error)) from error
    try:
        rebuild()
        return action(_state().backend)
    except SearchIndexError as error:
        raise SearchUnavailable(str(error)) from error


def search(
    q: str,
    *,
    page: int = 1,
    per_page: int = 20,
    correct: bool = True,
    searcher: str | None = None,
) -> SearchOutcome:
    """Search the wiki for ``q`` (see wiki.search.query for the syntax); never raises for
    anything a user can type. A search that finds nothing is recorded for "wanted pages",
    with ``searcher`` (wiki.search.misses.searcher_key) telling who searched; when it had
    several words, the pages matching some of them are returned, marked ``relaxed``.

    :raises SearchUnavailable:
    """
    parsed = parse_query(q, synonyms())
    results = _repairing(lambda b: b.search(parsed, page=page, per_page=per_page, correct=correct))
    if results.total == 0 and not parsed.is_empty:
        record_miss(parsed.original, searcher)
        loose = parsed.relaxed()
        if loose is not None and results.suggestion is None and results.exact_title is None:
            # An error message or a question rarely has every word on one page.
            some = _repairing(
                lambda b: b.search(loose, page=page, per_page=per_page, correct=False)
            )
            if some.total:
                results = replace(some, relaxed=True, truncated=results.truncated)
    return SearchOutcome(parsed, results)


def suggest(prefix: str, limit: int = SUGGEST_LIMIT) -> list[str]:
    """Titles for search-as-you-type: prefix matches first, then word matches.

    :raises SearchUnavailable:
    """
    prefix = clean_text(prefix[:200])
    return _repairing(lambda b: b.suggest(prefix, limit)) if prefix.strip() else []


# Read by every search: built once, and run by first_row (no transaction of the Session's).
_SYNONYMS = (
    select(Revision.body)
    .join(Page, Revision.current_of(Page))
    .where(Page.title == bindparam("title"), Page.deleted.is_(False))
)


def synonyms() -> dict[str, list[str]]:
    """The synonyms list kept as the wiki page ``Nexus/Search synonyms`` (empty if none)."""
    row = first_row(_SYNONYMS, {"title": SYNONYMS_TITLE})
    return _parsed_synonyms(row.body) if row is not None and row.body else {}


@lru_cache(maxsize=8)
def _parsed_synonyms(body: str) -> dict[str, list[str]]:
    return parse_synonyms(body)


def record_miss(query: str, searcher: str | None = None) -> None:
    """Count a search that found nothing (text, count, last time, who), in a batch written
    within seconds without waiting for the write lock (wiki/search/misses.py); never raises."""
    text = " ".join(clean_text(query).split())[:MAX_QUERY_LENGTH]
    if text:
        misses.note(text, searcher)
