"""Full-text search with Whoosh: the schema, a code-aware analyzer, and ``WhooshBackend``.

Callers never import ``whoosh``; they pass ``SearchDoc`` values in and get ``SearchResults``
out. The query language lives in ``wiki.search_query``.

On disk, ``index_dir`` holds generation directories (``gen-*``, each a Whoosh index) and a
symlink ``CURRENT`` naming the live one. ``rebuild`` writes a new generation next to the live
one and swaps the symlink with one atomic rename.

Concurrency and durability:

- Every write goes through ``apply(updates, removals)``: it opens ``ix.writer(timeout=...)``
  in a retry loop (on ``LockError`` it sleeps with backoff, for up to WRITE_TIMEOUT seconds,
  then raises ``IndexBusy``), deletes, updates, commits and returns. There is no
  AsyncWriter/BufferedWriter: when ``apply`` returns the change is committed and every later
  search (in any process) sees it; when it raises, nothing was written. Whoosh does not
  fsync, so a power cut (not a process crash) can lose recent commits; ``rebuild`` repairs.
- Writers in several processes (or several backends in one process) are serialised by
  Whoosh's file lock, and each writer starts from the latest commit, so no update is lost.
  An update never replaces an indexed revision with an older one (a late, stale ``apply``).
- ``rebuild`` holds the live generation's write lock while it builds and swaps, so concurrent
  ``apply`` calls wait (or raise ``IndexBusy``) and then write into the new generation.
- A missing index is created on first use and ``needs_rebuild()`` is then True. A corrupt one
  (unreadable files, another schema version) makes ``needs_rebuild()`` True and the read and
  write methods raise ``IndexCorrupt`` until ``rebuild`` replaces it.
- One backend may be shared by threads: searches are serialised per backend.
"""

from __future__ import annotations

