"""Running a ParsedQuery on a Whoosh searcher: query building, ranking, snippets, spelling.

Only the Whoosh backend (``wiki.search.whoosh.backend``) calls this; it hands in an open searcher.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC
from heapq import nlargest
from itertools import islice

from whoosh import query as wq
from whoosh.collectors import TopCollector
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.support.levenshtein import distance
from whoosh.util.text import utf8decode

from wiki.search.documents import Hit, SearchResults
from wiki.search.query import MIN_PREFIX_CHARS
from wiki.search.query_ast import ParsedQuery, Phrase, Term, TextQuery
from wiki.search.snippets import WordMarks, make_snippet, plain_snippet
from wiki.search.text import STOP_WORDS, WORD_RE, is_symbol_term, split_identifier, title_key
from wiki.search.whoosh.schema import (
    ANALYZER,
    AUTHOR,
    BODY,
    CODE,
    FIELD_WEIGHTS,
    PAGE_ID,
    PATH,
    SPELLING_FIELDS,
    TAGS,
    TEXT_FIELDS,
    TITLE,
    TITLE_EXACT,
    TITLE_STARTS,
    UPDATED,
    Weights,
    keyword,
    naive_utc,
    stem_word,
)
from wiki.search.whoosh.scoring import PostingsCache, top_documents

# How much the parts of a symbol term (the "clang" of "clang++") count against the whole term.
SYMBOL_PART_BOOST = 0.02
# Prefix queries use at most this many index terms per field (the most frequent ones).
PREFIX_EXPANSION = 64


def _tokens(text: str) -> list[tuple[int, str, bool]]:
    """(position, indexed term, is a part) for each token ``text`` is indexed as."""
    return [(t.pos, t.text, t.part) for t in ANALYZER(text, positions=True)]


class _Or(wq.Or):
    """``wq.Or`` that always matches with a tree of union matchers.

    Whoosh's automatic choice preloads every segment under 5,000 documents into a
    2,048-slot score array per OR node (``ArrayUnionMatcher``), zeroed and refilled in
    Python: most of a search's matching time at 10,000 pages, for the same sums.
    """

    matcher_type = wq.Or.DEFAULT_MATCHER


def _any(queries: list) -> wq.Query:
    return queries[0] if len(queries) == 1 else _Or(queries)


def _all(queries: list) -> wq.Query:
    return queries[0] if len(queries) == 1 else wq.And(queries)


def _any_field(term: str, fields: Weights, scale: float = 1.0) -> wq.Query:
    return _any([wq.Term(name, term, boost=weight * scale) for name, weight in fields])


def _word_query(text: str, fields: Weights, strict: bool = False) -> wq.Query | None:
    """Each whole token, or else all of its parts (``git-scm.com`` finds ``git-scm.com/x``);
    parts that are only numbers do not count (``l10n`` is not ``10``). With ``strict``, a
    symbol term (``C++``, ``HTTP/2``, see ``is_symbol_term``) must be whole."""
    symbol_positions = {
        n for n, m in enumerate(WORD_RE.finditer(text)) if is_symbol_term(m.group())
    }
    strict_positions = symbol_positions if strict else set()
    groups: dict[int, tuple[list[str], list[str]]] = {}
    for pos, term, part in _tokens(text):
        groups.setdefault(pos, ([], []))[part].append(term)
    subs = []
    for pos, (wholes, parts) in groups.items():
        options = [_any_field(term, fields) for term in wholes]
        if all(term.isdigit() for term in parts):
            parts = []
        if parts and pos not in strict_positions:
            # The parts of a symbol term weigh little: "clang" is not "clang++".
            scale = SYMBOL_PART_BOOST if pos in symbol_positions else 1.0
            options.append(_all([_any_field(term, fields, scale) for term in parts]))
        if options:
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
    prefixes = {text, stem_word(text)} if re.fullmatch(r"\w+", text) else {text}
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


def _alt_query(reader: IndexReader, alt: TextQuery, strict: bool = False) -> wq.Query | None:
    """None when ``alt`` has no indexable word (stop words, punctuation)."""
    fields = FIELD_WEIGHTS[:1] if alt.field == "title" else FIELD_WEIGHTS
    if isinstance(alt, Term):
        return _word_query(alt.text, fields, strict)
    if isinstance(alt, Phrase):
        return _phrase_query(alt.words, fields)
    return _prefix_query(reader, alt.text, fields)


def _text_query(
    reader: IndexReader, query: ParsedQuery, title_only: bool = False
) -> wq.Query | None:
    """Every clause in any text field (or, with ``title_only``, in the title)."""
    clauses = []
    for clause in query.clauses:
        alts = [
            q
            for alt in clause.alternatives
            if (
                q := _alt_query(
                    reader, replace(alt, field="title") if title_only else alt, title_only
                )
            )
            is not None
        ]
        if alts:
            clauses.append(_any(alts))
    if query.any_clause and len(clauses) > 1:  # a relaxed query: the most clauses first
        return _Or([_Or([c, wq.ConstantScoreQuery(c, CLAUSE_TIER_SCORE)]) for c in clauses])
    return _all(clauses) if clauses else None


# Added to the score of pages whose title matches every clause: above any BM25 score.
TITLE_TIER_SCORE = 1_000_000.0
# Added for each clause a page matches in a relaxed query (any clause): above any BM25
# score, and TITLE_TIER_SCORE is a multiple of it (so ``score % CLAUSE_TIER_SCORE`` is BM25).
CLAUSE_TIER_SCORE = 10_000.0


def _filter_queries(
    reader: IndexReader, query: ParsedQuery
) -> tuple[wq.Query | None, wq.Query | None]:
    """(what a page must match, what it must not match) for the filters of ``query``."""
    terms = {
        "tag": lambda v: wq.Term(TAGS, v),
        "author": lambda v: wq.Term(AUTHOR, v),
        "under": lambda v: wq.Term(PATH, keyword(v)),
    }
    required = [terms["tag"](f.value) for f in query.filters if f.field == "tag" and not f.negated]
    for name in ("author", "under"):
        alts = [terms[name](f.value) for f in query.filters if f.field == name and not f.negated]
        if alts:
            required.append(_any(alts))
    if query.updated_after or query.updated_before:
        start = naive_utc(query.updated_after) if query.updated_after else None
        end = naive_utc(query.updated_before) if query.updated_before else None
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
    in_title: wq.Query | None = None  # every clause in the title: ranked above the rest

    def restrict(self, q: wq.Query) -> wq.Query:
        q = wq.And([q, self.required]) if self.required is not None else q
        return wq.AndNot(q, self.banned) if self.banned is not None else q

    def main(self) -> wq.Query | None:
        if self.text is not None:
            text = self.text
            if self.in_title is not None:
                tier = wq.ConstantScoreQuery(self.in_title, TITLE_TIER_SCORE)
                text = wq.AndMaybe(text, tier)
            return _Or([text, self.exact]) if self.exact is not None else text
        return wq.Every() if self.required is not None else self.exact


def _ranked(
    searcher: Searcher, plan: _Plan, limit: int, cache: PostingsCache | None = None
) -> tuple[int, list[tuple[int, float]]]:
    """(total matches, the top ``limit`` (docnum, score)) with the exact title match first.

    Queries of words without filters are scored over ``cache`` (see
    ``wiki.search.whoosh.scoring``); the rest through Whoosh's matchers."""
    main = plan.main()
    if main is None:
        return 0, []
    fast = None
    if (
        plan.text is not None
        and plan.required is None
        and plan.banned is None
        and cache is not None
    ):
        fast = top_documents(searcher, main, limit, cache)
    if fast is not None:
        total, top = fast
        order = [(docnum, score % CLAUSE_TIER_SCORE) for docnum, score in top]
    elif plan.text is not None:
        # Score every match, so the collector counts them all: with block-quality skipping
        # Whoosh re-runs the query just to count (slower), and its matcher replacement
        # ("replace") drops branches that cannot reach the top and so miscounts.
        collector = TopCollector(limit=limit, usequality=False, replace=0)
        searcher.search_with_collector(plan.restrict(main), collector)
        results = collector.results()
        order = [(hit.docnum, float(hit.score or 0.0) % CLAUSE_TIER_SCORE) for hit in results]
        total = len(results)
    else:  # no words to rank by: newest first
        results = searcher.search(plan.restrict(main), limit=limit, sortedby=UPDATED, reverse=True)
        order = [(hit.docnum, 0.0) for hit in results]
        total = len(results)
    if plan.exact is not None:
        # An exact title match is always first, whatever its score.
        top = searcher.search(plan.restrict(plan.exact), limit=1)
        if top:
            first = top[0].docnum
            score = next((s for d, s in order if d == first), float(top[0].score or 0.0))
            order = [(first, score)] + [(d, s) for d, s in order if d != first]
    return total, order


