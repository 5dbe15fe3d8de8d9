"""Table-of-contents entries for the API references on a page.

Pure module. The page's table of contents comes from its Markdown headings; an ```openapi
block's tags and operations are HTML made by :mod:`wiki.rendering.openapi.html`, so they
are added afterwards, nested under the heading the block sits beneath.
"""

from __future__ import annotations

import re
from html import escape, unescape

from wiki.rendering.sanitize import sanitize_html

MAX_TOC_OPERATIONS = 40  # a larger reference lists only its tags in the page's contents

_BLOCK_START = '<div class="openapi">'
_HEADING = re.compile(r'<h([1-6]) id="(h-[^"]+)">(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")
_PERMALINK = re.compile(r'<a class="headerlink".*?</a>|<span class="oa-summary">.*?</span>', re.S)
_NOT_SECTIONS = re.compile(r"h-(?:tag|op|schema)")  # the API reference's own headings


def _text(markup: str) -> str:
    return escape(" ".join(unescape(_TAG.sub(" ", _PERMALINK.sub("", markup))).split()))


def _entries(block: str) -> str:
    """``<ul>`` of the block's tags, each with its operations (h3 tags, h4 operations)."""
    tags: list[tuple[str, str, list[tuple[str, str]]]] = []
    operations = 0
    for level, ident, inner in _HEADING.findall(block):
        if level == "3" and ident.startswith("h-tag-"):
            tags.append((ident, _text(inner), []))
        elif level == "4" and ident.startswith("h-op-") and tags:
            tags[-1][2].append((ident, _text(inner)))
            operations += 1
    if not tags:
        return ""
    items = []
    for ident, label, ops in tags:
        sub = ""
        if ops and operations <= MAX_TOC_OPERATIONS:
            sub = "<ul>" + "".join(f'<li><a href="#{i}">{t}</a></li>' for i, t in ops) + "</ul>"
        items.append(f'<li><a href="#{ident}">{label}</a>{sub}</li>')
    return "<ul>" + "".join(items) + "</ul>"


def with_api_entries(toc_html: str, page_html: str) -> str:
    """``toc_html`` with each API reference's tags and operations nested under the heading
    that precedes its block, sanitized again; unchanged when the page has no reference or no
    contents."""
    if _BLOCK_START not in page_html or not toc_html:
        return toc_html
    original = toc_html
    position = 0
    while (start := page_html.find(_BLOCK_START, position)) >= 0:
        end = page_html.find(_BLOCK_START, start + 1)
        end = len(page_html) if end < 0 else end
        position = end
        before = [
            m for m in _HEADING.finditer(page_html, 0, start) if not _NOT_SECTIONS.match(m.group(2))
        ]
        entries = _entries(page_html[start:end])
        anchor = f'<a href="#{before[-1].group(2)}">' if before else None
        if not entries or anchor is None or anchor not in toc_html:
            continue
        link_end = toc_html.index("</a>", toc_html.index(anchor)) + len("</a>")
        toc_html = toc_html[:link_end] + "\n" + entries + toc_html[link_end:]
    return toc_html if toc_html is original else sanitize_html(toc_html)
