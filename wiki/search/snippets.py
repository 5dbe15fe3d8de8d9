"""Result snippets: escaped text around the matching words, which are wrapped in ``<mark>``.

Both functions HTML-escape everything they return; the only markup they add is ``<mark>``, so
a page containing ``<script>`` text can never inject it through a snippet. Pure, never raise.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import accumulate, compress

from wiki.search.text import WORD_RE, identifier_parts

SNIPPET_CHARS = 240
# Snippets look only at the start of a page, so a 1 MiB page costs no more than a short one.
SNIPPET_SCAN_CHARS = 20_000


def make_snippet(
    text: str, is_match: Callable[[str], bool] | WordMarks, *, width: int = SNIPPET_CHARS
) -> str | None:
    """An HTML snippet of ``text`` around the densest cluster of matching words.

    ``is_match`` gets each lower-cased whole token and, when that does not match, each of its
    parts. Everything is HTML-escaped; the only markup added is ``<mark>``. Returns None when
    no word of the first SNIPPET_SCAN_CHARS characters matches. Snippets of one search can
    share a :class:`WordMarks` (given as ``is_match``), so each word is looked at once.
    """
    text = " ".join(text[:SNIPPET_SCAN_CHARS].split())
    marks = is_match if isinstance(is_match, WordMarks) else WordMarks(is_match)
    spans = list(_match_spans(text, marks))
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


def marked_snippet(text: str, start_sel: str, stop_sel: str) -> str:
    """Escape ``text`` that carries highlight sentinels (as from PostgreSQL's ts_headline)
    and turn each sentinel pair into ``<mark>``; unpaired sentinels are dropped.

    The sentinels must be distinct, non-empty, and absent from the original text.
    """
    out: list[str] = []
    open_mark = False
    pattern = f"({re.escape(start_sel)}|{re.escape(stop_sel)})"
    for piece in re.split(pattern, text):
        if piece == start_sel:
            if not open_mark:
                out.append("<mark>")
            open_mark = True
        elif piece == stop_sel:
            if open_mark:
                out.append("</mark>")
            open_mark = False
        else:
            out.append(html.escape(piece))
    if open_mark:
        out.append("</mark>")
    return "".join(out).replace("<mark></mark>", "")


class WordMarks:
    """Which tokens to mark for one search: ``is_match`` applied to each distinct token
    once, however many snippets it appears in (one search makes up to 40 of them)."""

    def __init__(self, is_match: Callable[[str], bool]) -> None:
        self.is_match = is_match
        self._seen: set[str] = set()
        self._marks: dict[str, list[tuple[int, int, str]]] = {}

    def of(self, tokens: set[str]) -> dict[str, list[tuple[int, int, str]]]:
        """Token -> the spans in it to mark, for the ``tokens`` that have some."""
        for token in tokens - self._seen:
            spans = _token_marks(token, self.is_match)
            if spans:
                self._marks[token] = spans
        self._seen |= tokens
        return {token: self._marks[token] for token in tokens & self._marks.keys()}


# The text split around its tokens (odd pieces are tokens): one scan gives the distinct
# tokens and, by the lengths of the pieces, their places. WORD_RE's lookarounds make each
# scan cost; findall then finditer scanned twice, and most of a search's time was those.
_PIECES_RE = re.compile(f"({WORD_RE.pattern})", WORD_RE.flags)
assert WORD_RE.groups == 0, "a group of WORD_RE's would add pieces to the split"


def _match_spans(text: str, marks: WordMarks) -> Iterator[tuple[int, int, str]]:
    pieces = _PIECES_RE.split(text)
    tokens = pieces[1::2]
    found = marks.of(set(tokens))
    if not found:  # most code fields: not walked piece by piece
        return
    # Where each piece ends, and which tokens match, in C: a page has a thousand tokens and
    # a snippet a few matches, which alone are looked at in Python.
    ends = list(accumulate(map(len, pieces)))
    for i in compress(range(1, len(pieces), 2), map(found.__contains__, tokens)):
        start = ends[i - 1]
        for s, e, key in found[pieces[i]]:
            yield start + s, start + e, key


def _token_marks(token: str, is_match: Callable[[str], bool]) -> list[tuple[int, int, str]]:
    """The spans of ``token`` to mark: the whole token, or else its matching parts."""
    whole = token.lower()
    if is_match(whole):
        return [(0, len(token), whole)]
    spans = []
    for s, e in _parts(token):
        part = token[s:e].lower()
        if is_match(part):
            spans.append((s, e, part))
    return spans


@lru_cache(maxsize=65_536)
def _parts(token: str) -> tuple[tuple[int, int], ...]:
    """``identifier_parts``, remembered: pages share most of their words."""
    return tuple(identifier_parts(token))


def _best_window(text: str, spans: list[tuple[int, int, str]], width: int) -> tuple[int, int]:
    """The window (start, end) showing the most distinct matches, earliest on ties."""
    spans = spans[:200]
    best, anchor = (-1, -1), 0
    # The smallest start from each span on (the parts of one token are not in order), so
    # that the scan from a span stops where no later span can fit in its window.
    lowest = [s for s, _, _ in spans]
    for j in range(len(lowest) - 2, -1, -1):
        lowest[j] = min(lowest[j], lowest[j + 1])
    for i, (s, _, _) in enumerate(spans):
        inside = []
        for j in range(i, len(spans)):
            if lowest[j] > s + width:
                break
            if spans[j][1] <= s + width:
                inside.append(spans[j][2])
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
