"""Scoring a search's query tree over postings kept per segment, without Whoosh's matchers.

Whoosh walks an And/Or tree one document at a time through a matcher object per node: a
two-word search at 10,000 pages ("list files": ~700 matching pages, each word in four
fields) spent ~30 ms of CPU in ``is_active``/``skip_to``/``id`` calls. A segment never
changes once written (only its set of deleted documents grows), so the postings of a term in
a segment, as (document number, weight, field length), are read once and kept per segment
id; a search then works on dicts: union (Or: scores added), intersection (And: added),
AndMaybe, ConstantScoreQuery. Scores use Whoosh's own BM25F scorer for each term (inverse
document frequency and average field length of the whole index, so they follow every
commit), and the top documents are taken in Whoosh's collector order (score, then document
number): the same results and order as ``searcher.search_with_collector``.

Query trees holding anything else (phrases, prefixes, filters, date ranges) return None and
go through Whoosh's matchers. Only the Whoosh backend calls this, under its lock.
"""

from __future__ import annotations

import heapq
import threading
from array import array

from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

# Postings kept in all (24 bytes each: ~12 MB per worker at most, a budget like every cache's
# in #21): the cache is cleared when it would hold more. A hundred common words at 10,000
# pages fit.
MAX_POSTINGS = 500_000

Postings = tuple[array, array, array]  # document numbers, weights, field lengths
Scores = dict[int, float]
_EMPTY: Postings = (array("q"), array("d"), array("q"))


class Unsupported(Exception):
    """The query tree holds a node this module does not score."""


class PostingsCache:
    """(field, term) -> Postings for each live segment (by segment id)."""

    def __init__(self) -> None:
        self._segments: dict[str, dict[tuple[str, str], Postings]] = {}
        self._size = 0  # postings held
        self._lock = threading.Lock()

    def postings(self, leaf: IndexReader, segment_id: str, field: str, text: str) -> Postings:
        with self._lock:
            found = self._segments.get(segment_id, {}).get((field, text))
        if found is None:
            found = _read_postings(leaf, field, text)
            with self._lock:
                if self._size + len(found[0]) > MAX_POSTINGS:
                    self._segments.clear()
                    self._size = 0
                self._segments.setdefault(segment_id, {})[field, text] = found
                self._size += len(found[0])
        return found

    def keep_only(self, segment_ids: set[str]) -> None:
        """Forget segments that were merged away."""
        with self._lock:
            for gone in set(self._segments) - segment_ids:
                self._size -= sum(len(p[0]) for p in self._segments.pop(gone).values())


def _read_postings(leaf: IndexReader, field: str, text: str) -> Postings:
    try:
        btext = leaf.schema[field].to_bytes(text)
    except (KeyError, ValueError):
        return _EMPTY
    if (field, btext) not in leaf:
        return _EMPTY
    matcher = leaf.postings(field, btext)  # without the documents deleted so far
    docs, weights, lengths = array("q"), array("d"), array("q")
    while matcher.is_active():
        docnum = matcher.id()
        docs.append(docnum)
        weights.append(matcher.weight())
        lengths.append(leaf.doc_field_length(docnum, field, 1))
        matcher.next()
    return docs, weights, lengths


class _TermScorer:
    """One term's score for a document, as Whoosh's weighting scores it (times the boost).

    With Whoosh's BM25F (the index's weighting) only its statistics are asked for: building
    its scorer also reads the term's info from every segment, which the score never uses.
    """

    def __init__(self, searcher: Searcher, field: str, text: str, boost: float) -> None:
        self.boost = boost
        self.bm25: tuple[float, float, float, float] | None = None
        weighting = searcher.weighting
        if not searcher.schema[field].scorable:
            return
        if type(weighting) is BM25F:
            b = getattr(weighting, "_field_B", {}).get(field, weighting.B)
            avgfl = searcher.avg_field_length(field) or 1
            self.bm25 = (searcher.idf(field, text), avgfl, b, weighting.K1)
        else:
            scorer = weighting.scorer(searcher, field, text)
            self.bm25 = (scorer.idf, scorer.avgfl, scorer.B, scorer.K1)

    def __call__(self, postings: Postings) -> Scores:
        boost = self.boost
        docs, weights, lengths = postings
        if self.bm25 is None:  # unscored fields (IDs) score their weight
            scores = dict(zip(docs, weights, strict=True))
        else:
            idf, avgfl, b, k1 = self.bm25
            # Whoosh's scoring.bm25, inlined (same operations, same order).
            scores = {
                d: idf * ((w * (k1 + 1)) / (w + k1 * ((1 - b) + b * fl / avgfl)))
                for d, w, fl in zip(docs, weights, lengths, strict=True)
            }
        if boost != 1.0:
            return {d: s * boost for d, s in scores.items()}
        return scores