import logging
import math
import os
import random
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from heapq import nlargest
from itertools import islice

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import (
    STOP_WORDS,
    CompositeAnalyzer,
    Filter,
    IDTokenizer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.lang.porter import stem
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.support.levenshtein import distance
from whoosh.util.filelock import LockBase
from whoosh.util.text import utf8decode
from whoosh.writing import SegmentWriter

from .search_query import (
    MIN_PREFIX_CHARS,
    WORD_RE,
    ParsedQuery,
    Phrase,
    Term,
    TextQuery,
    identifier_parts,
    make_snippet,
    plain_snippet,
    split_identifier,
    title_key,
)

log = logging.getLogger(__name__)

# Bump when the schema or the analysis changes: older indexes then report needs_rebuild().
SCHEMA_VERSION = "nexus-search-1"
WRITE_TIMEOUT = 30.0
REBUILD_LIMIT_MB = 256
PROGRESS_EVERY = 100
# Prefix queries use at most this many index terms per field (the most frequent ones).
PREFIX_EXPANSION = 64
MAX_TOKEN_CHARS = 64
MAX_PER_PAGE = 100
# A generation directory this old that is not live was left by a crashed rebuild.
ABANDONED_AFTER = 6 * 3600
_CURRENT = "CURRENT"
_VERSION_FILE = "SCHEMA_VERSION"
_WRITE_LOCK = "MAIN_WRITELOCK"  # the lock file Whoosh's own writers take


class IdentifierSplitFilter(Filter):
    """Lower-cases each token and adds its identifier parts at the same position.

    ``select_related`` gives ``select_related``, ``select`` and ``related``, so a phrase still
    matches whole tokens while single parts can be found. Each token carries ``part``.
    """

    def __call__(self, tokens: Iterator) -> Iterator:
        for t in tokens:
            original = t.text
            start = t.startchar if t.chars else 0
            # Later filters rewrite t.text in place, so work from the saved original.
            t.text, t.part = original.lower(), False
            yield t
            seen = {original.lower()}
            for s, e in identifier_parts(original):
                text = original[s:e].lower()
                if text not in seen:
                    seen.add(text)
                    t.text, t.part = text, True
                    if t.chars:
                        t.startchar, t.endchar = start + s, start + e
                    yield t


def code_analyzer() -> CompositeAnalyzer:
    """The analyzer of every text field, at index and at query time."""
    return (
        RegexTokenizer(WORD_RE.pattern)
        | IdentifierSplitFilter()
        | StopFilter(minsize=2, maxsize=MAX_TOKEN_CHARS, renumber=False)
        | StemFilter()
    )


ANALYZER = code_analyzer()

TITLE = "title"  # page title, stemmed words; stored for results, a column for suggest()
TITLE_EXACT = "title_exact"  # title_key(title) as one term: exact match and "go to page"
TITLE_STARTS = "title_starts"  # the title from each word start, spaces as "_": suggest()
PATH = "path"  # every ancestor path and the title (title_key, spaces as "_"): under:
BODY = "body"  # prose without headings and code blocks; stored for snippets
HEADINGS = "headings"  # heading text, weighted above prose
CODE = "code"  # text of code blocks, weighted below prose; stored for snippets
TAGS = "tags"  # lower-cased tags, comma separated
AUTHOR = "author"  # last author, matched lower-cased, stored as given
UPDATED = "updated"  # last change, naive UTC (Whoosh cannot take aware datetimes)
REV = "rev"  # indexed revision number, for indexed_revisions() and stale-write checks
PAGE_ID = "page_id"  # the page's database id, unique key of the index

# Applied at query time: index-time field_boost is flattened by BM25's tf saturation.
Weights = tuple[tuple[str, float], ...]
FIELD_WEIGHTS: Weights = ((TITLE, 5.0), (HEADINGS, 2.0), (BODY, 1.0), (CODE, 0.5))
TEXT_FIELDS = tuple(name for name, _ in FIELD_WEIGHTS)
SPELLING_FIELDS = (TITLE, HEADINGS, BODY)


def make_schema() -> Schema:
    """The index schema; fields are described at their name constants."""
    return Schema(
        **{
            TITLE: TEXT(analyzer=ANALYZER, stored=True, sortable=True, spelling=True),
            TITLE_EXACT: ID,
            TITLE_STARTS: KEYWORD,
            PATH: KEYWORD,
            BODY: TEXT(analyzer=ANALYZER, stored=True, spelling=True),
            HEADINGS: TEXT(analyzer=ANALYZER, spelling=True),
            CODE: TEXT(analyzer=ANALYZER, stored=True),
            TAGS: KEYWORD(lowercase=True, commas=True, stored=True),
            AUTHOR: ID(stored=True, analyzer=IDTokenizer() | LowercaseFilter()),
            UPDATED: DATETIME(stored=True, sortable=True),
            REV: NUMERIC(stored=True, sortable=True),
            PAGE_ID: ID(unique=True, stored=True, sortable=True),
        }
    )


class SearchIndexError(Exception):
    """Base class of the errors raised by WhooshBackend."""


class IndexCorrupt(SearchIndexError):
    """The index cannot be read; ``rebuild`` replaces it."""


class IndexBusy(SearchIndexError):
    """The index stayed locked by another writer for WRITE_TIMEOUT seconds."""


@dataclass(frozen=True)
class SearchDoc:
    """What the index knows about one page. ``updated`` is UTC (naive values are read as UTC)."""

    page_id: int
    title: str
    body_text: str
    headings: str
    code: str
    tags: tuple[str, ...]
    author: str
    updated: datetime
    rev: int


@dataclass(frozen=True)
class Hit:
    """One result. ``snippet_html`` is escaped text whose only markup is ``<mark>``."""

    page_id: int
    title: str
    snippet_html: str
    updated: datetime
    author: str
    score: float


@dataclass(frozen=True)
class SearchResults:
    """One page of results. ``corrected_query`` is set when the hits are for a spelling
    correction; ``exact_title`` names the page whose title equals the query (filters
    ignored), for a "go to page" link."""

    total: int
    hits: tuple[Hit, ...]
    page: int
    pages: int
    corrected_query: str | None
    exact_title: str | None
    truncated: bool


_FENCE_RE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n(.*?)(?:^\1[ \t]*$|\Z)", re.M | re.S)
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$", re.M)
_MARKUP_RES = (
    (re.compile(r"!?\[\[([^\]|]*)\|([^\]]*)\]\]"), r"\2"),
    (re.compile(r"!?\[\[([^\]]*)\]\]"), r"\1"),
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"<[^>\n]*>|`+"), " "),
    (re.compile(r"^[ \t]*(?:>[ \t]?)*(?:[-*+][ \t]+|\d+[.)][ \t]+)?", re.M), ""),
)


