"""Full-text search with Whoosh: the schema, a code-aware analyzer, and ``WhooshBackend``.

Callers never import ``whoosh``; they pass ``SearchDoc`` values in and get ``SearchResults``
out. The query language lives in ``wiki.search.query``.

On disk, ``index_dir`` holds generation directories (``gen-*``, each a Whoosh index) and a
symlink ``CURRENT`` naming the live one. ``rebuild`` writes a new generation next to the live
one and swaps the symlink with one atomic rename.

Concurrency and durability:

- Every write goes through ``apply(updates, removals)``: it opens a writer (``open_writer``)
  in a retry loop (on ``LockError`` it sleeps with backoff, for up to WRITE_TIMEOUT seconds,
  then raises ``IndexBusy``), deletes, updates, commits and returns. There is no
  AsyncWriter/BufferedWriter: when ``apply`` returns the change is committed and every later
  search (in any process) sees it; when it raises, nothing was written. Whoosh does not
  fsync, so a power cut (not a process crash) can lose recent commits; the start-up check
  in ``wiki.search.service`` re-indexes pages whose indexed revision differs.
- Writers in several processes (or several backends in one process) are serialised by
  Whoosh's file lock, and each writer starts from the latest commit, so no update is lost.
  An update never replaces an indexed revision with an older one (a late, stale ``apply``).
- ``rebuild`` holds the live generation's write lock while it builds and swaps, so concurrent
  ``apply`` calls wait (or raise ``IndexBusy``) and then write into the new generation.
- A missing index is created on first use and ``needs_rebuild()`` is then True. A corrupt one
  (unreadable files, another schema version) makes ``needs_rebuild()`` True and the read and
  write methods raise ``IndexCorrupt`` until ``rebuild`` replaces it.
- ``apply`` commits without merging segments (a merge costs about as much per page as
  indexing it); ``maintain()``, which runs after each sync, merges the smallest segments
  (MERGE_MAX_DOCS documents at most, in tiers: see ``smallest_segments``) once there are
  more than MERGE_AT, without ever waiting for the lock; ``optimize()`` merges them all
  (after an import, nightly). Any commit drops a segment whose documents were all
  replaced. Merging only rewrites what is committed, so an interrupted merge loses nothing.
- One backend may be shared by threads: searches are serialised per backend.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from whoosh import index as whoosh_index
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from wiki.search.documents import (
    MAX_PER_PAGE,
    Hit,
    IndexBusy,
    IndexCorrupt,
    SearchDoc,
    SearchIndexError,
    SearchResults,
    doc_from_markdown,
)
from wiki.search.query_ast import ParsedQuery
from wiki.search.text import title_key
from wiki.search.whoosh.query import (
    Titles,
    Vocabulary,
    corrections,
    run_search,
    segment_vocabulary,
    suggest_titles,
)
from wiki.search.whoosh.schema import (
    CURRENT_LINK,
    PAGE_ID,
    REV,
    doc_fields,
    is_healthy,
    new_generation,
    open_live,
    open_or_create,
    touch,
)
from wiki.search.whoosh.scoring import PostingsCache
from wiki.search.whoosh.write import (
    MERGE_AT,
    WRITE_TIMEOUT,
    current_generation,
    fill_generation,
    indexed_docs,
    lock_live_generation,
    merge_smallest,
    merge_when_many,
    open_writer,
    remove_old_generations,
    smallest_segments,
)

__all__ = [
    "Hit",
    "IndexBusy",
    "IndexCorrupt",
    "SearchDoc",
    "SearchIndexError",
    "SearchResults",
    "WhooshBackend",
    "doc_from_markdown",
    "is_healthy",
    "open_or_create",
]

log = logging.getLogger(__name__)


class WhooshBackend:
    """Search over a Whoosh index in ``index_dir`` (created on first use if missing)."""

    def __init__(self, index_dir: str) -> None:
        self._dir = os.path.abspath(index_dir)
        self._lock = threading.RLock()
        self._ix: whoosh_index.FileIndex | None = None
        self._gen: str | None = None
        self._searcher: Searcher | None = None
        self._created_gen: str | None = None  # a generation this backend created empty
        self._vocabulary: dict[str, Vocabulary] = {}  # segment id -> its spelling words
        self._postings = PostingsCache()  # each segment's postings of the words searched
        self._titles = Titles()  # each segment's titles

    # -- lifecycle -------------------------------------------------------------------------

    def needs_rebuild(self) -> bool:
        """True when the index cannot be read, or this backend found none and created it
        empty (so pages may be missing), until a rebuild (here or elsewhere) replaces it."""
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
        return current_generation(self._dir)

    def _index(self) -> tuple[whoosh_index.FileIndex, str]:
        """The live index, reopened when another process rebuilt it. :raises IndexCorrupt:"""
        with self._lock:
            gen = self._current_gen()
            if self._ix is not None and gen == self._gen:
                return self._ix, gen
            self.close()
            try:
                ix, gen, created = open_live(self._dir)
                with ix.reader() as reader:
                    touch(reader)
            except Exception as exc:  # Whoosh raises many types for unreadable files
                log.warning("search index %s cannot be read: %r", self._dir, exc)
                if isinstance(exc, IndexCorrupt):
                    raise
                raise IndexCorrupt(f"{self._dir}: {exc!r}") from exc
            self._ix, self._gen = ix, gen
            if created:
                self._created_gen = gen
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
                self.close()  # whatever went wrong, the next search opens afresh
                if is_healthy(self._dir):
                    raise
                raise IndexCorrupt(f"{self._dir}: {exc!r}") from exc

    def _fresh_searcher(self) -> Searcher:
        for _ in range(5):
            ix, gen = self._index()
            try:
                if self._searcher is not None and not self._searcher.up_to_date():
                    # Not Searcher.refresh(): Whoosh 2.7.4 reuses none of the old readers
                    # anyway (it looks them up by the wrong key), and when a merge in another
                    # process removes a segment while it opens, its retry closes the old
                    # readers a second time and fails with ReaderClosed, leaving this
                    # searcher unusable: every later search failed.
                    stale, self._searcher = self._searcher, None
                    stale.close()
                if self._searcher is None:
                    self._searcher = ix.searcher()
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
            # One reader finds what to replace; update_document() would open one per page.
            with writer.reader() as reader:
                indexed = {pid: indexed_docs(reader, pid) for pid in set(latest) | gone}
            replace = {
                pid
                for pid, doc in latest.items()
                if pid in gone or indexed[pid][1] is None or indexed[pid][1] <= doc.rev
            }
            for pid in gone | replace:
                for docnum in indexed[pid][0]:
                    writer.delete_document(docnum)
            for pid in sorted(replace):
                writer.add_document(**doc_fields(latest[pid]))
            writer.commit(mergetype=merge_when_many)
        except BaseException:
            writer.cancel()
            raise

    def maintain(self) -> bool:
        """Merge the smallest segments (MERGE_MAX_DOCS documents at most) when there are
        more than MERGE_AT, so searches stay fast and no merge holds the lock for long.

        Meant to run after each sync, which merges further if needed. Never waits: when
        another writer holds the lock it does nothing (that writer's own maintain() follows).
        Returns whether it merged. :raises IndexCorrupt:
        """
        ix, gen = self._index()
        try:
            writer = open_writer(ix, timeout=0.0)
        except (whoosh_index.LockError, OSError, whoosh_index.IndexError):
            return False
        try:
            if (
                len(writer.segments) <= MERGE_AT
                or self._current_gen() != gen
                or not smallest_segments(writer.segments)
            ):
                writer.cancel()  # (a commit with nothing merged would still write a new
                return False  # generation of the index, which every searcher then reopens)
            writer.commit(mergetype=merge_smallest)
        except BaseException:
            writer.cancel()
            raise
        return True

    def optimize(self) -> int:
        """Merge every segment into one, waiting for the lock; returns how many there were.
        Takes ~2.6 ms a document, during which saves' indexing waits: for a quiet hour.
        :raises IndexBusy: :raises IndexCorrupt:"""
        writer = self._locked_writer()
        try:
            count = len(writer.segments)
            if count > 1 or any(s.has_deletions() for s in writer.segments):
                writer.commit(optimize=True)
            else:
                writer.cancel()
        except BaseException:
            writer.cancel()
            raise
        return count

    def _locked_writer(self) -> SegmentWriter:
        """A writer on the live generation, waiting for the lock with backoff."""
        deadline = time.monotonic() + WRITE_TIMEOUT
        delay = 0.02
        while True:
            ix, gen = self._index()
            try:
                writer = open_writer(ix, timeout=min(delay, 0.5))
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
                open_live(self._dir)
            except (IndexCorrupt, OSError):
                pass
        lock, old_gen = lock_live_generation(self._dir)
        new_gen = None
        try:
            new_gen = new_generation(self._dir)
            count = fill_generation(os.path.join(self._dir, new_gen), docs, progress)
            tmp_link = os.path.join(self._dir, f"{CURRENT_LINK}.{uuid.uuid4().hex}")
            os.symlink(new_gen, tmp_link)
            os.replace(tmp_link, os.path.join(self._dir, CURRENT_LINK))
        except BaseException:
            if new_gen:
                shutil.rmtree(os.path.join(self._dir, new_gen), ignore_errors=True)
            raise
        finally:
            if lock is not None:
                lock.release()
        remove_old_generations(self._dir, old_gen)
        with self._lock:
            self.close()
            self._created_gen = None
        return count

    # -- reading ---------------------------------------------------------------------------

    def indexed_revisions(self) -> dict[int, int]:
        """Page id -> indexed revision, for a consistency check against the database.

        :raises IndexCorrupt:
        """
        with self._reading() as searcher:
            reader = searcher.reader()
            if not reader.doc_count():
                return {}
            ids, revs = reader.column_reader(PAGE_ID), reader.column_reader(REV)
            return {int(ids[d]): int(revs[d]) for d in reader.all_doc_ids()}

    def _vocabularies(self, reader: IndexReader) -> list[Vocabulary]:
        """Each segment's spelling vocabulary, built once per segment (under the lock)."""
        if not reader.doc_count_all():
            return []
        cache = {}
        for leaf, _ in reader.leaf_readers():
            key = leaf.segment().segment_id()
            cache[key] = self._vocabulary.get(key) or segment_vocabulary(leaf)
        self._vocabulary = cache  # segments merged away drop out
        return list(cache.values())

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Up to ``limit`` titles starting with ``prefix`` (shortest first), then titles with
        a word starting with it; case-insensitive. :raises IndexCorrupt:"""
        key = title_key(prefix)
        if not key or limit < 1:
            return []
        with self._reading() as searcher:
            return suggest_titles(searcher.reader(), key, limit, self._titles)

    def search(
        self, query: ParsedQuery, *, page: int = 1, per_page: int = 20, correct: bool = True
    ) -> SearchResults:
        """Run ``query``: an exact title match first, then by relevance (title 5, headings 2,
        body 1, code 0.5); filter-only queries newest first. When a query of plain words finds
        nothing, misspelt words are corrected from the index's vocabulary and the results
        say so in ``corrected_query`` (with ``correct=False`` the empty results carry the
        correction as ``suggestion`` instead). :raises IndexCorrupt:
        """
        page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
        if query.is_empty:
            return SearchResults(0, (), 1, 0, None, None, query.truncated)
        with self._reading() as searcher:
            results = run_search(searcher, query, page, per_page, self._postings, self._titles)
            if results.total == 0 and query.correctable_words:
                reader = searcher.reader()
                fixes = corrections(reader, query.correctable_words, self._vocabularies(reader))
                if fixes:
                    fixed = query.corrected(fixes)
                    corrected = run_search(
                        searcher, fixed, page, per_page, self._postings, self._titles
                    )
                    if corrected.total and correct:
                        return replace(corrected, corrected_query=fixed.original)
                    if corrected.total:
                        return replace(results, suggestion=fixed.original)
            return results