def run_search(
    searcher: Searcher,
    query: ParsedQuery,
    page: int,
    per_page: int,
    cache: PostingsCache | None = None,
    titles: Titles | None = None,
) -> SearchResults:
    reader = searcher.reader()
    key = title_key(query.title_text)
    exact = wq.Term(TITLE_EXACT, key) if key else None
    text = _text_query(reader, query)
    # A relaxed query's pages have some of the words: a title with one of them is no tier.
    in_title = (
        _text_query(reader, query, title_only=True)
        if text is not None and not query.any_clause
        else None
    )
    plan = _Plan(text, exact, *_filter_queries(reader, query), in_title)
    total, order = _ranked(searcher, plan, page * per_page + 1, cache)
    pages = math.ceil(total / per_page)
    if page > max(pages, 1):
        return run_search(searcher, query, max(pages, 1), per_page, cache, titles)
    matches = WordMarks(_highlighter(query))
    start = (page - 1) * per_page
    hits = tuple(_hit(searcher, d, s, matches) for d, s in order[start : start + per_page])
    exact_title = None
    if key:
        try:
            docnum = reader.first_id(TITLE_EXACT, key)  # first: an empty index has no columns
            if titles is not None:
                exact_title = titles.title(reader, docnum)
            else:
                exact_title = reader.column_reader(TITLE)[docnum]
        except (KeyError, wq.TermNotFound):
            pass
    return SearchResults(total, hits, page, pages, None, exact_title, query.truncated)


