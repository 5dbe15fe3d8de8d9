"""The parsed search query: a small backend-neutral AST of frozen dataclasses.

``wiki.search.query.parse_query`` builds it; each backend translates it into its own query
language. Nothing here raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from wiki.search.text import replace_words

FilterField = Literal["tag", "author", "under"]
FILTER_FIELDS: frozenset[str] = frozenset({"tag", "author", "under"})


@dataclass(frozen=True)
class Term:
    """One typed word (as typed, e.g. ``select_related``); ``field`` None means all text."""

    text: str
    field: Literal["title"] | None = None


@dataclass(frozen=True)
class Phrase:
    """Words that must appear in this order."""

    words: tuple[str, ...]
    field: Literal["title"] | None = None


@dataclass(frozen=True)
class Prefix:
    """Words starting with ``text`` (lower-cased, at least MIN_PREFIX_CHARS long)."""

    text: str
    field: Literal["title"] | None = None


TextQuery = Term | Phrase | Prefix


@dataclass(frozen=True)
class Clause:
    """An OR group: it matches a page when any alternative does."""

    alternatives: tuple[TextQuery, ...]


@dataclass(frozen=True)
class Filter:
    """A metadata filter. ``value`` is lower-cased; for ``under`` it is a title path with
    spaces (never underscores) and no leading or trailing ``/``."""

    field: FilterField
    value: str
    negated: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query. A page matches when it matches every clause, no ``excluded`` item,
    and the filters: all positive ``tag`` filters, any positive ``author`` filter, any
    positive ``under`` filter (a page has one author and one place), no negated filter,
    and ``updated_after <= updated < updated_before``.

    ``title_text`` is the positive words and phrases as typed, in order (empty when the query
    uses OR or prefixes); backends compare it case-insensitively with titles so an exact title
    match ranks first. ``text_terms`` are the words to highlight; entries ending in ``*`` are
    prefixes. ``original`` is the input, cut to MAX_QUERY_LENGTH (``truncated`` says so).
    ``any_clause`` (a :meth:`relaxed` query): a page matches when it matches any clause, and
    pages matching more clauses rank first.
    """

    original: str
    clauses: tuple[Clause, ...] = ()
    excluded: tuple[TextQuery, ...] = ()
    filters: tuple[Filter, ...] = ()
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    title_text: str = ""
    text_terms: tuple[str, ...] = ()
    truncated: bool = False
    any_clause: bool = False

    @property
    def is_empty(self) -> bool:
        """True when nothing positive was asked for (backends then return no results)."""
        return not (self.clauses or self.filters or self.updated_after or self.updated_before)

    @property
    def correctable_words(self) -> tuple[str, ...]:
        """Lower-cased plain words that a backend may replace by a spelling correction."""
        words = []
        for clause in self.clauses:
            alt = clause.alternatives[0]
            if len(clause.alternatives) == 1 and isinstance(alt, Term):
                if re.fullmatch(r"[^\W\d_]{3,}", alt.text):
                    words.append(alt.text.lower())
        return tuple(dict.fromkeys(words))

    def relaxed(self) -> ParsedQuery | None:
        """This query asking for any of its clauses instead of all of them (filters and
        exclusions stay), pages matching the most clauses first, for a query of several
        words that found nothing; None for a query of fewer than two clauses."""
        if len(self.clauses) < 2 or self.any_clause:
            return None
        return replace(self, title_text="", any_clause=True)

    def corrected(self, corrections: Mapping[str, str]) -> ParsedQuery:
        """Return this query with plain words replaced (keys are lower-cased words); the
        replacement words are also used in ``original`` and ``title_text``."""

        def fix(alt: TextQuery) -> TextQuery:
            if isinstance(alt, Term) and alt.text.lower() in corrections:
                return Term(corrections[alt.text.lower()], alt.field)
            return alt

        clauses = tuple(Clause(tuple(fix(a) for a in c.alternatives)) for c in self.clauses)
        return replace(
            self,
            original=replace_words(self.original, corrections),
            clauses=clauses,
            title_text=replace_words(self.title_text, corrections),
            text_terms=tuple(corrections.get(t.lower(), t) for t in self.text_terms),
        )
