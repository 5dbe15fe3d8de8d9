"""Page sections: find the N-th heading's section of a Markdown body and splice a new one in.

PURE: no Flask, no database. A *section* starts at an ATX heading (``#`` to ``######`` at the
start of a line, as Python-Markdown reads them) and runs to the line before the next heading of
the same or a higher level, or to the end of the body. Headings are counted 1-based in source
order; lines inside fenced code blocks (```` ``` ```` or ``~~~``) and inside the YAML front
matter at the very top are not headings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape, unescape

_ATX = re.compile(r"^(#{1,6})(?!#)(.*?)#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FRONT = re.compile(r"^---[ \t]*$")
_FRONT_END = re.compile(r"^(---|\.\.\.)[ \t]*$")
_TRAILING_BREAKS = re.compile(r"(?:\r?\n)+\Z")


class SectionNotFound(LookupError):
    """The body has no section with that number."""


@dataclass(frozen=True)
class Heading:
    """One section heading: its 1-based ``number``, ``level`` (1-6), ``text`` and line span."""

    number: int
    level: int
    text: str
    start: int  # index of the heading's line
    end: int  # index one past the section's last line


def _front_matter_end(lines: list[str]) -> int:
    """Index of the first line after a YAML front-matter block at the top (0 if none)."""
    if not lines or not _FRONT.match(lines[0].rstrip("\r\n")):
        return 0
    for i in range(1, len(lines)):
        if _FRONT_END.match(lines[i].rstrip("\r\n")):
            return i + 1
    return 0


def _heading_lines(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, level, text) of every heading outside fences and front matter."""
    found: list[tuple[int, int, str]] = []
    fence: str | None = None
    for i in range(_front_matter_end(lines), len(lines)):
        line = lines[i].rstrip("\r\n")
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                if not line.strip().lstrip(fence[0]):
                    fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        match = _ATX.match(line)
        if match:
            found.append((i, len(match.group(1)), match.group(2).strip()))
    return found


def headings(body: str) -> list[Heading]:
    """Every section of ``body`` in source order, numbered from 1."""
    lines = body.splitlines(keepends=True)
    marks = _heading_lines(lines)
    result = []
    for n, (start, level, text) in enumerate(marks):
        end = next((s for s, lvl, _ in marks[n + 1 :] if lvl <= level), len(lines))
        result.append(Heading(n + 1, level, text, start, end))
    return result


def _find(body: str, number: int) -> tuple[list[str], Heading]:
    if number < 1:
        raise SectionNotFound(number)
    found = headings(body)
    if number > len(found):
        raise SectionNotFound(number)
    return body.splitlines(keepends=True), found[number - 1]


def section_text(body: str, number: int) -> str:
    """The text of section ``number`` (heading line included).

    :raises SectionNotFound: when ``number`` is not between 1 and the number of headings.
    """
    lines, heading = _find(body, number)
    return "".join(lines[heading.start : heading.end])


def splice(body: str, number: int, text: str) -> str:
    """``body`` with section ``number`` replaced by ``text``; every other line unchanged.

    A section followed by more text keeps the line breaks that separated the old section
    from it (a blank line stays a blank line), so an edited section never runs into the next
    heading, whatever trailing newlines the browser sent.

    :raises SectionNotFound: when ``number`` is not between 1 and the number of headings.
    """
    lines, heading = _find(body, number)
    after = lines[heading.end :]
    if after and text:
        old = "".join(lines[heading.start : heading.end])
        gap = _TRAILING_BREAKS.search(old)
        text = text.rstrip("\r\n") + (gap.group(0) if gap else "\n")
    return "".join(lines[: heading.start]) + text + "".join(after)


_HEADING_TAG = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_LINK_TARGET = re.compile(r"\]\([^)]*\)|\[\[[^\]|]*\|")  # link URLs, wiki-link targets
_LOOKAHEAD = 4  # source headings a rendered one may skip (e.g. one inside an HTML block)


def _words(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def link_headings(html: str, body: str, href: Callable[[int], str]) -> str:
    """``html`` (rendered from ``body``) with an "edit" link in each heading that is a section.

    Rendered headings are matched to the source's in order by level and text, so a heading
    the source does not count (one in a quote, a setext heading, raw HTML) gets no link rather
    than a wrong one. ``href(n)`` gives the URL for section ``n``; it is escaped here.
    """
    sources = headings(body)
    position = 0
    out: list[str] = []
    last = 0
    for match in _HEADING_TAG.finditer(html):
        level, inner = int(match.group(1)), match.group(3)
        shown = _words(unescape(_TAG.sub("", inner)))
        for k in range(position, min(position + _LOOKAHEAD, len(sources))):
            source = sources[k]
            wanted = _words(_LINK_TARGET.sub("", source.text))
            if source.level == level and (shown in wanted if shown else not wanted):
                position = k + 1
                end = match.end() - len(f"</h{level}>")
                label = escape(f"Edit section: {unescape(_TAG.sub('', inner)).strip(' ¶')}")
                out.append(html[last:end])
                out.append(
                    f' <a class="section-edit" href="{escape(href(source.number))}"'
                    f' aria-label="{label}">edit</a>'
                )
                last = end
                break
    out.append(html[last:])
    return "".join(out)