def doc_from_markdown(
    page_id: int,
    title: str,
    markdown: str,
    tags: Iterable[str],
    author: str,
    updated: datetime,
    rev: int,
) -> SearchDoc:
    """A SearchDoc from Markdown: fenced code blocks become ``code``, ``#`` lines
    ``headings``, and the rest, with link and HTML syntax stripped, ``body_text``."""
    code = "\n".join(m.group(2) for m in _FENCE_RE.finditer(markdown))
    text = _FENCE_RE.sub("\n", markdown)
    headings = "\n".join(m.group(1) for m in _HEADING_RE.finditer(text))
    text = _HEADING_RE.sub("", text)
    for pattern, repl in _MARKUP_RES:
        text = pattern.sub(repl, text)
    return SearchDoc(
        page_id, title, text.strip(), headings, code, tuple(tags), author, updated, rev
    )


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _keyword(key: str) -> str:
    """A title_key as one KEYWORD token (titles treat "_" and space alike, so this is lossless)."""
    return key.replace(" ", "_")


def _fields(doc: SearchDoc) -> dict[str, object]:
    key = title_key(doc.title)
    segments = key.split("/")
    starts = [m.start() for m in re.finditer(r"(?<!\w)\w", key)][:20]
    fields: dict[str, object] = {
        PAGE_ID: str(doc.page_id),
        TITLE: doc.title,
        TITLE_STARTS: " ".join(_keyword(key[i:]) for i in starts),
        PATH: " ".join(_keyword("/".join(segments[: n + 1]).strip()) for n in range(len(segments))),
        BODY: doc.body_text,
        HEADINGS: doc.headings,
        CODE: doc.code,
        TAGS: ",".join(" ".join(t.replace(",", " ").split()) for t in doc.tags),
        UPDATED: _naive_utc(doc.updated),
        REV: doc.rev,
    }
    if key:
        fields[TITLE_EXACT] = key
    if doc.author:
        fields[AUTHOR] = doc.author
    return fields


def open_or_create(index_dir: str) -> whoosh_index.FileIndex:
    """Open the live generation of ``index_dir``, creating an empty index when there is none.

    :raises IndexCorrupt: the live generation cannot be opened.
    """
    return _open_live(index_dir)[0]


def _open_live(index_dir: str) -> tuple[whoosh_index.FileIndex, str, bool]:
    """(index, generation name, whether it was just created). :raises IndexCorrupt:"""
    os.makedirs(index_dir, exist_ok=True)
    link = os.path.join(index_dir, _CURRENT)
    created = False
    try:
        gen = os.readlink(link)
    except FileNotFoundError:
        gen = _new_generation(index_dir)
        try:
            os.symlink(gen, link)  # fails if another process won the race: use theirs
            created = True
        except FileExistsError:
            shutil.rmtree(os.path.join(index_dir, gen), ignore_errors=True)
            gen = os.readlink(link)
    return _open_generation(os.path.join(index_dir, gen)), gen, created


def is_healthy(index_dir: str) -> bool:
    """True when ``index_dir`` holds a readable index of this schema version."""
    try:
        gen = os.readlink(os.path.join(index_dir, _CURRENT))
        ix = _open_generation(os.path.join(index_dir, gen))
        with ix.reader() as reader:
            _touch(reader)
    except Exception:  # any failure to read means the index needs rebuilding
        return False
    return True


def _new_generation(index_dir: str) -> str:
    path = tempfile.mkdtemp(prefix="gen-", dir=index_dir)
    whoosh_index.create_in(path, make_schema())
    with open(os.path.join(path, _VERSION_FILE), "w", encoding="utf-8") as f:
        f.write(SCHEMA_VERSION)
    return os.path.basename(path)


