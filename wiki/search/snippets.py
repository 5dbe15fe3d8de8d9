"""Result snippets: escaped text around the matching words, which are wrapped in ``<mark>``.

Both functions HTML-escape everything they return; the only markup they add is ``<mark>``, so
a page containing ``<script>`` text can never inject it through a snippet. Pure, never raise.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

from wiki.search.text import WORD_RE, identifier_parts

SNIPPET_CHARS = 240
# Snippets look only at the start of a page, so a 1 MiB page costs no more than a short one.
SNIPPET_SCAN_CHARS = 20_000


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
