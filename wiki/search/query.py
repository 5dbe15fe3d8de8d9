"""The search query language and text handling shared by every search backend.

``parse_query`` turns what a person typed into a :class:`ParsedQuery`, a small backend-neutral
AST of frozen dataclasses. The grammar::

    django orm             every word must match (backends stem them)
    "exact phrase"         words in this order
    celery OR rq           either side; OR binds the text items next to it
    -draft  NOT draft      the page must not match
    deploy*                prefix (at least MIN_PREFIX_CHARS before the *)
    title:word             the word in the title only (also title:"a phrase", title:pre*)
    tag:x  author:x        metadata filters; -tag:x excludes
    under:Django           the page Django and its sub-pages (under:"Django REST")
    updated:>2026-01-01    also >=, <, <=, or a bare date for that whole (UTC) day

Brackets only separate words. Whatever the grammar cannot make sense of (unbalanced quotes,
lone operators, ``foo~99``, ``[a TO z]``, unknown ``field:value``) is read as plain words:
``parse_query`` never raises. Control and format characters (NUL, bidi overrides, zero-width
characters) are dropped and the text is NFKC-normalised.

Tokenising lives in ``wiki.search.text`` and snippets in ``wiki.search.snippets``; their
public names are re-exported here for callers that want one import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal

from wiki.search.query_ast import (
    FILTER_FIELDS,
    Clause,
    Filter,
    ParsedQuery,
    Phrase,
    Prefix,
    Term,
    TextQuery,
)
from wiki.search.snippets import SNIPPET_CHARS, make_snippet, marked_snippet, plain_snippet
from wiki.search.text import (
    WORD_RE,
    clean_text,
    identifier_parts,
    parse_synonyms,
    replace_words,
    split_identifier,
    title_key,
)

__all__ = [
    "MAX_QUERY_LENGTH",
    "MIN_PREFIX_CHARS",
    "SNIPPET_CHARS",
    "WORD_RE",
    "Clause",
    "Filter",
    "ParsedQuery",
    "Phrase",
    "Prefix",
    "Term",
    "TextQuery",
    "identifier_parts",
    "make_snippet",
    "marked_snippet",
    "parse_query",
    "parse_synonyms",
    "plain_snippet",
    "replace_words",
    "split_identifier",
    "title_key",
]

MAX_QUERY_LENGTH = 500
MIN_PREFIX_CHARS = 2
# Each prefix expands to many index terms, so only the first few count as prefixes.
MAX_PREFIXES = 8
MAX_SYNONYM_WORDS = 4
# Each synonym adds an alternative to the query; a runaway synonym line must stay cheap.
MAX_SYNONYMS = 16
_QUERY_TOKEN_RE = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?"(?P<phrase>[^"]*)"'
    r'|(?P<word>[^\s"()\[\]{}]+)'
    r"|(?P<other>\S)"
)
_FIELD_WORD_RE = re.compile(r"([A-Za-z]+):(.+)")
_UPDATED_RE = re.compile(r"(>=|<=|>|<|=)?(\d{4}-\d{2}-\d{2})")


def parse_query(q: str, synonyms: Mapping[str, list[str]] | None = None) -> ParsedQuery:
    """Parse a search box query; see the module docstring for the grammar. Never raises.

    ``synonyms`` (as from ``parse_synonyms``) turn a word, quoted phrase or run of up to
    MAX_SYNONYM_WORDS plain words that is a synonym into an OR group with its synonyms.
    """
    truncated = len(q) > MAX_QUERY_LENGTH
    original = q[:MAX_QUERY_LENGTH]
    builder = _Builder()
    for match in _QUERY_TOKEN_RE.finditer(clean_text(original)):
        if match.group("phrase") is not None:
            builder.phrase(match.group("phrase"), match.group("field"), bool(match.group("neg")))
        elif match.group("word") is not None:
            builder.word(match.group("word"))
        else:
            builder.separator()
    return builder.finish(original, truncated, _normalise_keys(synonyms or {}))


def _normalise_keys(synonyms: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {" ".join(key.lower().split()): list(values) for key, values in synonyms.items()}


class _Builder:
    """Collects query items left to right; the parser's only state."""

    def __init__(self) -> None:
        self.clauses: list[list[TextQuery]] = []
        self.joinable: list[bool] = []  # False for clauses made by OR (not synonym material)
        self.excluded: list[TextQuery] = []
        self.filters: list[Filter] = []
        self.after: datetime | None = None
        self.before: datetime | None = None
        self.title_words: list[str] = []
        self.plain_title = True
        self.prefixes = 0
        self.pending_not = False
        self.pending_or = False
        self.last_positive = False

    def separator(self) -> None:
        """Brackets and stray quotes only separate words."""

    def word(self, word: str) -> None:
        if word in ("OR", "NOT", "AND"):
            self._operator(word)
            return
        negated = word.startswith("-") and len(word) > 1
        word = word[1:] if negated else word
        field_match = _FIELD_WORD_RE.fullmatch(word)
        if field_match and self._field(field_match.group(1).lower(), field_match.group(2), negated):
            return
        self._text(self._word_query(word, None), negated, word)

    def phrase(self, text: str, field: str | None, negated: bool) -> None:
        words = tuple(text.split())
        if field is not None:
            if words and self._field(field.lower(), " ".join(words), negated, quoted=True):
                return
            self.word(f"{field}:")
        if words:
            alt = Term(words[0]) if len(words) == 1 else Phrase(words)
            self._text(alt, negated, " ".join(words))

    def _operator(self, op: str) -> None:
        if op == "AND":
            return
        if op == "NOT":
            if self.pending_not:
                self._plain("NOT")
            self.pending_not = True
        elif self.pending_or or self.pending_not or not self.last_positive:
            self._plain("OR")
        else:
            self.pending_or = True

    def _plain(self, word: str) -> None:
        """An operator that cannot apply is a plain word; pending operators are left alone."""
        self.title_words.append(word)
        self.clauses.append([Term(word)])
        self.joinable.append(False)

    def _word_query(self, word: str, field: Literal["title"] | None) -> TextQuery:
        stripped = word.rstrip("*")
        if stripped != word and "*" not in stripped and self.prefixes < MAX_PREFIXES:
            prefix = re.sub(r"^\W+", "", stripped).lower()
            if len(prefix) >= MIN_PREFIX_CHARS:
                self.prefixes += 1
                self.plain_title = False
                return Prefix(prefix, field)
        return Term(word, field)

    def _field(self, name: str, value: str, negated: bool, quoted: bool = False) -> bool:
        """Handle ``name:value``; False when it is not a field we know (then it is text)."""
        if name == "title":
            words = tuple(value.split())
            alt = Phrase(words, "title") if len(words) > 1 else self._word_query(value, "title")
            if quoted and len(words) == 1:
                alt = Term(value, "title")
            self._text(alt, negated, value)
            return True
        negated = negated or self.pending_not
        if name == "updated":
            return not negated and self._updated(value)
        if name not in FILTER_FIELDS:
            return False
        value = " ".join(value.lower().split())
        if name == "under":
            value = " ".join(value.replace("_", " ").split()).strip("/ ")
        if not value:
            return False
        self.filters.append(Filter(name, value, negated))  # type: ignore[arg-type]
        self._not_text()
        return True

    def _updated(self, value: str) -> bool:
        match = _UPDATED_RE.fullmatch(value)
        if not match:
            return False
        try:
            day = datetime.fromisoformat(match.group(2)).replace(tzinfo=UTC)
            next_day = day + timedelta(days=1)
        except (ValueError, OverflowError):
            return False
        op = match.group(1) or "="
        after = {">": next_day, ">=": day, "=": day}.get(op)
        before = {"<": day, "<=": next_day, "=": next_day}.get(op)
        if after is not None:
            self.after = max(self.after or after, after)
        if before is not None:
            self.before = min(self.before or before, before)
        self._not_text()
        return True

    def _not_text(self) -> None:
        """A filter was added: a pending NOT was used, a pending OR joins nothing."""
        self.pending_not = self.pending_or = self.last_positive = False

    def _text(self, alt: TextQuery, negated: bool, typed: str) -> None:
        negated = negated or self.pending_not
        self.pending_not = False
        if negated:
            if self.pending_or:
                self.pending_or = False
                self._plain("OR")
            self.excluded.append(alt)
            self.last_positive = False
            return
        self.title_words.append(typed)
        self.last_positive = True
        if self.pending_or:
            self.pending_or = False
            self.plain_title = False
            self.clauses[-1].append(alt)
            self.joinable[-1] = False
            return
        self.clauses.append([alt])
        self.joinable.append(isinstance(alt, Term) and alt.field is None)

    def finish(
        self, original: str, truncated: bool, synonyms: Mapping[str, list[str]]
    ) -> ParsedQuery:
        if self.pending_not:
            self._plain("NOT")
        if self.pending_or:
            self._plain("OR")
        groups = _join_synonym_runs(self.clauses, self.joinable, synonyms)
        clauses = tuple(Clause(_expand(alts, synonyms)) for alts in groups)
        excluded = _expand(self.excluded, synonyms)
        return ParsedQuery(
            original=original,
            clauses=clauses,
            excluded=excluded,
            filters=tuple(dict.fromkeys(self.filters)),
            updated_after=self.after,
            updated_before=self.before,
            title_text=" ".join(self.title_words) if self.plain_title else "",
            text_terms=_text_terms(clauses),
            truncated=truncated,
        )