def _open_generation(path: str) -> whoosh_index.FileIndex:
    """:raises IndexCorrupt: after retrying files that a concurrent commit just replaced."""
    missing: OSError | None = None
    for _ in range(10):
        try:
            with open(os.path.join(path, _VERSION_FILE), encoding="utf-8") as f:
                if f.read().strip() != SCHEMA_VERSION:
                    raise IndexCorrupt(f"{path}: index of another schema version")
            return whoosh_index.open_dir(path)
        except FileNotFoundError as exc:  # the TOC we listed was superseded: look again
            missing = exc
            time.sleep(0.02)
        except IndexCorrupt:
            raise
        except Exception as exc:  # Whoosh raises many types for unreadable files
            raise IndexCorrupt(f"{path}: {exc!r}") from exc
    raise IndexCorrupt(f"{path}: {missing!r}") from missing


def _touch(reader: IndexReader) -> None:
    """Read a little of everything so broken segment files show up now, not mid-search."""
    ids = list(reader.all_doc_ids())
    for docnum in ids[:1] + ids[-1:]:
        reader.stored_fields(docnum)
    for name in (PAGE_ID, TITLE_EXACT):
        for term in islice(reader.lexicon(name), 1):
            reader.postings(name, term).all_ids()


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    return stem(word)


