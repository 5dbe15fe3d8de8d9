"""The SQL of the PostgreSQL search backend: a ParsedQuery as tsquery text and a ranked query.

``translate`` asks PostgreSQL to turn each word, phrase or prefix into tsquery text (so its
own parser stems and quotes them), then joins the pieces with ``& | !``. ``search_sql``
builds the ranked, filtered query over ``search_documents``. All user text travels as bound
parameters; the SQL text is made of fixed fragments and generated parameter names only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from wiki.search.postgres.lexemes import has_lexeme, symbol_lexeme
from wiki.search.query_ast import ParsedQuery, Phrase, Term, TextQuery
from wiki.search.text import WORD_RE, identifier_parts, is_symbol_term, title_key

_LEXEME_RE = re.compile(r"('(?:[^']|'')*')(?::(\*?)[A-D]*)?")
_PREFIX_PIECE_RE = re.compile(r"[^\W_]+")
_TAGS = "string_to_array(d.tags, chr(10))"


@dataclass(frozen=True)
class Translated:
    """tsquery texts (None when empty): ``positive`` is every clause (for matching, ranking
    and snippets), ``in_title`` the same restricted to the title (weight A), ``banned`` what
    a page must not match."""

    positive: str | None
    in_title: str | None
    banned: str | None
    whole: str | None = None  # ``positive`` with symbol terms whole; None when it has none
    typed_in_title: str | None = None  # ``in_title`` with each clause's typed words only
    clauses: tuple[str, ...] = ()  # each clause of a relaxed query, to count the matched
    exact: tuple[int, str] | None = None  # (id, title) of the page titled as typed


def _pg_inputs(alt: TextQuery) -> list[tuple[str, str]]:
    """(tsquery function, its text argument) pairs whose union is one alternative."""
    if isinstance(alt, Term):
        return _term_inputs(alt.text)
    if isinstance(alt, Phrase):
        return [("phraseto_tsquery", " ".join(alt.words))]
    pieces = _PREFIX_PIECE_RE.findall(alt.text)
    if not pieces:
        return [("phraseto_tsquery", alt.text)]
    # Pieces hold letters and digits only, so this quoting is all the escaping they need.
    lexemes = [f"'{p}'" for p in pieces[:-1]] + [f"'{pieces[-1]}':*"]
    return [("to_tsquery", " <-> ".join(lexemes))]


def _term_inputs(typed: str) -> list[tuple[str, str]]:
    """A typed word: its whole token(s) or all of its parts, as the Whoosh backend does.

    A term with symbols (``C++``, ``N+1``, ``select_related``) is looked for as its symbol
    lexeme (see ``symbol_lexeme``) or as its parts of two characters or more, never as
    PostgreSQL's own split of it ("C++" would be just "c").
    """
    tokens = [m.group() for m in WORD_RE.finditer(typed)]
    if len(tokens) == 1 and not tokens[0].isalnum():
        token = tokens[0]
        inputs = [("to_tsquery", _quoted(symbol_lexeme(token)))] if has_lexeme(token) else []
        parts = [token[s:e] for s, e in identifier_parts(token) if e - s > 1]
        if not all(part.isdigit() for part in parts):
            inputs.append(("phraseto_tsquery", " ".join(parts)))
        return inputs
    parts = identifier_parts(typed)
    # PostgreSQL may keep "document.getElementById" as one token: its parts always match.
    joined = [" ".join(typed[s:e] for s, e in parts)] if parts else []
    inputs = [("phraseto_tsquery", words) for words in [typed, *joined]]
    if any(not t.isalnum() for t in tokens):
        # Every token, symbol terms as their lexeme (stored apart, so not as a phrase).
        lexemes = [
            symbol_lexeme(t) if has_lexeme(t) else t for t in tokens if t.isalnum() or has_lexeme(t)
        ]
        inputs.append(("to_tsquery", " & ".join(_quoted(x) for x in lexemes)))
    return inputs


def _quoted(lexeme: str) -> str:
    """``lexeme`` (letters, digits and ``_`` only here) as a quoted tsquery operand."""
    return "'" + lexeme.replace("'", "''") + "'"


def _weighted(piece: str) -> str:
    """``piece`` with every lexeme restricted to weight A (the title)."""
    return _LEXEME_RE.sub(lambda m: f"{m.group(1)}:{m.group(2) or ''}A", piece)


def _combine(texts: list[str | None], alt: TextQuery) -> str | None:
    """One alternative as a parenthesised tsquery; None when it is only stop words.

    ``texts`` alternate 'english' and 'simple' tsquery texts; an input whose 'english' form
    is empty (only stop words) is dropped with its 'simple' form.
    """
    pieces: list[str] = []
    for english, simple in zip(texts[::2], texts[1::2], strict=True):
        english, simple = (english or "").strip(), (simple or "").strip()
        if english:
            pieces += [english] + ([simple] if simple and simple != english else [])
    if not pieces:
        return None
    piece = "( " + " | ".join(dict.fromkeys(pieces)) + " )"
    return _weighted(piece) if alt.field == "title" else piece


# The live page whose title_key is :key, as "id<US>title" (ids are digits: split once).
_EXACT_SQL = (
    "(SELECT id::text || chr(31) || title FROM pages WHERE title_key = :key AND NOT deleted "
    "AND current_rev > 0 LIMIT 1)"
)


def translate(session: Session, query: ParsedQuery, key: str = "") -> Translated:
    """The tsquery texts of ``query`` and, when ``key`` is given, the live page whose
    title_key it is (``exact``), in one round trip to PostgreSQL."""
    alts = list(dict.fromkeys([a for c in query.clauses for a in c.alternatives]))
    alts += [a for a in dict.fromkeys(query.excluded) if a not in alts]
    exprs, params, spans = [], {}, []
    for alt in alts:
        start = len(exprs)
        for func, arg in _pg_inputs(alt):
            name = f"a{len(params)}"
            params[name] = arg
            exprs += [f"{func}('english', :{name})::text", f"{func}('simple', :{name})::text"]
        spans.append((start, len(exprs)))
    if not exprs and not key:
        return Translated(None, None, None)
    row = session.execute(
        text("SELECT " + ", ".join([*exprs, _EXACT_SQL if key else "NULL"])),
        {**params, "key": key} if key else params,
    ).one()
    exact = _exact(row[-1])
    if not alts:
        return Translated(None, None, None, exact=exact)
    pieces = {alt: _combine(list(row[s:e]), alt) for alt, (s, e) in zip(alts, spans, strict=True)}
    clauses = [[(a, p) for a in c.alternatives if (p := pieces[a])] for c in query.clauses]
    clauses = [c for c in clauses if c]
    banned = " | ".join(p for a in query.excluded if (p := pieces[a]))
    groups = [_group([p for _, p in c]) for c in clauses]
    if query.any_clause and len(groups) > 1:
        # A relaxed query: any clause, and a title with one of the words is no tier.
        return Translated(
            " | ".join(groups), None, banned or None, clauses=tuple(groups), exact=exact
        )
    positive = " & ".join(groups)
    in_title = " & ".join(_group([_in_title(a, p) for a, p in c]) for c in clauses)
    # The first alternative of a clause is what was typed; the others are synonyms.
    typed = " & ".join(_in_title(*c[0]) for c in clauses)
    wholes = [[_whole(a) or p for a, p in c] for c in clauses]
    whole = (
        " & ".join(_group(c) for c in wholes)
        if wholes != [[p for _, p in c] for c in clauses]
        else ""
    )
    return Translated(
        positive or None,
        in_title or None,
        banned or None,
        whole or None,
        typed or None,
        exact=exact,
    )


def _exact(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    page_id, title = value.split("\x1f", 1)
    return int(page_id), title


def _whole(alt: TextQuery) -> str | None:
    """A symbol term (``C++``, ``HTTP/2``, ``__init__``) as its lexeme alone; else None."""
    if isinstance(alt, Term):
        tokens = [m.group() for m in WORD_RE.finditer(alt.text)]
        if len(tokens) == 1 and is_symbol_term(tokens[0]) and has_lexeme(tokens[0]):
            return _quoted(symbol_lexeme(tokens[0]))
    return None


def _in_title(alt: TextQuery, piece: str) -> str:
    """``piece`` restricted to the title; a symbol term (``C++``, ``HTTP/2``) only whole."""
    whole = _whole(alt)
    return whole + ":A" if whole else _weighted(piece)


def _group(pieces: list[str]) -> str:
    return pieces[0] if len(pieces) == 1 else "( " + " | ".join(pieces) + " )"


def page_names(query: ParsedQuery) -> list[str]:
    """What ``query`` would be as a page's own name (its title's last segment, title_key
    form): the typed text and, when it is one clause, each synonym of it ("DRF" names
    "Key technologies/Django REST Framework")."""
    names = [query.title_text] if query.title_text else []
    if len(query.clauses) == 1:
        for alt in query.clauses[0].alternatives:
            if isinstance(alt, Term | Phrase) and alt.field is None:
                names.append(alt.text if isinstance(alt, Term) else " ".join(alt.words))
    return [key for key in dict.fromkeys(title_key(name) for name in names) if key]


# A title's last segment as title_key has it (titles read "_" as a space).
_LEAF_KEY = "lower(btrim(replace(regexp_replace(d.title, '^.*/', ''), '_', ' ')))"


def _like_prefix(value: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", value) + "/%"


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _filters(query: ParsedQuery) -> tuple[list[str], list[str], dict[str, object]]:
    """(conditions a page must meet, conditions that only exclude, parameters)."""
    required: list[str] = []
    excluding: list[str] = []
    params: dict[str, object] = {}
    unders: list[str] = []
    authors: list[str] = []
    for n, f in enumerate(query.filters):
        name = f"f{n}"
        params[name] = f.value
        if f.field == "tag":
            cond = f"{_TAGS} @> ARRAY[CAST(:{name} AS text)]"
        elif f.field == "author":
            cond = f"lower(d.author) = :{name}"
        else:
            params[f"{name}l"] = _like_prefix(f.value)
            cond = f"(lower(d.title) = :{name} OR lower(d.title) LIKE :{name}l ESCAPE '\\')"
        if f.negated:
            excluding.append(f"NOT {cond}")
        elif f.field == "tag":
            required.append(cond)
        else:
            (authors if f.field == "author" else unders).append(cond)
    # A page has one author and one place: any of those filters may match.
    required += [f"({' OR '.join(group)})" for group in (authors, unders) if group]
    if query.updated_after is not None:
        params["after"] = _naive_utc(query.updated_after)
        required.append("d.updated >= :after")
    if query.updated_before is not None:
        params["before"] = _naive_utc(query.updated_before)
        required.append("d.updated < :before")
    return required, excluding, params


def search_sql(
    query: ParsedQuery, tsq: Translated, exact_id: int | None
) -> tuple[TextClause | None, dict[str, object]]:
    """The ranked query (it takes ``limit`` and ``offset`` too), or None when nothing can
    match. Each row: page_id, title, author, updated, rank, total."""
    required, excluding, params = _filters(query)
    matching = []
    if tsq.positive:
        params["q"] = tsq.positive
        matching.append("d.tsv @@ CAST(:q AS tsquery)")
    if exact_id is not None:
        params["exact"] = exact_id
        if matching:
            matching.append("d.page_id = :exact")
    if matching:
        required.insert(0, "(" + " OR ".join(matching) + ")")
    elif not required:
        if exact_id is None:
            return None, {}
        required.append("d.page_id = :exact")
    if tsq.banned:
        params["banned"] = tsq.banned
        excluding.append("NOT (d.tsv @@ CAST(:banned AS tsquery))")
    exact = "d.page_id = :exact" if exact_id is not None else "FALSE"
    in_title = "FALSE"
    if tsq.in_title:
        params["tq"] = tsq.in_title
        in_title = "d.tsv @@ CAST(:tq AS tsquery)"
    named = "FALSE"
    if names := page_names(query):  # the page's own name is the query or its synonym
        params["names"] = names
        named = f"{_LEAF_KEY} = ANY(CAST(:names AS text[]))"
    typed = "FALSE"
    if tsq.typed_in_title:  # the typed words in the title rank above their synonyms there
        params["ttq"] = tsq.typed_in_title
        typed = "d.tsv @@ CAST(:ttq AS tsquery)"
    whole = "FALSE"
    if tsq.whole:  # pages with the symbol terms whole rank above those with only their parts
        params["wq"] = tsq.whole
        whole = "d.tsv @@ CAST(:wq AS tsquery)"
    matched = "0"
    if tsq.clauses:  # a relaxed query: pages matching more clauses first
        params.update({f"c{n}": clause for n, clause in enumerate(tsq.clauses)})
        matched = " + ".join(
            f"(d.tsv @@ CAST(:c{n} AS tsquery))::int" for n in range(len(tsq.clauses))
        )
    rank = "ts_rank_cd(d.tsv, CAST(:q AS tsquery), 1)" if tsq.positive else "0"
    sql = (
        f"SELECT d.page_id, d.title, d.author, d.updated, {rank} AS rank, "
        f"({exact}) AS exact, ({named}) AS named, ({typed}) AS typed, ({in_title}) AS in_title, "
        f"({whole}) AS whole, ({matched}) AS matched, "
        f"count(*) OVER () AS total "
        f"FROM search_documents d WHERE {' AND '.join(required + excluding)} "
        f"ORDER BY {RESULT_ORDER} LIMIT :limit OFFSET :offset"
    )
    return text(sql), params


# The order of results, over the columns of search_sql's rows.
RESULT_ORDER = (
    "exact DESC, named DESC, typed DESC, in_title DESC, matched DESC, whole DESC, rank DESC, "
    "updated DESC, page_id"
)


__all__ = ["RESULT_ORDER", "Translated", "page_names", "search_sql", "translate"]
