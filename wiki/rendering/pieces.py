"""Rendering a long page piece by piece, reusing the HTML of the pieces that did not change.

A save of a 100 KB page usually changes a few lines, yet rendering it whole costs 70-250 ms,
and up to a second for code-heavy pages (Python-Markdown's inline pass, Pygments, and
html5lib's parse in the sanitizer). Python-Markdown's block parser reads the document as
blank-line-separated blocks, one after another, so the document can be cut between two
blocks when nothing reaches across the cut. Each piece is rendered on
its own and cached by its text; a later render of a similar document renders only the pieces
that changed.

The result is the whole-document render, byte for byte (tests/test_render_pieces.py compares
the two on generated documents and the starter content, bench/check_render_pieces.py on the
whole corpus), because:

* the preprocessors (fenced code, raw HTML blocks) run on the whole document, so a piece
  never starts inside a fence or a raw HTML block, and each piece gets their stashes;
* a cut needs the next block to start at the margin with something that cannot continue the
  previous one (not indented, not a list item, not a quote, not a blank line);
* each piece's HTML must be self-contained (every element it opens, it closes, properly
  nested), so sanitizing piece by piece gives the same as sanitizing the whole;
* heading ids are numbered across the document (a second "Usage" is ``h-usage_1``): pieces
  carry placeholders, replaced by the ids a whole render's table of contents would give;
* reference-style link definitions reach across pieces: every piece's definitions are
  collected first (from the cache or the piece's block parse), as a whole render's block
  parse collects them before any link is read, and a cached piece is reused only when its
  links find what they found when it was rendered;
* what else has document-wide effect is rendered whole: footnotes (numbered, and gathered
  at the end, across the document) and the ``[TOC]`` marker.

Code blocks are highlighted by Pygments during preprocessing, for the whole document; their
HTML is cached too, by source, options and block number.

:func:`render_cached` is what the render worker process runs (render_guard); its cache lives
in that process, so the first render of a page after a worker starts costs about 1.5 times a
whole render, and later ones only the pieces that changed.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Collection, Mapping, Set
from dataclasses import dataclass

from cachetools import LRUCache
from markdown.extensions.toc import nest_toc_tokens, unique
from markdown.preprocessors import Preprocessor

from wiki.rendering import markdown as rendering
from wiki.rendering.markdown import Rendered, check_complexity, split_front_matter
from wiki.rendering.openapi.anchors import unique_api_anchors
from wiki.rendering.openapi.toc import with_api_entries
from wiki.rendering.sanitize import sanitize_html

MIN_DOCUMENT = 2_000  # characters; shorter pages are rendered whole
MAX_PIECE = 4_000  # characters; a larger piece is cut at the next allowed place
CUT_ONE_IN = 4  # a cut is taken before one allowed block in this many (by its hash)
CACHE_CHARS = 16_000_000  # characters kept per render worker: about 40 MB (bench: 60 MB at 24M)

# Things with document-wide effect a piece cannot carry: footnotes and the TOC marker.
# (Reference link definitions can: see :func:`_from_pieces`.)
_DOCUMENT_WIDE = re.compile(r"\[\^|\[TOC\]")
# A block starting with a reference definition continues too: Python-Markdown removes the
# definition and reads the lines after it (a quote, a list) as following the block before.
_CONTINUES = re.compile(r"[ \t\n>]|(?:[*+-]|\d{1,9}[.)])(?:[ \t]|$)|\[[^\[\]\n]*\]:")
_MARK_START, _MARK_END = "\ue000", "\ue001"  # private-use characters around heading numbers
_ID_PLACEHOLDER = re.compile(f"h-{_MARK_START}(\\d+){_MARK_END}")
_STASH_REF = re.compile("[\x01\x02]wzxhzdk:(\\d+)[\x03\x04]")
_TOC_LINK = re.compile(r"(<a href=\"[^\"<>]*\">[^<>]*</a>)")
_TOC_MARKUP = re.compile(r"(?:\s|</?ul>|</?li>)*")
_TAG = re.compile(r"<(/?)([a-zA-Z][^\t\n\r\f />\x00]*)[^>]*>|<!--|<[!?]")
_VOID = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr".split()
)
# Elements whose content html5lib does not parse as tags, or that change its insertion mode
# beyond the element: a piece holding one is not known to be self-contained.
_OPAQUE = frozenset(
    "script style textarea title xmp iframe noembed noframes noscript plaintext template"
    " svg math select html head body frameset frame".split()
)


@dataclass(frozen=True)
class _Piece:
    html: str  # sanitized
    self_contained: bool
    empty: bool  # Markdown's output was empty
    leading_space: bool  # Markdown's output starts with whitespace (whole renders strip it)
    trailing_space: bool
    links: frozenset[str]
    missing: frozenset[str]
    # Headings in document order: level, name, html, toc label. Their ids in ``html`` are
    # placeholders (:data:`_ID_PLACEHOLDER`); ``slugs`` holds the id each would want.
    headings: tuple[tuple[int, str, str, str], ...]
    slugs: tuple[str, ...]
    mermaid: bool
    math: bool
    # Reference link definitions the piece holds ((id, (url, title)) in the order Python-
    # Markdown stored them), and the ids its links looked up with what they found (None:
    # not defined): the piece fits a document whose definitions give the same answers.
    definitions: tuple[tuple[str, tuple[str, str]], ...] = ()
    looked_up: tuple[tuple[str, tuple[str, str] | None], ...] = ()


class _Lru(LRUCache):
    """cachetools' LRU within a budget of characters; entries are ``(value, chars)``."""

    def __init__(self, max_chars: int) -> None:
        super().__init__(maxsize=max_chars, getsizeof=lambda entry: entry[1])

    @property
    def chars(self) -> int:
        return self.currsize

    def get(self, key: tuple, default=None):
        entry = super().get(key)
        return default if entry is None else entry[0]

    def put(self, key: tuple, value, chars: int) -> None:
        if chars <= self.maxsize:
            self[key] = (value, chars)


