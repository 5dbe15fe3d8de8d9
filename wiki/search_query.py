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

Tokenising is shared too: ``WORD_RE`` finds whole tokens (``docker-compose.yml``,
``rest_framework.permissions``) and ``split_identifier`` adds their snake/camel/dotted/dashed
parts, so ``select_related``, ``select`` and ``related`` can all be found. ``make_snippet``
builds the escaped, ``<mark>``-highlighted result snippet from plain text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

MAX_QUERY_LENGTH = 500
MIN_PREFIX_CHARS = 2
# Each prefix expands to many index terms, so only the first few count as prefixes.
MAX_PREFIXES = 8
MAX_SYNONYM_WORDS = 4
# Each synonym adds an alternative to the query; a runaway synonym line must stay cheap.
MAX_SYNONYMS = 16
SNIPPET_CHARS = 240
# Snippets look only at the start of a page, so a 1 MiB page costs no more than a short one.
SNIPPET_SCAN_CHARS = 20_000

# A whole token: a word, or words joined by "." or "-" (identifiers, file names, versions).
WORD_RE = re.compile(r"\w+(?:[.\-]\w+)*")
_PIECE_RE = re.compile(r"[^\W_]+")
_CAMEL_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_QUERY_TOKEN_RE = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?"(?P<phrase>[^"]*)"'
    r'|(?P<word>[^\s"()\[\]{}]+)'
    r"|(?P<other>\S)"
)
_FIELD_WORD_RE = re.compile(r"([A-Za-z]+):(.+)")
_UPDATED_RE = re.compile(r"(>=|<=|>|<|=)?(\d{4}-\d{2}-\d{2})")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})

FilterField = Literal["tag", "author", "under"]
_FILTER_FIELDS: frozenset[str] = frozenset({"tag", "author", "under"})


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


def title_key(title: str) -> str:
    """A title (or typed text) as compared for "exact title match": underscores read as
    spaces (as in wiki titles), whitespace collapsed, lower-cased."""
    return " ".join(title.replace("_", " ").split()).lower()


def replace_words(text: str, corrections: Mapping[str, str]) -> str:
    """Replace whole words of ``text`` case-insensitively (keys are lower-cased words)."""
    if not corrections:
        return text
    pattern = r"(?<!\w)(" + "|".join(re.escape(k) for k in corrections) + r")(?!\w)"
    return re.sub(
        pattern, lambda m: corrections.get(m.group(1).lower(), m.group(1)), text, flags=re.I
    )


def identifier_parts(token: str) -> list[tuple[int, int]]:
    """Spans of the snake/camel/dotted/dashed parts of ``token``; empty when it has one part.

    Only ASCII pieces are split by case, so words in other scripts stay whole.
    """
    spans: list[tuple[int, int]] = []
    for piece in _PIECE_RE.finditer(token):
        if piece.group().isascii():
            base = piece.start()
            camel = _CAMEL_RE.finditer(piece.group())
            spans.extend((base + m.start(), base + m.end()) for m in camel)
        else:
            spans.append(piece.span())
    return spans if len(spans) > 1 else []


def split_identifier(token: str) -> list[str]:
    """The lower-cased whole token followed by its distinct parts.

    ``"getElementById"`` gives ``["getelementbyid", "get", "element", "by", "id"]``;
    ``"@shared_task"`` gives ``["shared_task", "shared", "task"]``. Never raises.
    """
    core = re.sub(r"^\W+|\W+$", "", token)
    if not core:
        return []
    words = [core.lower()] + [core[s:e].lower() for s, e in identifier_parts(core)]
    return list(dict.fromkeys(words))


def parse_synonyms(text: str) -> dict[str, list[str]]:
    """Read ``A = B`` (or ``A = B = C``) lines into a lower-cased mapping that works both ways.

    List markers (``- ``, ``* ``) are ignored, as are lines without ``=`` and lines starting
    with ``#``. Each line is one group: ``A = B`` and ``B = C`` give ``b -> [a, c]`` but do not
    make ``a`` and ``c`` synonyms. Never raises.
    """
    synonyms: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*+]\s+)?", "", line)
        if line.startswith("#") or "=" not in line:
            continue
        group = [" ".join(_clean(part).lower().split()) for part in line.split("=")]
        group = list(dict.fromkeys(word for word in group if word))
        for word in group:
            known = synonyms.setdefault(word, [])
            known.extend(other for other in group if other != word and other not in known)
    return {word: others for word, others in synonyms.items() if others}