class WhooshBackend:
    """Search over a Whoosh index in ``index_dir`` (created on first use if missing)."""

    def __init__(self, index_dir: str) -> None:
        self._dir = os.path.abspath(index_dir)
        self._lock = threading.RLock()
        self._ix: whoosh_index.FileIndex | None = None
        self._gen: str | None = None
        self._searcher: Searcher | None = None
        self._created_gen: str | None = None  # a generation this backend created empty
        self._corrupt = False

    # -- lifecycle -------------------------------------------------------------------------

    def needs_rebuild(self) -> bool:
        """True when the index was missing (and created empty here) or cannot be read."""
        try:
            _, gen = self._index()
        except IndexCorrupt:
            return True
        return gen == self._created_gen

    def close(self) -> None:
        """Release open files; the backend reopens on next use."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = self._ix = self._gen = None

    def _current_gen(self) -> str | None:
        try:
            return os.readlink(os.path.join(self._dir, _CURRENT))
        except OSError:
            return None

    def _index(self) -> tuple[whoosh_index.FileIndex, str]:
        """The live index, reopened when another process rebuilt it. :raises IndexCorrupt:"""
        with self._lock:
            gen = self._current_gen()
            if self._ix is not None and gen == self._gen:
                return self._ix, gen
            self.close()
            try:
                ix, gen, created = _open_live(self._dir)
                with ix.reader() as reader:
                    _touch(reader)
            except Exception as exc:  # Whoosh raises many types for unreadable files
                self._corrupt = True
                log.warning("search index %s cannot be read: %r", self._dir, exc)
                if isinstance(exc, IndexCorrupt):
                    raise
                raise IndexCorrupt(f"{self._dir}: {exc!r}") from exc
            self._ix, self._gen = ix, gen
            if created:
                self._created_gen = gen
            self._corrupt = False
            return ix, gen

    @contextmanager
    def _reading(self) -> Iterator[Searcher]:
        """An up-to-date searcher, used under the lock. :raises IndexCorrupt:"""
        with self._lock:
            try:
                yield self._fresh_searcher()
            except SearchIndexError:
                raise
            except Exception as exc:
                if is_healthy(self._dir):
                    raise
                self._corrupt = True
                self.close()
                raise IndexCorrupt(f"{self._dir}: {exc!r}") from exc

    def _fresh_searcher(self) -> Searcher:
        for _ in range(5):
            ix, gen = self._index()
            try:
                if self._searcher is None:
                    self._searcher = ix.searcher()
                elif not self._searcher.up_to_date():
                    self._searcher = self._searcher.refresh()
                return self._searcher
            except (OSError, whoosh_index.IndexError):
                if self._current_gen() == gen:
                    raise
                self.close()  # a rebuild replaced the generation under us: open the new one
        raise IndexBusy(f"{self._dir}: replaced repeatedly while opening")

    # -- writing ---------------------------------------------------------------------------

    def apply(self, updates: Iterable[SearchDoc], removals: Iterable[int]) -> None:
        """Remove pages, then add or replace pages, in one commit.

        A page whose indexed revision is newer than the given one is left alone.
        :raises IndexBusy: another writer held the lock for WRITE_TIMEOUT seconds.
        :raises IndexCorrupt:
        """
        latest: dict[int, SearchDoc] = {}
        for doc in updates:
            if doc.page_id not in latest or doc.rev >= latest[doc.page_id].rev:
                latest[doc.page_id] = doc
        gone = set(removals)
        if not latest and not gone:
            return
        writer = self._locked_writer()
        try:
            with writer.reader() as reader:
                revs = {pid: _indexed_rev(reader, pid) for pid in latest}
            for pid in gone:
                writer.delete_by_term(PAGE_ID, str(pid))
            for pid, doc in latest.items():
                if pid in gone or revs[pid] is None or revs[pid] <= doc.rev:
                    writer.update_document(**_fields(doc))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise

    def _locked_writer(self) -> SegmentWriter:
        """A writer on the live generation, waiting for the lock with backoff."""
        deadline = time.monotonic() + WRITE_TIMEOUT
        delay = 0.02
        while True:
            ix, gen = self._index()
            try:
                writer = ix.writer(timeout=min(delay, 0.5))
            except whoosh_index.LockError:
                writer = None
            except (OSError, whoosh_index.IndexError):  # a rebuild deleted the generation
                writer = None
                if self._current_gen() == gen:
                    raise
            if writer is not None:
                if self._current_gen() == gen:
                    return writer
                writer.cancel()  # rebuilt while we waited: write into the new generation
                continue
            if time.monotonic() > deadline:
                raise IndexBusy(f"{self._dir}: write lock held for {WRITE_TIMEOUT}s")
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 1.0)

    def rebuild(
        self, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        """Index ``docs`` into a new generation and swap it in atomically.

        The first document given for a page id wins. ``progress`` gets the number indexed so
        far every PROGRESS_EVERY documents and at the end. Returns the number indexed.
        :raises IndexBusy: the live index stayed locked for WRITE_TIMEOUT seconds.
        """
        if self._current_gen() is None:
            try:  # so that an apply() racing with this rebuild has a generation to lock
                _open_live(self._dir)
            except (IndexCorrupt, OSError):
                pass
        lock, old_gen = self._lock_live_generation()
        new_gen = None
        try:
            new_gen = _new_generation(self._dir)
            count = _fill(os.path.join(self._dir, new_gen), docs, progress)
            tmp_link = os.path.join(self._dir, f"{_CURRENT}.{uuid.uuid4().hex}")
            os.symlink(new_gen, tmp_link)
            os.replace(tmp_link, os.path.join(self._dir, _CURRENT))
        except BaseException:
            if new_gen:
                shutil.rmtree(os.path.join(self._dir, new_gen), ignore_errors=True)
            raise
        finally:
            if lock is not None:
                lock.release()
        self._remove_old_generations(old_gen)
        with self._lock:
            self.close()
            self._created_gen, self._corrupt = None, False
        return count

    def _lock_live_generation(self) -> tuple[LockBase | None, str | None]:
        """Hold the live generation's write lock so no apply() lands in an index being
        replaced. A missing or unlockable generation has nothing to protect."""
        deadline = time.monotonic() + WRITE_TIMEOUT
        while True:
            gen = self._current_gen()
            path = os.path.join(self._dir, gen) if gen else None
            if path is None or not os.path.isdir(path):
                return None, gen
            lock = FileStorage(path).lock(_WRITE_LOCK)
            if lock.acquire(blocking=False):
                if self._current_gen() == gen:
                    return lock, gen
                lock.release()
                continue
            if time.monotonic() > deadline:
                raise IndexBusy(f"{self._dir}: write lock held for {WRITE_TIMEOUT}s")
            time.sleep(0.05)

    def _remove_old_generations(self, replaced: str | None) -> None:
        """Delete the replaced generation and leftovers of crashed rebuilds (old enough not
        to be a rebuild still running in another process)."""
        live = self._current_gen()
        for name in os.listdir(self._dir):
            path = os.path.join(self._dir, name)
            if not name.startswith("gen-") or name == live:
                continue
            try:
                stale = time.time() - os.path.getmtime(path) > ABANDONED_AFTER
            except OSError:
                continue
            if name == replaced or stale:
                shutil.rmtree(path, ignore_errors=True)

    # -- reading ---------------------------------------------------------------------------

    def indexed_revisions(self) -> dict[int, int]:
        """Page id -> indexed revision, for a consistency check against the database."""
        with self._reading() as searcher:
            reader = searcher.reader()
            if not reader.doc_count():
                return {}
            ids, revs = reader.column_reader(PAGE_ID), reader.column_reader(REV)
            return {int(ids[d]): int(revs[d]) for d in reader.all_doc_ids()}

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Up to ``limit`` titles starting with ``prefix`` (shortest first), then titles with
        a word starting with it; case-insensitive."""
        key = title_key(prefix)
        if not key or limit < 1:
            return []
        with self._reading() as searcher:
            reader = searcher.reader()
            if not reader.doc_count():
                return []
            titles = reader.column_reader(TITLE)
            found: list[str] = []
            for field, value in ((TITLE_EXACT, key), (TITLE_STARTS, _keyword(key))):
                terms = islice(reader.expand_prefix(field, value), 5000)
                shortest = sorted(terms, key=lambda t: (len(t), t))[: limit * 4]
                matches = {
                    titles[d] for term in shortest for d in reader.postings(field, term).all_ids()
                }
                ranked = sorted(matches - set(found), key=lambda t: (len(t), t.lower(), t))
                found.extend(ranked[: limit - len(found)])
                if len(found) >= limit:
                    break
            return found

    def search(self, query: ParsedQuery, *, page: int = 1, per_page: int = 20) -> SearchResults:
        """Run ``query``: an exact title match first, then by relevance (title 5, headings 2,
        body 1, code 0.5); filter-only queries newest first. When a query of plain words finds
        nothing, misspelt words are corrected from the index's vocabulary and the results
        say so in ``corrected_query``. :raises IndexCorrupt:
        """
        page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
        if query.is_empty:
            return SearchResults(0, (), 1, 0, None, None, query.truncated)
        with self._reading() as searcher:
            results = _run(searcher, query, page, per_page)
            if results.total == 0 and query.correctable_words:
                fixes = _corrections(searcher.reader(), query.correctable_words)
                if fixes:
                    fixed = query.corrected(fixes)
                    corrected = _run(searcher, fixed, page, per_page)
                    if corrected.total:
                        return replace(corrected, corrected_query=fixed.original)
            return results