class PieceCache:
    """What one process keeps between renders: pieces, tables of contents and highlighted
    code blocks (Pygments is a third of the time of a code-heavy page)."""

    def __init__(self, max_chars: int = CACHE_CHARS) -> None:
        self.pieces = _Lru(max_chars)
        self.tocs = _Lru(max_chars // 8)
        self.highlights = _Lru(max_chars // 4)
        self.hits = 0
        self.misses = 0
        self.whole_renders = 0  # documents that had to be rendered whole

    @property
    def chars(self) -> int:
        return self.pieces.chars + self.tocs.chars + self.highlights.chars


_process_cache = PieceCache()


def render_cached(body: str, **kwargs) -> Rendered:
    """:func:`render_pieces` with this process's cache (what the render worker runs)."""
    return render_pieces(body, cache=_process_cache, **kwargs)


@rendering.without_cycle_collection
def render_pieces(
    body: str,
    *,
    existing: Collection[str],
    page_title: str | None = None,
    image_sizes: Mapping[str, tuple[int, int]] | None = None,
    cache: PieceCache,
) -> Rendered:
    """The same as :func:`wiki.rendering.markdown.render`, reusing pieces rendered before.

    :raises RenderError: as :func:`wiki.rendering.markdown.render`.
    """
    meta, text = split_front_matter(body)
    check_complexity(text)
    existing = existing if isinstance(existing, Set) else frozenset(existing)
    image_sizes = image_sizes or {}
    if len(text) >= MIN_DOCUMENT and _MARK_START not in text:  # (it could forge ids)
        return _render_in_pieces(text, meta, existing, page_title, image_sizes, cache)
    cache.whole_renders += 1
    return rendering.render_markdown(text, meta, existing, page_title, image_sizes)


class _InPieces(Exception):  # noqa: N818 - control flow, not an error
    """Raised by :class:`_Decide` to leave the whole render: the document can be cut."""

    def __init__(self, md, state: rendering.RenderState, chunks: list[str]) -> None:
        super().__init__()
        self.md, self.state, self.chunks = md, state, chunks


class _Decide(Preprocessor):
    """The last preprocessor of a render that may go piece by piece: it sees the document
    with fenced code and raw HTML stashed, and either lets the whole render go on (a
    document with document-wide things, or with nowhere to cut) or takes it over with
    :class:`_InPieces`. The preprocessors (the GFM pre-pass, Pygments) run once either way.
    """

    def __init__(self, md, state: rendering.RenderState) -> None:
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)  # fenced code and raw HTML blocks are stashed placeholders now
        if _DOCUMENT_WIDE.search(text):
            return lines
        chunks = cut(text, self.md.htmlStash.rawHtmlBlocks)
        if len(chunks) < 2:
            return lines
        raise _InPieces(self.md, self.state, chunks)


def _render_in_pieces(text, meta, existing, page_title, image_sizes, cache) -> Rendered:
    """The whole render, unless :class:`_Decide` finds the document can be cut."""

    def prepare(md, state: rendering.RenderState):
        _cache_highlighting(md, cache)
        md.preprocessors.register(_Decide(md, state), "pieces_decide", 0)
        return lambda: _unprepare(md)

    try:
        rendered = rendering.render_markdown(
            text, meta, existing, page_title, image_sizes, prepare=prepare
        )
    except _InPieces as decided:
        rendered = _from_pieces(decided, meta, existing, page_title, image_sizes, cache)
        # The pieces are done with the document's instance (its stashes, its table of
        # contents): reset, it serves the next render, as one that converted does.
        _unprepare(decided.md)
        rendering.give_back(decided.md)
        if rendered is not None:
            return rendered
        cache.whole_renders += 1
        return rendering.render_markdown(text, meta, existing, page_title, image_sizes)
    cache.whole_renders += 1
    return rendered


def _unprepare(md) -> None:
    """Undo what :func:`_render_in_pieces` changed in the document's Markdown instance."""
    md.preprocessors.deregister("pieces_decide")
    fence = default_fence(md)
    fence["formatter"] = fence["formatter"].uncached


def _from_pieces(decided: _InPieces, meta, existing, page_title, image_sizes, cache):
    """None when a piece is not self-contained (the document must be rendered whole).

    Reference link definitions reach across pieces (a link may use one defined anywhere
    in the document), so they are collected first, as a whole render's block parse does
    before any link is read: each piece's own definitions (from the cache, or from parsing
    the piece), in document order, a later one replacing an earlier one. A cached piece is
    used when the links in it would find what they found when it was rendered.
    """
    md, fences = decided.md, decided.state  # fences are formatted: it knows Mermaid, math
    stash = md.htmlStash.rawHtmlBlocks
    codes = code_stash(md)
    context = (stash, codes, existing, page_title, image_sizes)
    found = [_cached_piece(chunk, context, cache) for chunk in decided.chunks]
    parsed = {
        i: _parse_piece(decided.chunks[i], context)
        for i, (_, piece, _) in enumerate(found)
        if piece is None
    }
    references: dict[str, tuple[str, str]] = {}
    for i, (_, piece, _) in enumerate(found):
        references.update(piece.definitions if piece is not None else parsed[i][0].references)
    pieces = []
    for i, (key, piece, cacheable) in enumerate(found):
        if piece is not None and _fits(piece, existing, references):
            cache.hits += 1
        else:
            cache.misses += 1
            md_piece, root, state = parsed.get(i) or _parse_piece(decided.chunks[i], context)
            piece = _finish_piece(md_piece, root, state, references)
            if cacheable:
                cache.pieces.put(key, piece, len(decided.chunks[i]) + len(piece.html) + 200)
        if not piece.self_contained:
            return None
        if not piece.empty:  # blocks that render to nothing add no line break either
            pieces.append(piece)
    if not pieces or pieces[0].leading_space or pieces[-1].trailing_space:
        return None  # a whole render strips that space before sanitizing
    htmls, headings = _number_headings(pieces)
    html = unique_api_anchors("\n".join(htmls))  # blocks are cached one by one
    return Rendered(
        html=html,
        toc_html=with_api_entries(_toc_html(md, headings, cache), html),
        links=frozenset().union(*(p.links for p in pieces)),
        missing=frozenset().union(*(p.missing for p in pieces)),
        meta=meta,
        uses_mermaid=fences.mermaid or any(p.mermaid for p in pieces),
        uses_math=fences.math or any(p.math for p in pieces),
    )


# --- pymdown-extensions internals ----------------------------------------------------------
# Pieces need three things superfences keeps private: its stash of highlighted code, its
# default fence's formatter, and Pygments' block counter. They are reached only through these
# functions; pymdown-extensions is pinned, and tests/test_pymdown_internals.py fails loudly
# when an upgrade moves any of them.


def superfences(md):
    """The superfences preprocessor of a Markdown built by ``rendering.build_markdown``."""
    return md.preprocessors["fenced_code_block"]


def code_stash(md) -> dict:
    """Highlighted code blocks, keyed by their placeholder (``wzxhzdk:N``)."""
    return superfences(md).extension.stash.stash


def default_fence(md) -> dict:
    """The fence that highlights with Pygments; its ``formatter`` may be replaced."""
    return superfences(md).extension.superfences[0]


def highlighted_blocks(md) -> int:
    """How many code blocks Pygments has numbered so far in this render."""
    return superfences(md).highlight_ext.pygments_code_block


def _set_highlighted_blocks(md, number: int) -> None:
    superfences(md).highlight_ext.pygments_code_block = number


def _cache_highlighting(md, cache: PieceCache) -> None:
    """Reuse the HTML Pygments made of a code block before (same source, options and block
    number: the number can appear in anchors). ``uncached`` is Pygments' own formatter."""
    fence = default_fence(md)
    highlight = fence["formatter"]
    document = md

    def cached_highlight(src="", language="", options=None, md=None, **kwargs):
        number = highlighted_blocks(document) + 1
        key = (src, language, _frozen(options), _frozen(kwargs), number)
        html = cache.highlights.get(key)
        if html is None:
            html = highlight(src=src, language=language, options=options, md=md, **kwargs)
            if isinstance(html, str):
                cache.highlights.put(key, html, len(src) + len(html))
        else:
            _set_highlighted_blocks(document, number)  # as highlighting counts it
        return html

    cached_highlight.uncached = highlight  # type: ignore[attr-defined]
    fence["formatter"] = cached_highlight


def _frozen(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def cut(text: str, stash: list | tuple = ()) -> list[str]:
    """Split preprocessed Markdown into pieces at block boundaries nothing reaches across.

    Whether to cut before a block depends on that block alone (a hash of its text), so an
    edit moves no cut but its own; only a run of blocks longer than :data:`MAX_PIECE` is cut
    wherever it may be. Stashed blocks (code, raw HTML) weigh what their HTML weighs.
    """
    blocks = text.split("\n\n")  # exactly as Python-Markdown's block parser splits
    chunks: list[str] = []
    start, size = 0, 0
    for i, block in enumerate(blocks):
        if i > start and _may_cut_before(block):
            if size >= MAX_PIECE or _block_hash(block, stash) % CUT_ONE_IN == 0:
                chunks.append("\n\n".join(blocks[start:i]))
                start, size = i, 0
        size += len(block) + 2
        size += sum(len(_stashed_text(stash, int(n))) // 3 for n in _STASH_REF.findall(block))
    chunks.append("\n\n".join(blocks[start:]))
    return chunks


def _block_hash(block: str, stash: list | tuple) -> int:
    """A hash of the block that does not change when placeholders are renumbered."""
    if "wzxhzdk:" in block:
        block = _STASH_REF.sub(lambda m: _stashed_text(stash, int(m.group(1))), block)
    return zlib.crc32(block.encode())


def _stashed(stash: list | tuple, n: int) -> object:
    """What placeholder ``n`` stands for (None for a number the stash does not hold)."""
    return stash[n] if n < len(stash) else None


def _stashed_text(stash: list | tuple, n: int) -> str:
    item = _stashed(stash, n)
    return item if isinstance(item, str) else "\x02"


def _unnumbered(match: re.Match[str]) -> str:
    return match.group(0)[0] + match.group(0)[-1]


def _may_cut_before(block: str) -> bool:
    """Whether ``block`` starts something new rather than continuing the block before it:
    indented text, list items, quotes and extra blank lines can all continue it."""
    return bool(block) and _CONTINUES.match(block) is None


def _cached_piece(chunk: str, context: tuple, cache: PieceCache):
    """(cache key, the cached piece or None, whether the piece may be cached)."""
    stash, code_stash, existing, page_title, image_sizes = context
    refs = tuple(int(n) for n in _STASH_REF.findall(chunk))
    stashed = tuple(_stashed(stash, n) for n in refs)
    cacheable = all(isinstance(s, str) for s in stashed)
    sizes = tuple(sorted(image_sizes.items())) if page_title and "](" in chunk else ()
    code_keys = (f"wzxhzdk:{n}" for n in refs)  # superfences keys its stash by placeholder
    codes = tuple(code_stash[k] for k in code_keys if k in code_stash)
    # Placeholders are numbered through the document, so a code block added above would
    # change every later piece's text; the key holds what they stand for instead.
    key = (_STASH_REF.sub(_unnumbered, chunk), stashed, codes, page_title, sizes)
    return key, (cache.pieces.get(key) if cacheable else None), cacheable


def _fits(piece: _Piece, existing, references: dict) -> bool:
    """Whether a cached piece is what rendering it here would give: its links to pages are
    as red or blue as they were, and its reference links find what they found."""
    if piece.missing != {t for t in piece.links if t not in existing}:
        return False
    return all(references.get(id_) == found for id_, found in piece.looked_up)


class _References(dict):
    """A document's reference link definitions, noting what the piece's links look up."""

    def __init__(self, definitions: dict) -> None:
        super().__init__(definitions)
        self.looked_up: dict[str, tuple[str, str] | None] = {}

    def __contains__(self, id_: object) -> bool:
        self.looked_up[id_] = dict.get(self, id_)
        return dict.__contains__(self, id_)

    def __getitem__(self, id_: str) -> tuple[str, str]:
        self.looked_up[id_] = dict.get(self, id_)
        return dict.__getitem__(self, id_)

    def get(self, id_, default=None):
        self.looked_up[id_] = dict.get(self, id_)
        return dict.get(self, id_, default)


def _parse_piece(chunk: str, context: tuple):
    """Python-Markdown's ``convert`` of a piece up to its block parse, with the whole
    document's stashes (the preprocessors already ran on the whole document): the Markdown
    instance (its ``references`` hold the piece's definitions), the tree and the state."""
    stash, code_stash, existing, page_title, image_sizes = context
    state = rendering.RenderState(existing=existing, page_title=page_title, image_sizes=image_sizes)
    md = rendering.borrow_markdown(state)
    md.htmlStash.rawHtmlBlocks = list(stash)
    md.htmlStash.html_counter = len(stash)
    md.preprocessors["fenced_code_block"].extension.stash.stash = dict(code_stash)
    toc = md.treeprocessors["toc"]
    toc.slugify = _PlaceholderSlugs(replacing=toc.slugify)
    try:
        root = md.parser.parseDocument(chunk.split("\n")).getroot()
    except RecursionError:
        raise rendering.too_complex("it is nested too deeply", 400) from None
    return md, root, state


def _finish_piece(md, root, state: rendering.RenderState, references: dict) -> _Piece:
    """The rest of ``convert`` for a piece :func:`_parse_piece` parsed, with the
    document's reference definitions."""
    definitions = tuple(md.references.items())
    md.references = looked_up = _References(references)
    try:
        for treeprocessor in md.treeprocessors:
            new_root = treeprocessor.run(root)
            root = root if new_root is None else new_root
        output = md.serializer(root)
        start, end = output.find(f"<{md.doc_tag}>"), output.rfind(f"</{md.doc_tag}>")
        output = output[start + len(md.doc_tag) + 2 : end].strip() if start >= 0 else ""
        for postprocessor in md.postprocessors:
            output = postprocessor.run(output)
        html = rendering.checked_html(output)
    except RecursionError:
        raise rendering.too_complex("it is nested too deeply", 400) from None
    flat = _flatten(getattr(md, "toc_tokens", []))
    toc = md.treeprocessors["toc"]
    slugs = toc.slugify.slugs
    toc.slugify = toc.slugify.replacing
    md.references = {}  # Markdown's own kind again (reset clears it)
    rendering.give_back(md)
    return _Piece(
        html=html,
        self_contained=self_contained(output),
        empty=not output,
        leading_space=output[:1].isspace(),
        trailing_space=output[-1:].isspace(),
        links=frozenset(state.links),
        missing=frozenset(state.missing),
        headings=tuple(
            (t["level"], t["name"], t["html"], t.get("data-toc-label", "")) for t in flat
        ),
        slugs=tuple(slugs),
        mermaid=state.mermaid,
        math=state.math,
        definitions=definitions,
        looked_up=tuple(looked_up.looked_up.items()),
    )


class _PlaceholderSlugs:
    """The table of contents' slugify for a piece: records the id each heading wants and
    gives it a placeholder; :func:`_number_headings` puts in the document-wide ids."""

    def __init__(self, replacing) -> None:
        self.slugs: list[str] = []
        self.replacing = replacing  # put back when the piece is done

    def __call__(self, value: str, separator: str) -> str:
        self.slugs.append(rendering.heading_slug(value, separator))
        return f"h-{_MARK_START}{len(self.slugs) - 1}{_MARK_END}"


def _number_headings(pieces: list[_Piece]) -> tuple[list[str], list[tuple]]:
    """Each piece's HTML with its heading ids, and (id, heading) in document order, numbered
    as the table of contents numbers repeated ids in a whole render."""
    used: set[str] = set()
    counters: dict[str, int] = {}
    htmls, headings = [], []
    for piece in pieces:
        ids = [unique(slug, used, counters) for slug in piece.slugs]
        html = piece.html
        if ids:
            html = _ID_PLACEHOLDER.sub(lambda m, ids=ids: ids[int(m.group(1))], html)
        htmls.append(html)
        headings.extend(zip(ids, piece.headings, strict=True))
    return htmls, headings


def _flatten(tokens: list[dict]) -> list[dict]:
    return [f for t in tokens for f in (t, *_flatten(t["children"]))]


def _toc_html(md, headings: list[tuple], cache: PieceCache) -> str:
    """The table of contents a whole render builds from the same headings.

    Sanitizing a long one costs as much as a piece, and each edit of a heading changes it;
    so only its links (the user's words) are sanitized, one by one and cached, while the
    list markup around them, checked to be nothing but ``<ul>``/``<li>`` tags and
    whitespace, is what sanitizing would leave as it is.
    """
    if len(headings) < 2:
        return ""
    tokens = [
        {"level": lvl, "id": id_, "name": name, "html": inner, "data-toc-label": label}
        for id_, (lvl, name, inner, label) in headings
    ]
    div = md.treeprocessors["toc"].build_toc_div(nest_toc_tokens(tokens))
    toc = md.serializer(div)
    for postprocessor in md.postprocessors:
        toc = postprocessor.run(toc)
    toc = rendering.toc_list(toc)
    parts = _TOC_LINK.split(toc)  # list markup, link, list markup, link, ...
    if not all(_TOC_MARKUP.fullmatch(part) for part in parts[::2]):
        return sanitize_html(toc) if toc else ""
    for i in range(1, len(parts), 2):
        link = cache.tocs.get((parts[i],))
        if link is None:
            link = sanitize_html(parts[i])
            cache.tocs.put((parts[i],), link, 2 * len(link))
        parts[i] = link
    return "".join(parts)


def self_contained(markup: str) -> bool:
    """True when every element ``markup`` opens it also closes, properly nested, and it has
    no comment left open: html5lib then ends the fragment in the state it began in."""
    stack: list[str] = []
    pos = 0
    while (m := _TAG.search(markup, pos)) is not None:
        token = m.group(0)
        if token == "<!--":
            end = markup.find("-->", m.end() - 2)  # "<!-->" closes at once, as in html5lib
            if end < 0:
                return False
            pos = end + 3
            continue
        if token in ("<!", "<?"):
            end = markup.find(">", m.end())
            if end < 0:
                return False
            pos = end + 1
            continue
        pos = m.end()
        name = m.group(2).lower()
        if name in _OPAQUE:
            return False
        if name in _VOID:
            continue
        if not m.group(1):
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack
