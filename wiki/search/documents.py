"""Backend-neutral search values: what gets indexed, what a search returns, the errors.

Both search backends (``wiki.search.whoosh`` and ``wiki.search.postgres``) take
``SearchDoc`` values and answer with ``SearchResults``. ``doc_from_markdown`` turns a page's
Markdown into a ``SearchDoc``. Pure: no Flask, no database, no Whoosh.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from wiki.search.html_text import page_text

MAX_PER_PAGE = 100


class SearchIndexError(Exception):
    """Base class of the errors raised by the search backends."""


class IndexCorrupt(SearchIndexError):
    """The index cannot be read; ``rebuild`` replaces it."""


class IndexBusy(SearchIndexError):
    """The index stayed locked by another writer for longer than the backend waits."""


@dataclass(frozen=True)
class SearchDoc:
    """What the index knows about one page. ``updated`` is UTC (naive values are read as UTC)."""

    page_id: int
    title: str
    body_text: str
    headings: str
    code: str
    tags: tuple[str, ...]
    author: str
    updated: datetime
    rev: int


@dataclass(frozen=True)
class Hit:
    """One result. ``snippet_html`` is escaped text whose only markup is ``<mark>``."""

    page_id: int
    title: str
    snippet_html: str
    updated: datetime
    author: str
    score: float


@dataclass(frozen=True)
class SearchResults:
    """One page of results. ``corrected_query`` is set when the hits are for a spelling
    correction; ``suggestion`` is a correction that would find pages when the search was
    asked not to switch to it; ``exact_title`` names the page whose title equals the query
    (filters ignored), for a "go to page" link. ``relaxed``: no page matched every word, so
    these are the pages matching some of them, most matching words first."""

    total: int
    hits: tuple[Hit, ...]
    page: int
    pages: int
    corrected_query: str | None
    exact_title: str | None
    truncated: bool
    suggestion: str | None = None
    relaxed: bool = False  # no page has every word: these pages have some of them


_FENCE_RE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n(.*?)(?:^\1[ \t]*$|\Z)", re.M | re.S)
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$", re.M)
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_MARKUP_RES = (
    # Table separator rows and cell bars, display-math fences.
    (re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*$", re.M), ""),
    (re.compile(r"(?<!\\)\|"), " "),
    (re.compile(r"\${1,2}"), " "),
    (re.compile(r"!?\[\[([^\]|]*)\|([^\]]*)\]\]"), r"\2"),
    (re.compile(r"!?\[\[([^\]]*)\]\]"), r"\1"),
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"<[^>\n]*>|`+"), " "),
    (re.compile(r"^[ \t]*(?:>[ \t]?)*(?:[-*+][ \t]+|\d+[.)][ \t]+)?", re.M), ""),
    # Emphasis and strikethrough markers ("**bold**", "~~old~~"); underscores stay, since
    # they belong to identifiers such as __init__ far more often than to emphasis.
    (re.compile(r"(?<![\w*])\*{1,3}(?=\S)|(?<=\S)\*{1,3}(?![\w*])|~~"), ""),
)


def doc_from_markdown(
    page_id: int,
    title: str,
    markdown: str,
    tags: Iterable[str],
    author: str,
    updated: datetime,
    rev: int,
) -> SearchDoc:
    """A SearchDoc from Markdown: fenced code blocks become ``code``, ``#`` lines
    ``headings``, and the rest, with front matter, link, table, math and HTML syntax
    stripped, ``body_text``. Used when a revision has no rendered HTML (see
    :func:`doc_from_html`)."""
    markdown = _FRONT_MATTER_RE.sub("", markdown)
    code = "\n".join(m.group(2) for m in _FENCE_RE.finditer(markdown))
    text = _FENCE_RE.sub("\n", markdown)
    headings = "\n".join(m.group(1) for m in _HEADING_RE.finditer(text))
    text = _HEADING_RE.sub("", text)
    for pattern, repl in _MARKUP_RES:
        text = pattern.sub(repl, text)
    return SearchDoc(
        page_id, title, text.strip(), headings, code, tuple(tags), author, updated, rev
    )


def doc_from_html(
    page_id: int,
    title: str,
    html: str,
    tags: Iterable[str],
    author: str,
    updated: datetime,
    rev: int,
) -> SearchDoc:
    """A SearchDoc from the revision's rendered, sanitized HTML: what a reader sees, so
    snippets show no Markdown or front matter (see ``wiki.search.html_text``)."""
    text = page_text(html)
    return SearchDoc(
        page_id, title, text.body, text.headings, text.code, tuple(tags), author, updated, rev
    )
