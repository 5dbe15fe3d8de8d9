"""A rendered page's sanitized HTML as the plain text search indexes and shows in snippets.

What a reader sees, split three ways: heading text, code (``<pre>`` blocks), and the rest of
the prose. An API reference generated from an OpenAPI document (``<div class="openapi">``,
headings included) counts as code: it is reference text, not the page's own prose, and
repeats words such as "Authentication" once per operation, so it must weigh below them.
Table cells are separated, math keeps its TeX source without the ``\\( \\)`` delimiters,
heading anchors ("¶") and footnote back-links are dropped. Front matter is never
in the HTML, so never here. Pure (standard library only) and never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    "p div li dt dd tr table thead tbody blockquote ul ol dl section details summary figure "
    "figcaption hr br h1 h2 h3 h4 h5 h6 pre".split()
)
_CELL_TAGS = frozenset({"td", "th"})
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SKIPPED_CLASSES = frozenset({"headerlink", "footnote-backref"})
# Generated reference text, indexed with the code (see the module docstring).
_REFERENCE_CLASSES = frozenset({"openapi"})
_SKIPPED_TAGS = frozenset({"script", "style", "template", "svg"})
_VOID_TAGS = frozenset("area base br col embed hr img input link meta source track wbr".split())
# Math delimiters, with the stray "$" an inline "$$…$$" leaves around them.
_MATH_DELIMITERS = re.compile(r"\$?\\[(\[]|\\[)\]]\$?")


@dataclass(frozen=True)
class PageText:
    """Plain text of a page: ``body`` (prose, tables, math), ``headings``, ``code``."""

    body: str
    headings: str
    code: str


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: dict[str, list[str]] = {"body": [], "headings": [], "code": []}
        self.stack: list[str] = []  # "body", "headings" or "code" for each open element
        self.skip = 0  # depth inside skipped elements

    def _target(self) -> str:
        return self.stack[-1] if self.stack else "body"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_TAGS:
            if tag in ("br", "hr") and not self.skip:
                self.out[self._target()].append("\n")
            return
        classes = set((dict(attrs).get("class") or "").split())
        if self.skip or tag in _SKIPPED_TAGS or classes & _SKIPPED_CLASSES:
            self.skip += 1
            return
        target = self._target()
        if target == "code" or tag == "pre" or classes & _REFERENCE_CLASSES:
            target = "code"
        elif tag in _HEADING_TAGS:
            target = "headings"
        self.stack.append(target)
        if tag in _BLOCK_TAGS:
            self.out[target].append("\n")
        elif tag in _CELL_TAGS:
            self.out[target].append(" · ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        if self.skip:
            self.skip -= 1
            return
        target = self.stack.pop() if self.stack else "body"
        if tag in _BLOCK_TAGS:
            self.out[target].append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out[self._target()].append(data)


def _tidy(parts: list[str], keep_lines: bool) -> str:
    text = "".join(parts)
    if not keep_lines:  # prose: math shows its source; code keeps every character
        text = _MATH_DELIMITERS.sub(" ", text)
    lines = [line.strip() if keep_lines else " ".join(line.split()) for line in text.split("\n")]
    lines = [re.sub(r"^·\s*", "", line) for line in lines]
    return "\n".join(line for line in lines if line.strip())


def page_text(html: str) -> PageText:
    """The plain text of sanitized page HTML (see the module docstring). Never raises."""
    extractor = _Extractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # HTMLParser is lenient; this is only a last resort
        return PageText(re.sub(r"<[^>]*>", " ", html), "", "")
    out = extractor.out
    return PageText(
        _tidy(out["body"], False), _tidy(out["headings"], False), _tidy(out["code"], True)
    )
