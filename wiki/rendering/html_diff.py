"""Compare two rendered pages block by block, for readers who do not read Markdown.

Both inputs must be sanitized HTML (as stored by the renderer). They are cut into their
top-level blocks — paragraphs, headings, lists, tables, code blocks — by slicing the input
strings at element boundaries, never by re-serialising, so every block handed back is a
balanced piece of the sanitized input and nothing new can be injected. The block sequences
are diffed with the same bounded diff as source lines (:func:`wiki.text.diffing.line_opcodes`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from html.parser import HTMLParser

from wiki.text.diffing import fitting, line_opcodes

VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)


@dataclass(frozen=True)
class Block:
    """A top-level piece of sanitized HTML; ``kind`` is "equal", "delete" or "insert"."""

    kind: str
    html: str


BlockRow = tuple[Block | None, Block | None]


@dataclass(frozen=True)
class RenderedDiff:
    """``unified``: old and new blocks in reading order, removed before added.

    ``rows``: ``(old, new)`` pairs for two columns, unchanged blocks on both sides and,
    in a changed stretch, the i-th removed block beside the i-th added one.
    """

    unified: tuple[Block, ...]
    rows: tuple[BlockRow, ...]
    changed: int
    simplified: bool

    @property
    def identical(self) -> bool:
        return self.changed == 0


class _BlockSplitter(HTMLParser):
    """Records ``(start, end)`` offsets of top-level elements and top-level text runs."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.html = html
        self.line_starts = [0]
        for k, char in enumerate(html):
            if char == "\n":
                self.line_starts.append(k + 1)
        self.depth = 0
        self.open_at = 0
        self.spans: list[tuple[int, int]] = []

    def position(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self.position()
        if tag in VOID_TAGS:
            if self.depth == 0:
                self.spans.append((start, start + len(self.get_starttag_text() or "")))
            return
        if self.depth == 0:
            self.open_at = start
        self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 0:
            start = self.position()
            self.spans.append((start, start + len(self.get_starttag_text() or "")))

    def handle_endtag(self, tag: str) -> None:
        if self.depth == 0 or tag in VOID_TAGS:
            return  # a stray end tag: nothing to close
        self.depth -= 1
        if self.depth == 0:
            start = self.position()
            end = self.html.find(">", start)
            self.spans.append((self.open_at, len(self.html) if end < 0 else end + 1))

    def _text(self, data: str) -> None:
        if self.depth == 0 and data.strip():
            start = self.position()
            self.spans.append((start, start + len(data)))

    handle_data = _text

    def handle_entityref(self, name: str) -> None:
        self._text(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._text(f"&#{name};")


def top_level_blocks(html: str) -> list[str]:
    """Cut sanitized ``html`` into its top-level elements (and loose text), in order.

    Blocks are exact slices of ``html``; inter-block whitespace is dropped. Neighbouring
    loose text and inline elements at the top level are kept together as one block.
    """
    splitter = _BlockSplitter(html)
    splitter.feed(html)
    splitter.close()
    if splitter.depth:  # unclosed element at the end: keep the rest as one block
        splitter.spans.append((splitter.open_at, len(html)))
    blocks: list[str] = []
    last_end = 0
    for start, end in splitter.spans:
        piece = html[start:end]
        if blocks and not _starts_block(piece) and not _starts_block(blocks[-1]):
            blocks[-1] += html[last_end:end]  # the gap between them is only whitespace
        else:
            blocks.append(piece)
        last_end = end
    return blocks


_BLOCK_STARTS = tuple(
    f"<{tag}"
    for tag in "p div pre ul ol dl li h1 h2 h3 h4 h5 h6 table blockquote hr details figure".split()
)


def _starts_block(piece: str) -> bool:
    return piece.startswith(_BLOCK_STARTS)


def diff_blocks(old_html: str, new_html: str) -> RenderedDiff:
    """Diff two sanitized renderings block by block.

    Each returned block is a slice of ``old_html`` (kinds "equal", "delete") or
    ``new_html`` ("insert"); equal blocks are taken from the new side.
    """
    old, new = top_level_blocks(old_html), top_level_blocks(new_html)
    ops, simplified = line_opcodes(old, new)
    unified: list[Block] = []
    rows: list[BlockRow] = []
    changed = 0
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            for j in range(j1, j2):
                block = Block("equal", new[j])
                unified.append(block)
                rows.append((block, block))
            continue
        removed = [Block("delete", html) for html in old[i1:i2]]
        added = [Block("insert", html) for html in new[j1:j2]]
        changed += len(removed) + len(added)
        unified.extend(removed + added)
        for k in range(max(len(removed), len(added))):
            rows.append(
                (removed[k] if k < len(removed) else None, added[k] if k < len(added) else None)
            )
    return RenderedDiff(tuple(unified), tuple(rows), changed, simplified)


def clip(diff: RenderedDiff, *, max_blocks: int, max_chars: int) -> tuple[RenderedDiff, bool]:
    """``diff`` with each layout cut to its first ``max_blocks`` blocks (rows) of at most
    ``max_chars`` characters of HTML, and whether anything was left out. ``changed`` still
    counts the whole diff."""

    def row_size(row: BlockRow) -> int:
        return sum(len(block.html) for block in row if block is not None)

    unified = diff.unified[: fitting((len(b.html) for b in diff.unified), max_blocks, max_chars)]
    rows = diff.rows[: fitting(map(row_size, diff.rows), max_blocks, max_chars)]
    clipped = len(unified) < len(diff.unified) or len(rows) < len(diff.rows)
    return replace(diff, unified=unified, rows=rows), clipped