def _indexed_rev(reader: IndexReader, page_id: int) -> int | None:
    try:
        docnum = reader.first_id(PAGE_ID, str(page_id))
    except (KeyError, wq.TermNotFound):
        return None
    return int(reader.stored_fields(docnum)[REV])


def _fill(path: str, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None) -> int:
    """Add ``docs`` to the empty index at ``path`` with one large single-process writer."""
    writer = whoosh_index.open_dir(path).writer(procs=1, limitmb=REBUILD_LIMIT_MB)
    seen: set[int] = set()
    try:
        for doc in docs:
            if doc.page_id in seen:
                continue
            seen.add(doc.page_id)
            writer.add_document(**_fields(doc))
            if progress is not None and len(seen) % PROGRESS_EVERY == 0:
                progress(len(seen))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    if progress is not None:
        progress(len(seen))
    return len(seen)


def _tokens(text: str) -> list[tuple[int, str, bool]]:
    """(position, indexed term, is a part) for each token ``text`` is indexed as."""
    return [(t.pos, t.text, t.part) for t in ANALYZER(text, positions=True)]


def _any(queries: list) -> wq.Query:
    return queries[0] if len(queries) == 1 else wq.Or(queries)


def _all(queries: list) -> wq.Query:
    return queries[0] if len(queries) == 1 else wq.And(queries)


def _any_field(term: str, fields: Weights) -> wq.Query:
    return _any([wq.Term(name, term, boost=weight) for name, weight in fields])


def _word_query(text: str, fields: Weights) -> wq.Query | None:
    """Each whole token, or else all of its parts (``git-scm.com`` finds ``git-scm.com/x``)."""
    groups: dict[int, tuple[list[str], list[str]]] = {}
    for pos, term, part in _tokens(text):
        groups.setdefault(pos, ([], []))[part].append(term)
    subs = []
    for wholes, parts in groups.values():
        options = [_any_field(term, fields) for term in wholes]
        if parts:
            options.append(_all([_any_field(term, fields) for term in parts]))
        subs.append(_any(options))
    return _all(subs) if subs else None