class _Leaf:
    """Scoring in one segment."""

    def __init__(self, searcher, leaf, segment_id, cache, scorers) -> None:
        self.searcher, self.leaf, self.segment_id = searcher, leaf, segment_id
        self.cache, self.scorers = cache, scorers

    def scores(self, q: wq.Query) -> Scores:
        kind = type(q)
        if q is wq.NullQuery:
            return {}
        if getattr(q, "boost", 1.0) != 1.0 and kind is not wq.Term:
            raise Unsupported(q)
        if kind is wq.Term:
            key = (q.fieldname, q.text, q.boost)
            scorer = self.scorers.get(key, False)
            if scorer is False:
                scorer = self.scorers[key] = _term_scorer(self.searcher, *key)
            if scorer is None:  # not in the index
                return {}
            return scorer(self.cache.postings(self.leaf, self.segment_id, q.fieldname, q.text))
        if isinstance(q, wq.Or) and not q.minmatch and q.scale is None:
            out: Scores = {}
            for sub in q.subqueries:
                for d, s in self.scores(sub).items():
                    out[d] = out[d] + s if d in out else s
            return out
        if kind is wq.And:
            parts = [self.scores(sub) for sub in q.subqueries]
            if not parts:
                return {}
            smallest = min(parts, key=len)
            # Scores are added in query order, as Whoosh's intersection adds them.
            return {
                d: _sum_in_order(d, parts)
                for d in smallest
                if all(d in p for p in parts if p is not smallest)
            }
        if kind is wq.AndMaybe:
            main, maybe = self.scores(q.a), self.scores(q.b)
            return {d: s + maybe[d] if d in maybe else s for d, s in main.items()}
        if kind is wq.ConstantScoreQuery:
            return dict.fromkeys(self.scores(q.child), q.score)
        raise Unsupported(q)


def _term_scorer(searcher: Searcher, field: str, text: str, boost: float) -> _TermScorer | None:
    """None when the index does not hold the term."""
    schema = searcher.schema
    if field not in schema:
        return None
    try:
        btext = schema[field].to_bytes(text)
    except ValueError:
        return None
    if (field, btext) not in searcher.reader():
        return None
    return _TermScorer(searcher, field, text, boost)


def _sum_in_order(d: int, parts: list[Scores]) -> float:
    total = parts[0][d]
    for p in parts[1:]:
        total += p[d]
    return total


def top_documents(
    searcher: Searcher, q: wq.Query, limit: int, cache: PostingsCache
) -> tuple[int, list[tuple[int, float]]] | None:
    """(number of matching documents, the top ``limit`` (docnum, score), best first) of
    ``q``, or None when ``q`` holds nodes this module does not score."""
    found: list[tuple[float, int]] = []
    scorers: dict = {}
    live: set[str] = set()
    try:
        for sub, offset in searcher.leaf_searchers():
            leaf = sub.reader()
            if leaf.segment() is None:  # an empty index
                continue
            segment_id = leaf.segment().segment_id()
            live.add(segment_id)
            scores = _Leaf(searcher, leaf, segment_id, cache, scorers).scores(q)
            deleted = leaf.has_deletions()
            found.extend(
                (s, offset + d) for d, s in scores.items() if not (deleted and leaf.is_deleted(d))
            )
    except Unsupported:
        return None
    cache.keep_only(live)
    top = heapq.nsmallest(limit, found, key=lambda item: (-item[0], item[1]))
    return len(found), [(docnum, score) for score, docnum in top]