def _hit(searcher: Searcher, docnum: int, score: float, matches: WordMarks) -> Hit:
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
                stem_word(w)
                for w in split_identifier(m.group())
                if len(w) > 1 and w not in STOP_WORDS
            )

    def matches(word: str) -> bool:
        return stem_word(word) in stems or any(word.startswith(p) for p in prefixes)

    return matches


# Words of one segment's spelling fields by (first letter, length): segments never change
# once written, so WhooshBackend keeps one per segment id.
Words = dict[tuple[str, int], list[str]]
NEAR_MEMO_MAX = 2_000  # words remembered per segment (cleared when full)


class Vocabulary:
    """One segment's unstemmed words, with the near words found for each word asked about.

    Segments never change, so what is near a word in one stays true: a misspelt word
    searched again (or after a save, which adds a segment) is compared only with the words
    of the segments new since.
    """

    def __init__(self, words: Words) -> None:
        self.words = words
        self._near: dict[str, tuple[tuple[int, str], ...]] = {}

    def near(self, word: str, maxdist: int) -> tuple[tuple[int, str], ...]:
        """(distance, word) for this segment's words within ``maxdist`` edits of ``word``
        that share its first letter (``word`` itself excluded)."""
        key = f"{maxdist}:{word}"
        found = self._near.get(key)
        if found is None:
            lengths = range(len(word) - maxdist, len(word) + maxdist + 1)
            candidates = {c for n in lengths for c in self.words.get((word[:1], n), ())}
            found = tuple(
                (dist, cand)
                for cand in sorted(candidates - {word})
                if (dist := distance(word, cand, limit=maxdist)) <= maxdist
            )
            if len(self._near) >= NEAR_MEMO_MAX:
                self._near.clear()
            self._near[key] = found
        return found