def _join_synonym_runs(
    clauses: list[list[TextQuery]], joinable: list[bool], synonyms: Mapping[str, list[str]]
) -> list[list[TextQuery]]:
    """Merge runs of plain words that form a multi-word synonym into one phrase clause."""
    if not synonyms:
        return clauses
    out: list[list[TextQuery]] = []
    i = 0
    while i < len(clauses):
        for size in range(MAX_SYNONYM_WORDS, 1, -1):
            run = clauses[i : i + size]
            if len(run) == size and all(joinable[i : i + size]):
                words = tuple(alts[0].text for alts in run)  # type: ignore[union-attr]
                if " ".join(words).lower() in synonyms:
                    out.append([Phrase(words)])
                    i += size
                    break
        else:
            out.append(clauses[i])
            i += 1
    return out


def _expand(alts: list[TextQuery], synonyms: Mapping[str, list[str]]) -> tuple[TextQuery, ...]:
    """The alternatives plus the synonyms of every word or phrase among them."""
    out = list(alts)
    for alt in alts:
        if isinstance(alt, Prefix):
            continue
        key = alt.text if isinstance(alt, Term) else " ".join(alt.words)
        for other in synonyms.get(key.lower(), [])[:MAX_SYNONYMS]:
            words = tuple(other.split())
            out.append(Term(words[0], alt.field) if len(words) == 1 else Phrase(words, alt.field))
    return tuple(dict.fromkeys(out))


def _text_terms(clauses: tuple[Clause, ...]) -> tuple[str, ...]:
    terms: list[str] = []
    for clause in clauses:
        for alt in clause.alternatives:
            if isinstance(alt, Term):
                terms.append(alt.text.rstrip("*"))
            elif isinstance(alt, Phrase):
                terms.extend(alt.words)
            else:
                terms.append(alt.text + "*")
    return tuple(dict.fromkeys(terms))