def _phrase_query(words: tuple[str, ...], fields: Weights) -> wq.Query | None:
    tokens = [(pos, term) for pos, term, part in _tokens(" ".join(words)) if not part]
    if len(tokens) < 2:
        return _any_field(tokens[0][1], fields) if tokens else None
    # Stop words leave gaps in positions; allow exactly those gaps.
    slop = max(b[0] - a[0] for a, b in zip(tokens, tokens[1:], strict=False))
    terms = [term for _, term in tokens]
    return _any([wq.Phrase(name, terms, slop=slop, boost=weight) for name, weight in fields])


def _prefix_query(reader: IndexReader, text: str, fields: Weights) -> wq.Query:
    """The most frequent PREFIX_EXPANSION terms per field starting with ``text`` (or its stem,
    since the index holds stems)."""
    prefixes = {text, _stem(text)} if re.fullmatch(r"\w+", text) else {text}
    subs = []
    for name, weight in fields:
        terms = {
            utf8decode(term)[0]
            for prefix in prefixes
            if len(prefix) >= MIN_PREFIX_CHARS
            for term in islice(reader.expand_prefix(name, prefix), PREFIX_EXPANSION * 16)
        }
        top = nlargest(PREFIX_EXPANSION, terms, key=lambda t, n=name: reader.doc_frequency(n, t))
        subs.extend(wq.Term(name, term, boost=weight) for term in top)
    return _any(subs) if subs else wq.NullQuery


def _alt_query(reader: IndexReader, alt: TextQuery) -> wq.Query | None:
    """None when ``alt`` has no indexable word (stop words, punctuation)."""
    fields = FIELD_WEIGHTS[:1] if alt.field == "title" else FIELD_WEIGHTS
    if isinstance(alt, Term):
        return _word_query(alt.text, fields)
    if isinstance(alt, Phrase):
        return _phrase_query(alt.words, fields)
    return _prefix_query(reader, alt.text, fields)


def _text_query(reader: IndexReader, query: ParsedQuery) -> wq.Query | None:
    clauses = []
    for clause in query.clauses:
        alts = [q for alt in clause.alternatives if (q := _alt_query(reader, alt)) is not None]
        if alts:
            clauses.append(_any(alts))
    return _all(clauses) if clauses else None


def _filter_queries(
    reader: IndexReader, query: ParsedQuery
) -> tuple[wq.Query | None, wq.Query | None]:
    """(what a page must match, what it must not match) for the filters of ``query``."""
    terms = {
        "tag": lambda v: wq.Term(TAGS, v),
        "author": lambda v: wq.Term(AUTHOR, v),
        "under": lambda v: wq.Term(PATH, _keyword(v)),
    }
    required = [terms["tag"](f.value) for f in query.filters if f.field == "tag" and not f.negated]
    for name in ("author", "under"):
        alts = [terms[name](f.value) for f in query.filters if f.field == name and not f.negated]
        if alts:
            required.append(_any(alts))
    if query.updated_after or query.updated_before:
        start = _naive_utc(query.updated_after) if query.updated_after else None
        end = _naive_utc(query.updated_before) if query.updated_before else None
        required.append(wq.DateRange(UPDATED, start, end, endexcl=True))
    banned = [terms[f.field](f.value) for f in query.filters if f.negated]
    banned += [q for alt in query.excluded if (q := _alt_query(reader, alt)) is not None]
    return (_all(required) if required else None), (_any(banned) if banned else None)


@dataclass(frozen=True)
class _Plan:
    """A ParsedQuery as Whoosh queries; None parts do not constrain."""

    text: wq.Query | None
    exact: wq.Query | None
    required: wq.Query | None
    banned: wq.Query | None

    def restrict(self, q: wq.Query) -> wq.Query:
        q = wq.And([q, self.required]) if self.required is not None else q
        return wq.AndNot(q, self.banned) if self.banned is not None else q

    def main(self) -> wq.Query | None:
        if self.text is not None:
            return wq.Or([self.text, self.exact]) if self.exact is not None else self.text
        return wq.Every() if self.required is not None else self.exact


