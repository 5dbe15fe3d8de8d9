"""Anchors of API references unique across the page they are on.

Pure module. Each ```openapi block is rendered (and cached) on its own, so its ids
(``h-op-…``, ``h-tag-…``, ``h-schema-…``, ``h-schemas-…``) are unique within the block
only: two blocks that reuse an operationId, a tag or a schema name, or a heading whose id
happens to match, would share an anchor, and every link would lead to the first.
:func:`unique_api_anchors` renames the ids of a block that the page already used, with a
suffix ``-2``, ``-3`` … (as heading ids are numbered), and rewrites the links inside that
block to follow; the page's table of contents is built from the result
(:func:`wiki.rendering.openapi.toc.with_api_entries`).

It runs on sanitized HTML, in both the whole and the piece-by-piece render, and only ever
appends ``-N`` to an ``id`` or ``href="#…"`` value that the sanitizer already let through.
"""

from __future__ import annotations

import re

_BLOCK_START = '<div class="openapi">'
_DIV = re.compile(r"<(/?)div\b")
_ID = re.compile(r'\sid="([^"]*)"')
_BLOCK_ID = re.compile(r'\sid="(h-[^"]*)"')  # h-op-, h-tag-, h-schema-, h-schemas-
_API_ID = re.compile(r'(\sid="|\shref="#)(h-[^"]*)"')


def _block_spans(html: str) -> list[tuple[int, int]]:
    """(start, end) of each API reference's outer ``<div>`` (their HTML is well formed)."""
    spans = []
    position = 0
    while (start := html.find(_BLOCK_START, position)) >= 0:
        depth, end = 0, len(html)
        for match in _DIV.finditer(html, start):
            depth += -1 if match.group(1) else 1
            if depth == 0:
                end = html.find(">", match.end()) + 1 or len(html)
                break
        spans.append((start, end))
        position = end
    return spans


def _fresh(ident: str, taken: set[str]) -> str:
    n = 2
    while f"{ident}-{n}" in taken:
        n += 1
    return f"{ident}-{n}"


def _renamed(block: str, renamed: dict[str, str]) -> str:
    return _API_ID.sub(lambda m: f'{m[1]}{renamed.get(m[2], m[2])}"', block)


def unique_api_anchors(html: str) -> str:
    """``html`` with every API reference's ids unique on the page (see the module docstring);
    the same string when nothing collides."""
    spans = _block_spans(html)
    if not spans:
        return html
    # Ids outside the blocks (headings) keep theirs; then each block in turn.
    bounds = [0, *(i for span in spans for i in span), len(html)]
    taken = {
        i for a, b in zip(bounds[::2], bounds[1::2], strict=True) for i in _ID.findall(html, a, b)
    }
    out, done = [], 0
    for start, end in spans:
        block = html[start:end]
        own = list(dict.fromkeys(_BLOCK_ID.findall(block)))
        avoid = taken | set(own)
        renamed: dict[str, str] = {}
        for ident in own:
            if ident in taken:
                renamed[ident] = new = _fresh(ident, avoid)
                avoid.add(new)
        taken.update(_ID.findall(block), renamed.values())
        if renamed:
            block = _renamed(block, renamed)
        out += [html[done:start], block]
        done = end
    out.append(html[done:])
    return "".join(out)
