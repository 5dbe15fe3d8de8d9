"""Writing to the Whoosh index: finding what a commit replaces, the merge policy, filling a
new generation, and the generations on disk. Only ``wiki.search.whoosh.backend`` uses this."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter, W3Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import IndexReader, SegmentReader
from whoosh.util.filelock import LockBase
from whoosh.writing import SegmentWriter

from wiki.search.documents import IndexBusy, SearchDoc
from wiki.search.whoosh.schema import CURRENT_LINK, PAGE_ID, REV, WRITE_LOCK, doc_fields

WRITE_TIMEOUT = 30.0
REBUILD_LIMIT_MB = 256
PROGRESS_EVERY = 100
# apply() never merges segments below MAX_SEGMENTS (a merge costs about as much per page as
# indexing it, so merging at every commit made one save in five several times slower);
# maintain(), run after each sync, merges once there are more than MERGE_AT. Either merges
# the smallest segments, MERGE_MAX_DOCS documents at most: a merge holds the write lock
# (~2.6 ms a document at 10,000 pages) and the next save's indexing waits behind it (one of
# 1,450 documents delayed a save's indexing 3.8 s). Larger segments are merged only by
# ``flask --app wsgi search optimize`` (after an import; nightly from cron).
MAX_SEGMENTS = 24
MERGE_AT = 6
MERGE_MAX_DOCS = 300
# Past this many live documents, a segment joins a merge only when the smaller segments
# chosen before it hold as many together: each document is then rewritten about log2(n)
# times in all, not at every merge. (On a wiki smaller than MERGE_MAX_DOCS, every merge
# rewrote the whole index: 20 ms of CPU per sync of the load run's hot pages, over half of
# the indexer's work. With tiers, and emptied segments dropped, 1.3 ms.)
SMALL_SEGMENT_DOCS = 10
# A generation directory this old that is not live was left by a crashed rebuild.
ABANDONED_AFTER = 6 * 3600
# Postings lists this short are kept in their term's entry (see _InliningCodec).
INLINE_POSTINGS = 8


class _InliningPostingsWriter(W3PostingsWriter):
    """Whoosh 2.7.4's postings writer, with its inlining repaired: it calls ``set_inline``,
    which its term info lacks (``set_inlined``), so Whoosh's default limit of 1 inlines no
    list, and any higher limit fails."""

    def finish_postings(self):
        if not self.written() and len(self) < self._inlinelimit:
            terminfo = self._terminfo
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values_as_read_back())
            self._terminfo = None
            return terminfo
        return super().finish_postings()

    def _values_as_read_back(self) -> tuple:
        """The values as a block of them reads back (``_mini_values``, then the reader's
        ``_read_values``), so a term reads the same inlined or not."""
        fixed = self._format.fixed_value_size()
        if fixed is None or fixed < 0:
            return tuple(self._values)
        if fixed == 0:
            return (None,) * len(self)
        joined = b"".join(self._values)
        return tuple(joined[i : i + fixed] for i in range(0, len(joined), fixed))


class _InliningCodec(W3Codec):
    """Whoosh's codec wrote every term's postings as a block of their own (a pickle,
    compressed and written apart), however few. A small segment's terms have a posting or
    two: a sync of 8 pages of 8 KB wrote ~11,000 blocks, and the merges after it read them
    back one by one. Short lists go in the term's entry instead, as Whoosh meant to (its
    reader reads both kinds, so segments already written read as before)."""

    def __init__(self) -> None:
        super().__init__(inlinelimit=INLINE_POSTINGS)

    def postings_writer(self, dbfile, byteids=False):
        return _InliningPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def new_segment(self, storage, indexname):
        # The segment is pickled into the index's table of contents with the codec it names,
        # and its readers use that codec. Whoosh's own reads what this one writes; naming it
        # keeps the index readable where this class is not (an older release, a rename).
        return W3Segment(W3Codec(), indexname)


def open_writer(ix: whoosh_index.Index, **kwargs) -> SegmentWriter:
    """``ix.writer(**kwargs)`` with this index's codec (every writer of the index uses it)."""
    return ix.writer(codec=_InliningCodec(), **kwargs)


def current_generation(index_dir: str) -> str | None:
    """The name of the live generation (None when there is none)."""
    try:
        return os.readlink(os.path.join(index_dir, CURRENT_LINK))
    except OSError:
        return None


def indexed_docs(reader: IndexReader, page_id: int) -> tuple[list[int], int | None]:
    """(document numbers of ``page_id``, its indexed revision or None)."""
    try:
        docnums = list(reader.postings(PAGE_ID, str(page_id)).all_ids())
    except (KeyError, wq.TermNotFound):
        return [], None
    revs = [int(reader.stored_fields(docnum)[REV]) for docnum in docnums]
    return docnums, max(revs, default=None)


def smallest_segments(segments: list) -> list:
    """The smallest segments by live documents, in tiers (SMALL_SEGMENT_DOCS), that fit in
    MERGE_MAX_DOCS documents together; none when fewer than two qualify (nothing to merge)."""
    chosen, total = [], 0
    for segment in sorted(segments, key=lambda s: s.doc_count()):
        size = segment.doc_count()
        if total + size > MERGE_MAX_DOCS or size > max(total, SMALL_SEGMENT_DOCS):
            break
        chosen.append(segment)
        total += size
    return chosen if len(chosen) > 1 else []


def _live(segments: list) -> list:
    """The segments that hold a live document. A segment whose documents were all replaced
    is dropped with no merge (searches open every segment in the table of contents)."""
    return [s for s in segments if s.doc_count()]


def merge_smallest(writer: SegmentWriter, segments: list) -> list:
    """Whoosh merge policy: merge :func:`smallest_segments`."""
    segments = _live(segments)
    chosen = smallest_segments(segments)
    for segment in chosen:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in chosen]


def merge_when_many(writer: SegmentWriter, segments: list) -> list:
    """Whoosh merge policy of apply(): merge_smallest only past MAX_SEGMENTS, a safety net
    for processes that never run maintain()."""
    segments = _live(segments)
    if len(segments) <= MAX_SEGMENTS:
        return segments
    return merge_smallest(writer, segments)


def fill_generation(
    path: str, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None
) -> int:
    """Add ``docs`` to the empty index at ``path`` with one large single-process writer."""
    writer = open_writer(whoosh_index.open_dir(path), procs=1, limitmb=REBUILD_LIMIT_MB)
    seen: set[int] = set()
    try:
        for doc in docs:
            if doc.page_id in seen:
                continue
            seen.add(doc.page_id)
            writer.add_document(**doc_fields(doc))
            if progress is not None and len(seen) % PROGRESS_EVERY == 0:
                progress(len(seen))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    if progress is not None:
        progress(len(seen))
    return len(seen)


def lock_live_generation(index_dir: str) -> tuple[LockBase | None, str | None]:
    """Hold the live generation's write lock so no apply() lands in an index being
    replaced. A missing or unlockable generation has nothing to protect."""
    deadline = time.monotonic() + WRITE_TIMEOUT
    while True:
        gen = current_generation(index_dir)
        path = os.path.join(index_dir, gen) if gen else None
        if path is None or not os.path.isdir(path):
            return None, gen
        lock = FileStorage(path).lock(WRITE_LOCK)
        if lock.acquire(blocking=False):
            if current_generation(index_dir) == gen:
                return lock, gen
            lock.release()
            continue
        if time.monotonic() > deadline:
            raise IndexBusy(f"{index_dir}: write lock held for {WRITE_TIMEOUT}s")
        time.sleep(0.05)


def remove_old_generations(index_dir: str, replaced: str | None) -> None:
    """Delete the replaced generation and leftovers of crashed rebuilds (old enough not
    to be a rebuild still running in another process)."""
    live = current_generation(index_dir)
    for name in os.listdir(index_dir):
        path = os.path.join(index_dir, name)
        if not name.startswith("gen-") or name == live:
            continue
        try:
            stale = time.time() - os.path.getmtime(path) > ABANDONED_AFTER
        except OSError:
            continue
        if name == replaced or stale:
            shutil.rmtree(path, ignore_errors=True)
