"""Full-text search on PostgreSQL (``SEARCH_BACKEND=postgres``), with WhooshBackend's interface.

Every live page has a row in ``search_documents``; the migration gives it a generated,
weighted ``tsv`` column (title and ``title_terms`` A; headings and tags B; prose C, all
'english'; code D, 'simple') with a GIN index. So several app servers share one index, and
a page's row is written in the same transaction as its revision (see
``wiki.search.indexing``). Methods use the Flask-SQLAlchemy session and never commit,
except ``rebuild`` (one commit per batch).

Code-aware: PostgreSQL's parser keeps ``getElementById`` or ``docker-compose.yml`` whole, so
each text column also carries the parts of its identifiers (``get Element By Id``) after a
separator character; snippets read only the text before it (``split_part``). A term with
symbols (``C++``, ``N+1``, ``HTTP/2``), which the parser would split or drop, is also stored
as one lexeme made of word characters (``symbol_lexeme``), and queries look for that.
``title_terms`` holds the same for the title.

Queries: each word, phrase or prefix of the ParsedQuery is turned into a tsquery by
PostgreSQL itself (``phraseto_tsquery``; ``to_tsquery`` of a quoted prefix made of word
characters only), in the 'english' and the 'simple' configuration (code is unstemmed). The
pieces come back as tsquery text quoted by PostgreSQL and are joined with ``& | !``, so user
text never reaches SQL or tsquery syntax unescaped. Words that are only stop words are
dropped, as in the Whoosh backend.

Ranking: the exact title match first, then pages whose own name (the title's last segment)
is the query or a synonym of it, then pages whose title holds every typed word, then those
whose title matches every clause (synonyms too), then pages with every symbol term whole (not
only its parts), then ``ts_rank_cd`` (title A, headings and tags B, prose C, code and
generated API reference text D); a relaxed query (any word) ranks pages matching more of
its words first; filter-only queries newest first. Snippets come from ``ts_headline`` with
control-character sentinels; its output is not safe HTML, so it is escaped in Python and
only the sentinels become ``<mark>``. Spelling corrections for words the index lacks come from the
index's own words (``ts_stat``), cached per backend for VOCABULARY_TTL seconds.
"""

from __future__ import annotations

import difflib
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import TextClause, delete, select, text
from sqlalchemy.dialects.postgresql import insert

from wiki.extensions import db
from wiki.models import SearchDocument
from wiki.search.documents import MAX_PER_PAGE, Hit, SearchDoc, SearchResults
from wiki.search.postgres.lexemes import has_lexeme, symbol_lexeme
from wiki.search.postgres.sql import RESULT_ORDER, search_sql, translate
from wiki.search.query_ast import ParsedQuery
from wiki.search.snippets import SNIPPET_CHARS, marked_snippet, plain_snippet
from wiki.search.text import WORD_RE, edit_distance, identifier_parts, title_key