def segment_vocabulary(leaf: IndexReader) -> Vocabulary:
    """The unstemmed words of one segment (a leaf reader), for spelling corrections."""
    words: Words = {}
    for name in SPELLING_FIELDS:
        for raw in leaf.lexicon(leaf.schema[name].spelling_fieldname(name)):
            word = utf8decode(raw)[0]
            words.setdefault((word[:1], len(word)), []).append(word)
    return Vocabulary(words)


def corrections(
    reader: IndexReader, words: tuple[str, ...], vocabularies: list[Vocabulary]
) -> dict[str, str]:
    """Spelling corrections for the words the index does not know, from its own vocabulary:
    the nearest word (edit distance 1, or 2 for words over 4 letters) sharing the first
    letter, the most common on ties."""
    fixes: dict[str, str] = {}
    for word in words:
        terms = [term for _, term, part in _tokens(word) if not part]
        if not terms or any(reader.doc_frequency(f, terms[0]) for f in TEXT_FIELDS):
            continue
        maxdist = 1 if len(word) <= 4 else 2
        near = {cand: dist for v in vocabularies for dist, cand in v.near(word, maxdist)}
        best: tuple[int, int, str] | None = None
        for cand, dist in near.items():
            df = max(reader.doc_frequency(name, stem_word(cand)) for name in SPELLING_FIELDS)
            rank = (dist, -df, cand)
            best = rank if best is None or rank < best else best
        if best is not None:
            fixes[word] = best[2]
    return fixes


class Titles:
    """Each segment's titles by document number, read once per segment (segments never
    change): a column reader over several segments reads every segment's offsets each time
    it is opened, most of the cost of a suggestion."""

    def __init__(self) -> None:
        self._segments: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def leaves(self, reader: IndexReader) -> list[tuple[IndexReader, int, list[str]]]:
        """(segment reader, its first document number in ``reader``, its titles)."""
        out = []
        with self._lock:
            kept: dict[str, list[str]] = {}
            for leaf, offset in reader.leaf_readers():
                if leaf.segment() is None:  # an empty index
                    continue
                segment_id = leaf.segment().segment_id()
                titles = self._segments.get(segment_id)
                if titles is None:
                    column = leaf.column_reader(TITLE)
                    titles = [column[d] for d in range(leaf.doc_count_all())]
                kept[segment_id] = titles
                out.append((leaf, offset, titles))
            self._segments = kept  # segments merged away drop out
        return out

    def title(self, reader: IndexReader, docnum: int) -> str:
        """The title of document ``docnum`` of ``reader``."""
        for _, offset, titles in reversed(self.leaves(reader)):
            if docnum >= offset:
                return titles[docnum - offset]
        raise KeyError(docnum)


def suggest_titles(reader: IndexReader, key: str, limit: int, titles: Titles) -> list[str]:
    """Up to ``limit`` titles whose title_key starts with ``key`` (shortest first), then
    titles with a word starting with it."""
    if not reader.doc_count():
        return []
    leaves = titles.leaves(reader)
    found: list[str] = []
    for field, value in ((TITLE_EXACT, key), (TITLE_STARTS, keyword(key))):
        # The first 5,000 terms of the index with the prefix, from each segment's own.
        terms = sorted(
            {t for leaf, _, _ in leaves for t in islice(leaf.expand_prefix(field, value), 5000)}
        )
        shortest = sorted(terms[:5000], key=lambda t: (len(t), t))[: limit * 4]
        matches = {
            names[d]
            for term in shortest
            for leaf, _, names in leaves
            if (field, term) in leaf
            for d in leaf.postings(field, term).all_ids()
        }
        ranked = sorted(matches - set(found), key=lambda t: (len(t), t.lower(), t))
        found.extend(ranked[: limit - len(found)])
        if len(found) >= limit:
            break
    return found