def parse_query(q: str, synonyms: Mapping[str, list[str]] | None = None) -> ParsedQuery:
    """Parse a search box query; see the module docstring for the grammar. Never raises.

    ``synonyms`` (as from ``parse_synonyms``) turn a word, quoted phrase or run of up to
    MAX_SYNONYM_WORDS plain words that is a synonym into an OR group with its synonyms.
    """
    truncated = len(q) > MAX_QUERY_LENGTH
    original = q[:MAX_QUERY_LENGTH]
    builder = _Builder()
    for match in _QUERY_TOKEN_RE.finditer(_clean(original)):
        if match.group("phrase") is not None:
            builder.phrase(match.group("phrase"), match.group("field"), bool(match.group("neg")))
        elif match.group("word") is not None:
            builder.word(match.group("word"))
        else:
            builder.separator()
    return builder.finish(original, truncated, _normalise_keys(synonyms or {}))


def _clean(text: str) -> str:
    """NFKC-normalise and turn control, format and unassigned characters into spaces."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(" " if unicodedata.category(ch) in _DROPPED_CATEGORIES else ch for ch in text)


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
        if name not in _FILTER_FIELDS:
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


def make_snippet(
    text: str, is_match: Callable[[str], bool], *, width: int = SNIPPET_CHARS
) -> str | None:
    """An HTML snippet of ``text`` around the densest cluster of matching words.

    ``is_match`` gets each lower-cased whole token and, when that does not match, each of its
    parts. Everything is HTML-escaped; the only markup added is ``<mark>``. Returns None when
    no word of the first SNIPPET_SCAN_CHARS characters matches.
    """
    text = " ".join(text[:SNIPPET_SCAN_CHARS].split())
    spans = list(_match_spans(text, is_match))
    if not spans:
        return None
    start, end = _best_window(text, spans, width)
    out = ["…" if start > 0 else ""]
    pos = start
    for s, e, _ in spans:
        if s >= pos and e <= end:
            out += [html.escape(text[pos:s]), "<mark>", html.escape(text[s:e]), "</mark>"]
            pos = e
    out += [html.escape(text[pos:end]), "…" if end < len(text) else ""]
    return "".join(out)


def plain_snippet(text: str, *, width: int = SNIPPET_CHARS) -> str:
    """The start of ``text``, whitespace collapsed and HTML-escaped, cut at a word."""
    text = " ".join(text[: width * 4].split())
    if len(text) <= width:
        return html.escape(text)
    cut = text.rfind(" ", 0, width)
    return html.escape(text[: cut if cut > width // 2 else width]) + "…"


def _match_spans(text: str, is_match: Callable[[str], bool]) -> Iterator[tuple[int, int, str]]:
    for m in WORD_RE.finditer(text):
        whole = m.group().lower()
        if is_match(whole):
            yield m.start(), m.end(), whole
            continue
        for s, e in identifier_parts(m.group()):
            part = m.group()[s:e].lower()
            if is_match(part):
                yield m.start() + s, m.start() + e, part


def _best_window(text: str, spans: list[tuple[int, int, str]], width: int) -> tuple[int, int]:
    """The window (start, end) showing the most distinct matches, earliest on ties."""
    spans = spans[:200]
    best, anchor = (-1, -1), 0
    for i, (s, _, _) in enumerate(spans):
        inside = [key for s2, e2, key in spans[i:] if e2 <= s + width]
        score = (len(set(inside)), len(inside))
        if score > best:
            best, anchor = score, s
    start = max(0, anchor - width // 6)
    space = text.rfind(" ", 0, start + 1)
    start = space + 1 if start > 0 and space >= start - 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", anchor, end)
        end = space if space > anchor else end
    return start, end