SEP = "\x1f"  # between a column's text and its identifier parts
START, STOP = "\x02", "\x03"  # ts_headline highlight sentinels
# Stand-ins for < and > in stored text: PostgreSQL's parser reads "<script>" as an HTML tag
# and would neither index nor highlight it.
LT, GT = "\x0e", "\x0f"
# Characters with a meaning above (and NUL, which PostgreSQL text cannot hold) never reach a
# row as themselves.
_UNSAFE = str.maketrans({**{c: " " for c in "\x00\x02\x03\x0e\x0f\x1f"}, "<": LT, ">": GT})
_RESTORE = str.maketrans({LT: "<", GT: ">"})
MAX_COLUMN_CHARS = 400_000  # keeps every tsvector far below PostgreSQL's 1 MB limit
HEADLINE_CHARS = 8_000
HEADLINE_OPTIONS = (
    f'StartSel="{START}", StopSel="{STOP}", MaxWords=30, MinWords=15, ShortWord=2, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
HEADLINE_WHOLE = f'StartSel="{START}", StopSel="{STOP}", HighlightAll=true'
# Rebuilding the vocabulary parses every page (0.5 s at 10,000 pages), so it is kept a while.
VOCABULARY_TTL = 300.0
BATCH = 200
PROGRESS_EVERY = 100


def _safe(value: str) -> str:
    return value.translate(_UNSAFE)


def _plain(value: str) -> str:
    """Titles, tags and authors: only NUL (impossible in PostgreSQL text) is replaced."""
    return value.replace("\x00", " ")


def _restore(value: str) -> str:
    return value.translate(_RESTORE)


def identifier_words(text: str) -> str:
    """For every distinct token of ``text`` with parts or symbols, one line: its parts and,
    when it holds symbols, its :func:`symbol_lexeme` (PostgreSQL's parser would split it)."""
    parts: dict[str, str] = {}
    for m in WORD_RE.finditer(text):
        token = m.group()
        if token not in parts:
            words = [token[s:e] for s, e in identifier_parts(token)]
            if has_lexeme(token):
                words.append(symbol_lexeme(token))
            parts[token] = " ".join(words)
    return "\n".join(p for p in parts.values() if p)


def _with_parts(value: str, source: str) -> str:
    parts = identifier_words(source)
    return f"{value}{SEP}{parts}" if parts else value


def document_row(doc: SearchDoc) -> dict[str, object]:
    """The ``search_documents`` row of ``doc``."""
    title = _plain(doc.title)
    headings = _safe(doc.headings)[:MAX_COLUMN_CHARS]
    body = _safe(doc.body_text)[:MAX_COLUMN_CHARS]
    code = _safe(doc.code)[:MAX_COLUMN_CHARS]
    tags = (" ".join(_plain(t).lower().split()) for t in doc.tags)
    return {
        "page_id": doc.page_id,
        "title": title,
        "title_terms": identifier_words(_safe(title)),
        "headings": _with_parts(headings, headings),
        "body_text": _with_parts(body, body),
        "code": _with_parts(code, code),
        "tags": "\n".join(dict.fromkeys(t for t in tags if t)),
        "author": _plain(doc.author)[:40],
        "updated": doc.updated if doc.updated.tzinfo else doc.updated.replace(tzinfo=UTC),
        "rev": doc.rev,
    }


@dataclass
class _Vocabulary:
    words: dict[str, int]
    expires: float


class PgBackend:
    """Search over ``search_documents`` in the app's PostgreSQL database."""

    def __init__(self) -> None:
        self._vocabulary: _Vocabulary | None = None
        self._vocabulary_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    def needs_rebuild(self) -> bool:
        """True when no page is indexed although live pages exist (a fresh switch to this
        backend); other differences are repaired page by page."""
        sql = text(
            "SELECT NOT EXISTS (SELECT 1 FROM search_documents) AND EXISTS "
            "(SELECT 1 FROM pages WHERE NOT deleted AND current_rev > 0)"
        )
        return bool(db.session.scalar(sql))

    def close(self) -> None:
        """Nothing to release: the database session belongs to the app."""

    def maintain(self) -> bool:
        """Nothing to do: saves write through the GIN index (no pending list, see
        migration c29)."""
        return False

    def optimize(self) -> int:
        """Refresh the planner's statistics of the search table (autovacuum does it too,
        where it runs); the table is one part: returns 1."""
        db.session.execute(text("ANALYZE search_documents"))
        db.session.commit()
        return 1

    # -- writing ---------------------------------------------------------------------------

    def apply(self, updates: Iterable[SearchDoc], removals: Iterable[int]) -> None:
        """Remove pages, then add or replace pages, in the caller's transaction.

        A row whose indexed revision is newer than the given one is left alone.
        """
        latest: dict[int, SearchDoc] = {}
        for doc in updates:
            if doc.page_id not in latest or doc.rev >= latest[doc.page_id].rev:
                latest[doc.page_id] = doc
        gone = sorted(set(removals))
        if gone:
            db.session.execute(delete(SearchDocument).where(SearchDocument.page_id.in_(gone)))
        rows = [document_row(doc) for pid, doc in sorted(latest.items()) if pid not in gone]
        for start in range(0, len(rows), BATCH):
            db.session.execute(_upsert(rows[start : start + BATCH]))

    def rebuild(
        self, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        """Write every doc (committing every BATCH) and drop rows of pages that are not live.

        Rows written meanwhile for a newer revision are kept. Returns the number indexed.
        """
        seen: set[int] = set()
        batch: list[dict[str, object]] = []
        for doc in docs:
            if doc.page_id in seen:
                continue
            seen.add(doc.page_id)
            batch.append(document_row(doc))
            if len(batch) == BATCH:
                self._write_batch(batch)
                batch = []
            if progress is not None and len(seen) % PROGRESS_EVERY == 0:
                progress(len(seen))
        self._write_batch(batch)
        db.session.execute(
            text(
                "DELETE FROM search_documents d WHERE NOT EXISTS (SELECT 1 FROM pages p "
                "WHERE p.id = d.page_id AND NOT p.deleted AND p.current_rev > 0)"
            )
        )
        db.session.commit()
        self._vocabulary = None
        if progress is not None:
            progress(len(seen))
        return len(seen)

    @staticmethod
    def _write_batch(rows: list[dict[str, object]]) -> None:
        if rows:
            db.session.execute(_upsert(rows))
            db.session.commit()

    # -- reading ---------------------------------------------------------------------------

    def indexed_revisions(self) -> dict[int, int]:
        """Page id -> indexed revision."""
        rows = db.session.execute(select(SearchDocument.page_id, SearchDocument.rev))
        return {int(pid): int(rev) for pid, rev in rows}

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Up to ``limit`` live titles starting with ``prefix`` (shortest first), then titles
        with a word starting with it; case-insensitive."""
        key = title_key(prefix)
        if not key or limit < 1:
            return []
        like = re.sub(r"([\\%_])", r"\\\1", key) + "%"
        word = "(^|[^[:alnum:]_])" + re.sub(r"([^\w\s]|_)", lambda m: "\\" + m.group(1), key)
        live = "NOT deleted AND current_rev > 0"
        order = "ORDER BY length(title), lower(title), title LIMIT :limit"
        # Titles starting with the prefix come first: when they fill the list, the scan of
        # every title for a word starting with it (a regular expression) is not needed.
        found = list(
            db.session.scalars(
                text(f"SELECT title FROM pages WHERE {live} AND lower(title) LIKE :like {order}"),
                {"like": like, "limit": limit},
            )
        )
        if len(found) < limit:
            sql = text(
                f"SELECT title FROM pages WHERE {live} AND lower(title) ~ :word "
                f"AND lower(title) NOT LIKE :like {order}"
            )
            params = {"like": like, "word": word, "limit": limit - len(found)}
            found += db.session.scalars(sql, params)
        return found

    def search(
        self, query: ParsedQuery, *, page: int = 1, per_page: int = 20, correct: bool = True
    ) -> SearchResults:
        """Run ``query`` (see the module docstring for the ranking). When a query of plain
        words finds nothing, words the index lacks are corrected from its vocabulary, as in
        WhooshBackend.search."""
        page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
        if query.is_empty:
            return SearchResults(0, (), 1, 0, None, None, query.truncated)
        results = self._run(query, page, per_page)
        if results.total == 0 and query.correctable_words:
            fixes = self._corrections(query.correctable_words)
            if fixes:
                fixed = query.corrected(fixes)
                corrected = self._run(fixed, page, per_page)
                if corrected.total and correct:
                    return replace(corrected, corrected_query=fixed.original)
                if corrected.total:
                    return replace(results, suggestion=fixed.original)
        return results

    def _run(self, query: ParsedQuery, page: int, per_page: int) -> SearchResults:
        """Two round trips: the tsquery texts with the exact title, then the ranked page of
        results with their snippets."""
        tsq = translate(db.session, query, title_key(query.title_text))
        exact = tsq.exact
        sql, params = search_sql(query, tsq, exact[0] if exact else None)
        if sql is None:
            return SearchResults(0, (), 1, 0, None, exact and exact[1], query.truncated)
        sql = _with_snippets(sql, tsq.positive, params)
        rows = db.session.execute(sql, {**params, "limit": per_page, "offset": 0}).all()
        total = int(rows[0].total) if rows else 0
        pages = math.ceil(total / per_page)
        page = min(page, max(pages, 1))
        if page > 1:
            params = {**params, "limit": per_page, "offset": (page - 1) * per_page}
            rows = db.session.execute(sql, params).all()
        hits = tuple(
            Hit(
                page_id=r.page_id,
                title=r.title,
                snippet_html=_snippet(r.body_hl, r.code_hl, r.start),
                updated=_aware(r.updated),
                author=r.author,
                score=float(r.rank or 0.0),
            )
            for r in rows
        )
        return SearchResults(total, hits, page, pages, None, exact and exact[1], query.truncated)

    # -- spelling --------------------------------------------------------------------------

    def _corrections(self, words: tuple[str, ...]) -> dict[str, str]:
        """The nearest indexed word (edit distance 1, or 2 for words over 4 letters) with the
        same first letter for each word the index lacks; the most common on ties."""
        vocabulary = self._words()
        fixes: dict[str, str] = {}
        for word in words:
            if word in vocabulary:
                continue
            maxdist = 1 if len(word) <= 4 else 2
            pool = [w for w in vocabulary if w[:1] == word[:1] and abs(len(w) - len(word)) <= 2]
            ranked = []
            for cand in difflib.get_close_matches(word, pool, n=12, cutoff=0.6):
                dist = edit_distance(word, cand, maxdist)
                if dist <= maxdist:
                    ranked.append((dist, -vocabulary[cand], cand))
            if ranked:
                fixes[word] = min(ranked)[2]
        return fixes

    def _words(self) -> dict[str, int]:
        """Indexed words (unstemmed, lower-cased) -> number of pages, cached."""
        with self._vocabulary_lock:
            cached = self._vocabulary
            if cached is None or cached.expires < time.monotonic():
                rows = db.session.execute(text(_VOCABULARY_SQL))
                words = {w: n for w, n in rows if w.isalpha() and len(w) > 2}
                cached = self._vocabulary = _Vocabulary(words, time.monotonic() + VOCABULARY_TTL)
            return cached.words


_VOCABULARY_SQL = (
    "SELECT word, ndoc FROM ts_stat($$SELECT to_tsvector('simple', title || ' ' || "
    "split_part(headings, chr(31), 1) || ' ' || split_part(body_text, chr(31), 1)) "
    "FROM search_documents$$)"
)


def _upsert(rows: list[dict[str, object]]):
    stmt = insert(SearchDocument).values(rows)
    columns = (
        "title",
        "title_terms",
        "headings",
        "body_text",
        "code",
        "tags",
        "author",
        "updated",
        "rev",
    )
    return stmt.on_conflict_do_update(
        index_elements=[SearchDocument.page_id],
        set_={name: stmt.excluded[name] for name in columns},
        where=SearchDocument.rev <= stmt.excluded.rev,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _with_snippets(search: TextClause, positive: str | None, params: dict) -> TextClause:
    """``search`` (search_sql's ranked rows) with each row's snippet material: ts_headline of
    the prose (``body_hl``), else of the code (``code_hl``), and the prose's start, all in
    the same statement, worked out only for the rows of the page asked for.

    Texts up to SNIPPET_CHARS are shown whole (HighlightAll): ts_headline's fragments would
    otherwise drop the words before the first match.
    """
    texts = (
        f"SELECT r.*, left(split_part(s.body_text, chr(31), 1), {HEADLINE_CHARS}) AS body, "
        f"left(split_part(s.code, chr(31), 1), {HEADLINE_CHARS}) AS code "
        "FROM ranked r JOIN search_documents s ON s.page_id = r.page_id"
    )
    if positive is None:
        snippets = (
            "SELECT t.*, NULL AS body_hl, NULL AS code_hl, left(body, 1200) AS start "
            f"FROM ({texts}) t"
        )
    else:
        headline = (
            "ts_headline('{cfg}', t.{col}, CAST(:q AS tsquery), "
            f"CASE WHEN length(t.{{col}}) <= {SNIPPET_CHARS} THEN :whole ELSE :opts END)"
        )
        body = headline.format(cfg="english", col="body")
        code = headline.format(cfg="simple", col="code")
        # The code's headline is only shown when the prose has no match: only then is it
        # worked out (ts_headline parses its whole text, the most costly part of a search).
        snippets = (
            f"SELECT t.*, CASE WHEN strpos(body_hl, chr(2)) > 0 THEN NULL ELSE {code} END "
            "AS code_hl, left(body, 1200) AS start "
            f"FROM (SELECT t.*, {body} AS body_hl FROM ({texts}) t OFFSET 0) t"
        )
        params.update(opts=HEADLINE_OPTIONS, whole=HEADLINE_WHOLE)
    return text(
        f"WITH ranked AS ({search.text}) "
        "SELECT page_id, title, author, updated, rank, total, body_hl, code_hl, start "
        f"FROM ({snippets}) t ORDER BY {RESULT_ORDER}"
    )


def _snippet(body_hl: str | None, code_hl: str | None, start: str | None) -> str:
    """Snippet HTML: the prose's headline, else the code's, else the prose's start."""
    for marked in (body_hl, code_hl):
        if marked and START in marked:
            return marked_snippet(" ".join(_restore(marked).split()), START, STOP)
    return plain_snippet(_restore(start or ""))


__all__ = ["PgBackend", "document_row", "identifier_words", "symbol_lexeme"]