def _ranked(searcher: Searcher, plan: _Plan, limit: int) -> tuple[int, list[tuple[int, float]]]:
    """(total matches, the top ``limit`` (docnum, score)) with the exact title match first."""
    main = plan.main()
    if main is None:
        return 0, []
    if plan.text is not None:
        results = searcher.search(plan.restrict(main), limit=limit)
        order = [(hit.docnum, float(hit.score or 0.0)) for hit in results]
    else:  # no words to rank by: newest first
        results = searcher.search(plan.restrict(main), limit=limit, sortedby=UPDATED, reverse=True)
        order = [(hit.docnum, 0.0) for hit in results]
    if plan.exact is not None:
        # An exact title match is always first, whatever its score.
        top = searcher.search(plan.restrict(plan.exact), limit=1)
        if top:
            first = top[0].docnum
            score = next((s for d, s in order if d == first), float(top[0].score or 0.0))
            order = [(first, score)] + [(d, s) for d, s in order if d != first]
    return len(results), order


def _run(searcher: Searcher, query: ParsedQuery, page: int, per_page: int) -> SearchResults:
    reader = searcher.reader()
    key = title_key(query.title_text)
    exact = wq.Term(TITLE_EXACT, key) if key else None
    plan = _Plan(_text_query(reader, query), exact, *_filter_queries(reader, query))
    total, order = _ranked(searcher, plan, page * per_page + 1)
    pages = math.ceil(total / per_page)
    if page > max(pages, 1):
        return _run(searcher, query, max(pages, 1), per_page)
    matches = _highlighter(query)
    start = (page - 1) * per_page
    hits = tuple(_hit(searcher, d, s, matches) for d, s in order[start : start + per_page])
    exact_title = None
    if key:
        try:
            docnum = reader.first_id(TITLE_EXACT, key)  # first: an empty index has no columns
            exact_title = reader.column_reader(TITLE)[docnum]
        except (KeyError, wq.TermNotFound):
            pass
    return SearchResults(total, hits, page, pages, None, exact_title, query.truncated)


def _hit(searcher: Searcher, docnum: int, score: float, matches: Callable[[str], bool]) -> Hit:
    stored = searcher.stored_fields(docnum)
    body, code = stored.get(BODY, ""), stored.get(CODE, "")
    snippet = make_snippet(body, matches) or make_snippet(code, matches) or plain_snippet(body)
    return Hit(
        page_id=int(stored[PAGE_ID]),
        title=stored[TITLE],
        snippet_html=snippet,
        updated=stored[UPDATED].replace(tzinfo=UTC),
        author=stored.get(AUTHOR, ""),
        score=score,
    )


def _highlighter(query: ParsedQuery) -> Callable[[str], bool]:
    """Whether a lower-cased word of a page should be marked as matching ``query``."""
    stems: set[str] = set()
    prefixes: list[str] = []
    for term in query.text_terms:
        if term.endswith("*"):
            prefixes.append(term[:-1])
            continue
        for m in WORD_RE.finditer(term):
            stems.update(
                _stem(w) for w in split_identifier(m.group()) if len(w) > 1 and w not in STOP_WORDS
            )

    def matches(word: str) -> bool:
        return _stem(word) in stems or any(word.startswith(p) for p in prefixes)

    return matches


def _corrections(reader: IndexReader, words: tuple[str, ...]) -> dict[str, str]:
    """Spelling corrections for the words the index does not know, from its own vocabulary:
    the nearest word (edit distance 1, or 2 for words over 4 letters) sharing the first
    letter, the most common on ties."""
    fixes: dict[str, str] = {}
    for word in words:
        terms = [term for _, term, part in _tokens(word) if not part]
        if not terms or any(reader.doc_frequency(f, terms[0]) for f in TEXT_FIELDS):
            continue
        maxdist = 1 if len(word) <= 4 else 2
        best: tuple[int, int, str] | None = None
        for name in SPELLING_FIELDS:
            spelling = reader.schema[name].spelling_fieldname(name)
            for raw in reader.expand_prefix(spelling, word[:1]):
                cand = utf8decode(raw)[0]
                if abs(len(cand) - len(word)) > maxdist or cand == word:
                    continue
                dist = distance(word, cand, limit=maxdist)
                if dist <= maxdist:
                    rank = (dist, -reader.doc_frequency(name, _stem(cand)), cand)
                    best = rank if best is None or rank < best else best
        if best is not None:
            fixes[word] = best[2]
    return fixes
