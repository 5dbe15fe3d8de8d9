"""Markdown to sanitized HTML: the one rendering pipeline of the wiki.

Pure module: plain arguments in, a frozen :class:`Rendered` out. ``sanitize_html`` is the
single gate every byte of page HTML passes through, as the last step.
"""

from __future__ import annotations

import datetime
import functools
import gc
import html
import re
import threading
import xml.etree.ElementTree as etree
from collections.abc import Callable, Collection, Mapping, Set
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

import markdown
import yaml
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import InlineProcessor as InlineTreeprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import STX, AtomicString
from pymdownx.arithmatex import arithmatex_fenced_format

from wiki.rendering.gfm import GfmExtension
from wiki.rendering.highlighting import CachedLexerHighlight, cache_stylesheets

# RenderError and check_complexity are part of this module's interface (re-exported).
from wiki.rendering.limits import MAX_NESTING as MAX_NESTING
from wiki.rendering.limits import RenderError as RenderError
from wiki.rendering.limits import check_complexity as check_complexity
from wiki.rendering.limits import too_complex as too_complex
from wiki.rendering.openapi.anchors import unique_api_anchors
from wiki.rendering.openapi.html import openapi_fence
from wiki.rendering.openapi.toc import with_api_entries
from wiki.rendering.sanitize import sanitize_html

# 5: GitHub's list, fence and HTML block structure (gfm); 6: openapi fences render as references;
# 7: their anchors are unique across the page; 8: a long page rendered in pieces no longer
# splits a quote that continues under a reference definition (pieces.py)
RENDERER_VERSION = 8

MAX_HTML_DEPTH = 200  # open HTML elements; html5lib's cost grows with the square of depth
MAX_FRONT_MATTER = 64 * 1024
MAX_META_NODES = 5_000  # YAML aliases can expand a small text into a huge structure

MISSING_PAGE_TITLE = "Page does not exist yet"
_WIKILINK = r"\[\[([^\[\]\n]+?)\]\]"
_WIKI_PREFIX = "/wiki/"
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(.*?\r?\n)??(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_MD_WIKI_URL = re.compile(
    r"(?:\]\(\s*<?|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?)(/wiki/[^\s)>]+)", re.M
)  # inline links [x](/wiki/A) and reference definitions [r]: /wiki/A
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_OPEN_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")
_NO_DEPTH_TAGS = frozenset(  # void elements and those whose end tag HTML lets you omit
    "area base br col embed hr img input link meta source track wbr p li dt dd tr td th"
    " thead tbody tfoot option optgroup rp rt colgroup caption".split()
)
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
_TOC_WRAPPER = re.compile(r'\A\s*<div class="toc">\s*|\s*</div>\s*\Z')
_IGNORED_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")
cache_stylesheets()  # each code block's formatter rebuilt its style's stylesheet


@dataclass(frozen=True)
class Rendered:
    """The result of :func:`render`; ``html`` and ``toc_html`` are final, sanitized HTML."""

    html: str
    toc_html: str
    links: frozenset[str]
    missing: frozenset[str]
    meta: dict = field(hash=False)
    uses_mermaid: bool
    uses_math: bool


def _titles():
    # Imported late: titles.py is a sibling pure module, kept out of import-time coupling.
    from wiki.text.titles import normalize_title, title_to_path

    return normalize_title, title_to_path


def _jsonable(value: Any, budget: list[int]) -> Any:
    """Copy YAML data as JSON types (dates as ISO strings, keys as text).

    :raises ValueError: when the data has more than :data:`MAX_META_NODES` nodes.
    """
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("front matter too large")
    if isinstance(value, dict):
        return {str(k): _jsonable(v, budget) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v, budget) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def split_front_matter(body: str) -> tuple[dict, str]:
    """Split YAML front matter (between leading ``---`` lines) from the Markdown after it.

    The dict holds only JSON types (dates become ISO strings). Invalid YAML, a YAML value
    that is not a mapping, or a block over 64 KiB is not front matter: ``({}, body)``.
    """
    match = _FRONT_MATTER.match(body[: MAX_FRONT_MATTER + 8])
    if match is None:
        return {}, body
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(match.group(1) or "", Loader=loader)  # noqa: S506 - a safe loader
        if not isinstance(data, dict):
            return {}, body
        meta = _jsonable(data, [MAX_META_NODES])
    except (yaml.YAMLError, ValueError, RecursionError):
        return {}, body
    return meta, body[match.end() :]


def _title_from_url(url: str) -> str | None:
    """The normalized title a ``/wiki/...`` URL points at, or None if it is not a page URL."""
    url = html.unescape(url)
    if not url.startswith(_WIKI_PREFIX):
        return None
    normalize_title, _ = _titles()
    try:
        path = re.split(r"[?#]", url, maxsplit=1)[0]
        return normalize_title(unquote(path[len(_WIKI_PREFIX) :]))
    except ValueError:
        return None


def _wikilink_title(inner: str) -> tuple[str, str, str] | None:
    """(title, section, label) of the inside of ``[[...]]``; None for an invalid title."""
    target, _, label = inner.replace("\\|", "|").partition("|")
    name, _, section = target.partition("#")
    try:
        title = _titles()[0](name)
    except ValueError:
        return None
    return title, section.strip(), label.strip() or target.strip()


def extract_link_targets(body: str) -> set[str]:
    """Normalized titles of every wiki link and ``/wiki/`` Markdown link in ``body``.

    A cheap regex pass for looking up which targets exist before :func:`render`; it is a
    superset of ``Rendered.links`` (it also sees links inside code). Invalid titles are skipped.
    """
    found = {t[0] for m in re.finditer(_WIKILINK, body) if (t := _wikilink_title(m.group(1)))}
    for match in _MD_WIKI_URL.finditer(html.unescape(body)):  # render sees URLs unescaped
        title = _title_from_url(_MD_ESCAPE.sub(r"\1", match.group(1)))
        if title is not None:
            found.add(title)
    return found


def _check_html_depth(markup: str) -> None:
    """:raises RenderError: (413) when raw HTML nests more than :data:`MAX_HTML_DEPTH` deep."""
    depth = 0
    for closing, name in _OPEN_TAG.findall(markup):
        if name.lower() in _NO_DEPTH_TAGS:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        if depth > MAX_HTML_DEPTH:
            raise too_complex(f"HTML tags are nested more than {MAX_HTML_DEPTH} deep", 413)


def heading_slug(value: str, separator: str) -> str:
    """A heading's anchor id: ``h-`` keeps ids apart from the site's own (sanitizer rule)."""
    return "h-" + slugify_unicode(value, separator)


@dataclass
class RenderState:
    """What one render learns while it runs; never shared between renders.

    Public with :func:`build_markdown`, :func:`too_complex` and :func:`heading_slug` for
    ``wiki.rendering.pieces``, which renders long pages piece by piece with the same steps.
    """

    existing: Set[str]
    page_title: str | None
    image_sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    links: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    mermaid: bool = False
    math: bool = False


@dataclass
class _Slot:
    """Where a built Markdown's fences and links report: the state of the render that uses
    it now (a borrowed instance serves one render after another, each with its own)."""

    state: RenderState | None


class _WikiLinkProcessor(InlineProcessor):
    """``[[Title]]``, ``[[Title|label]]``, ``[[Title#Section|label]]`` -> ``<a class="wikilink">``.

    Emits a ``/wiki/`` link; :class:`_LinkProcessor` then decides whether it is red.
    """

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[Any, Any, Any]:  # noqa: N802
        parsed = _wikilink_title(m.group(1))
        if parsed is None:
            return None, None, None  # not a link: the text stays as typed
        title, section, label = parsed
        href = _WIKI_PREFIX + _titles()[1](title)
        if section:
            href += "#" + heading_slug(section, "-")
        el = etree.Element("a", {"href": href, "class": "wikilink"})
        el.text = AtomicString(label)
        return el, m.start(0), m.end(0)


class _LinkProcessor(Treeprocessor):
    """Marks links to missing pages red, resolves attachment URLs and notes math."""

    def __init__(self, md: markdown.Markdown, slot: _Slot) -> None:
        super().__init__(md)
        self.slot = slot

    @property
    def state(self) -> RenderState:
        return self.slot.state  # type: ignore[return-value]  # set while a render runs

    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            if "arithmatex" in el.get("class", "").split():
                self.state.math = True
            attr = {"a": "href", "img": "src"}.get(el.tag)
            if attr is None or el.get(attr) is None:
                continue
            url = el.get(attr, "")
            if el.tag == "a" and (title := _title_from_url(url)) is not None:
                self._internal_link(el, title)
            elif self.state.page_title and _is_relative(url):
                name = url[2:] if url.startswith("./") else url
                el.set(attr, f"/files/{_titles()[1](self.state.page_title)}/{name}")
                if el.tag == "img" and (size := self.state.image_sizes.get(unquote(name))):
                    # Known dimensions reserve the image's box: no layout shift on load.
                    el.set("width", str(size[0]))
                    el.set("height", str(size[1]))

    def _internal_link(self, el: etree.Element, title: str) -> None:
        self.state.links.add(title)
        classes = [c for c in el.get("class", "").split() if c not in ("wikilink", "missing")]
        classes.append("wikilink")
        if title not in self.state.existing:
            self.state.missing.add(title)
            classes.append("missing")
            el.set("href", "/edit/" + _titles()[1](title))
            el.set("title", MISSING_PAGE_TITLE)
        el.set("class", " ".join(classes))


def _is_relative(url: str) -> bool:
    """True for a URL with no scheme that is not site-absolute (``/x``) or a fragment."""
    plain = _IGNORED_URL_CHARS.sub("", html.unescape(url))  # as a browser reads it
    return bool(plain) and not plain.startswith(("/", "#", "\\")) and not _SCHEME.match(plain)


class _TablePipes(Preprocessor):
    """Escape the ``|`` of ``[[Title|label]]`` on table rows, so the table keeps the cell whole.

    Runs after fenced code is stashed away; a line with a pipe outside wiki links is a table row.
    """

    def run(self, lines: list[str]) -> list[str]:
        return [self._escape(line) if "[[" in line and "|" in line else line for line in lines]

    @staticmethod
    def _escape(line: str) -> str:
        if "|" not in re.sub(_WIKILINK, "", line):
            return line
        return re.sub(_WIKILINK, lambda m: "[[" + re.sub(r"(?<!\\)\|", r"\|", m[1]) + "]]", line)


class _WikiExtension(Extension):
    def __init__(self, slot: _Slot) -> None:
        super().__init__()
        self.slot = slot

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        # Above backslash escapes (180) so a table's ``\|`` reaches us, below code spans (190).
        md.inlinePatterns.register(_WikiLinkProcessor(_WIKILINK, md), "wikilink", 185)
        md.preprocessors.register(_TablePipes(md), "wikilink_table_pipes", 20)
        md.treeprocessors.register(_LinkProcessor(md, self.slot), "wikilinks", 15)


class GuardedRegex:
    """A compiled inline pattern whose every match takes one of ``chars`` from the text.

    Python-Markdown tries every inline pattern on every text node; the widest ones (math,
    e-mail addresses) scan each position of the text with several alternatives even when it
    holds none of the characters they need. ``finditer`` (all Python-Markdown calls) skips the
    scan then, which finds nothing the regex would have found: the output stays the same.
    """

    __slots__ = ("regex", "chars")

    def __init__(self, regex: re.Pattern[str], chars: str) -> None:
        self.regex = regex
        self.chars = chars

    def finditer(self, string: str, pos: int = 0):
        for char in self.chars:
            if string.find(char, pos) >= 0:
                return self.regex.finditer(string, pos)
        return iter(())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.regex, name)


# Inline patterns and a character each of their matches consumes (one of these), by reading
# their regexes; tests/test_render_speedups.py fails when an upgrade changes one of them.
INLINE_GUARDS = {
    "arithmatex-inline": "$\\",  # $...$, \(...\) and the backslashes escaping them
    "magic-mail": "@",
    "backtick": "`\\",  # `code` and the backslashes escaping a backtick
    "gfm_tilde": "~",
}
# The same for the patterns :class:`_GuardedInline` skips without calling (the four above
# too), as strings: every match of the pattern holds one of them, whole.
SKIP_GUARDS: dict[str, tuple[str, ...]] = {
    **{name: tuple(chars) for name, chars in INLINE_GUARDS.items()},
    "wikilink": ("[[",),
    "gfm_hard_break": ("\\\n",),  # a backslash at the end of a line
    "escape": ("\\",),
    "footnote": ("[^",),
    "reference": ("[",),
    "link": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_reference": ("[",),
    "short_image_ref": ("![",),
    "autolink": ("://",),  # <http://...>, <ftp://...>
    "automail": ("<",),
    "linebreak": ("  \n",),  # two spaces and a line end
    "html": ("<",),
    "magic-link": ("://", "w.", "W."),  # a scheme's "://", or "www." in any case
    "entity": ("&",),
    "em_strong": ("*", "_"),
    "delimiter": ("~",),
}


class _GuardedInline(InlineTreeprocessor):
    """Python-Markdown's inline treeprocessor, which tries every inline pattern on every
    text (25 of them, ~14,000 tries for a 50 KB README): this one skips a pattern whose
    guard (:data:`SKIP_GUARDS`) finds none of its strings in the text left to search,
    as trying it would find nothing (and that try's result, "no match, search the next
    pattern from the start", is what skipping gives). The patterns are read once, in
    order, instead of through the registry's sorted lookup on each try.

    The method below is Python-Markdown's ``InlineProcessor.__handleInline`` (3.11) with
    the skip added, for each pattern and, when no guard finds anything, for all of them at
    once; tests/test_render_speedups.py fails when an upgrade changes it.
    """

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.patterns = list(md.inlinePatterns)
        names = [item.name for item in md.inlinePatterns._priority]
        # A guard of one string as the string: one find, no call (~14,000 tries a page).
        self.guards = [_one_or_all(SKIP_GUARDS.get(name)) for name in names]
        # When every pattern has a guard, a text holding none of their strings (two texts
        # in three: headings, list items, cells) skips them all; one search tells.
        strings = [s for name in names for s in SKIP_GUARDS.get(name) or ()]
        every = all(name in SKIP_GUARDS for name in names)
        self.any_guard = re.compile("|".join(map(re.escape, strings))) if every else None

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if not isinstance(data, AtomicString):
            if self.any_guard is not None and self.any_guard.search(data) is None:
                return data  # (every pattern's guard would skip it)
            patterns, guards = self.patterns, self.guards
            startIndex = 0  # noqa: N806
            count = len(patterns)
            while patternIndex < count:
                guard = guards[patternIndex]
                if guard is not None and (
                    data.find(guard, startIndex) < 0
                    if type(guard) is str
                    else not _has_any(data, guard, startIndex)
                ):
                    startIndex = 0  # noqa: N806 - as a try that matched nothing
                    patternIndex += 1
                    continue
                data, matched, startIndex = self._InlineProcessor__applyPattern(  # noqa: N806
                    patterns[patternIndex], data, patternIndex, startIndex
                )
                if not matched:
                    patternIndex += 1
        return data


def _replace_toc_marker(toc: Any, root: etree.Element, elem: etree.Element) -> None:
    """The table of contents' ``replace_marker``, which joins the text of every element of
    the page (``itertext``) looking for a paragraph reading ``[TOC]``: it is skipped when no
    element's own text holds the marker, as it then replaces nothing (it replaces only an
    element whose ``text`` is the marker)."""
    marker = toc.marker
    if any(el.text and marker in el.text for el in root.iter()):
        type(toc).replace_marker(toc, root, elem)


def _one_or_all(guard: tuple[str, ...] | None) -> str | tuple[str, ...] | None:
    return guard[0] if guard is not None and len(guard) == 1 else guard


def _table_test(table: Any, parent: etree.Element, block: str) -> bool:
    """The table block processor's ``test``, which the block parser calls on every block
    (and again on each block of a list item's content): it splits the whole block into
    stripped rows and the first row into cells. Skipped when the block's first line has no
    "|" or the block has one line, as it then finds no table: it needs a second row, and a
    header of two cells (split at a "|") or of one with a "|" border."""
    first, newline, _ = block.partition("\n")
    if not newline or "|" not in first:
        return False
    return type(table).test(table, parent, block)


def _unescape_if_escaped(processor: Any, text: str) -> str:
    """The unescape treeprocessor's ``unescape``, a regex substitution of the placeholders
    backslash escapes left (``STX`` code ``ETX``) run on every text, tail and attribute
    value of the page: skipped when the text holds no ``STX``, as it then changes nothing."""
    return type(processor).unescape(processor, text) if STX in text else text


def _parse_blocks(processors: list[Any], parent: etree.Element, blocks: list[str]) -> None:
    """Python-Markdown's ``BlockParser.parseBlocks`` (3.11) over the block processors as a
    list made once: its registry sorts and copies itself into a new list for each block
    (~600 times a page). tests/test_render_speedups.py fails when an upgrade changes it."""
    while blocks:
        for processor in processors:
            if processor.test(parent, blocks[0]):
                if processor.run(parent, blocks) is not False:
                    break  # run returns True or None


def _has_any(text: str, strings: tuple[str, ...], start: int) -> bool:
    for string in strings:
        if text.find(string, start) >= 0:
            return True
    return False


def build_markdown(state: RenderState) -> markdown.Markdown:
    """A fresh Markdown instance whose fences and links report into ``state``."""
    slot = _Slot(state)

    def mermaid(source: str, *args: Any, **kwargs: Any) -> str:
        slot.state.mermaid = True  # type: ignore[union-attr]
        return f'<pre class="mermaid">{html.escape(source)}</pre>'

    math_fence = arithmatex_fenced_format(mode="generic")

    def math(*args: Any, **kwargs: Any) -> str:
        slot.state.math = True  # type: ignore[union-attr]
        return math_fence(*args, **kwargs)

    fences = [
        {"name": "mermaid", "class": "mermaid", "format": mermaid},
        {"name": "math", "class": "arithmatex", "format": math},
        {"name": "openapi", "class": "openapi", "format": openapi_fence},
    ]
    configs = {
        "toc": {
            "slugify": heading_slug,
            "permalink": True,
            "permalink_title": "Link to this section",
        },
        "tables": {"use_align_attribute": True},
        "pymdownx.superfences": {"custom_fences": fences},
        "pymdownx.highlight": {
            "css_class": "highlight",
            "guess_lang": False,
            "pygments_lang_class": True,  # language-<name>: the code block's language label
        },
        "pymdownx.tasklist": {"custom_checkbox": False, "clickable_checkbox": False},
        "pymdownx.arithmatex": {"generic": True},
        "pymdownx.tilde": {"subscript": False},  # GitHub strikes ~x~ through (gfm)
    }
    extensions: list[Any] = [*configs, "footnotes", "pymdownx.magiclink", "sane_lists"]
    md = markdown.Markdown(
        extensions=[*extensions, GfmExtension(), _WikiExtension(slot)], extension_configs=configs
    )
    md.wiki_slot = slot  # type: ignore[attr-defined]
    for name, chars in INLINE_GUARDS.items():
        pattern = md.inlinePatterns[name]
        pattern.compiled_re = GuardedRegex(pattern.compiled_re, chars)
    md.treeprocessors.register(_GuardedInline(md), "inline", 20)  # (replaces Markdown's)
    md.preprocessors["fenced_code_block"].highlighter = CachedLexerHighlight
    toc = md.treeprocessors["toc"]
    toc.replace_marker = functools.partial(_replace_toc_marker, toc)
    table = md.parser.blockprocessors["table"]
    table.test = functools.partial(_table_test, table)
    unescape = md.treeprocessors["unescape"]
    unescape.unescape = functools.partial(_unescape_if_escaped, unescape)
    md.parser.parseBlocks = functools.partial(_parse_blocks, list(md.parser.blockprocessors))
    # Markdown keeps them in a list, which is_block_level scans for each element of the
    # page, several times (prettify, raw HTML): a set answers the same. None of the
    # extensions adds to it after this.
    md.block_level_elements = frozenset(md.block_level_elements)  # type: ignore[assignment]
    return md


class _Idle(threading.local):
    def __init__(self) -> None:
        self.instances: list[markdown.Markdown] = []


_idle = _Idle()
IDLE_INSTANCES = 8  # per thread: a render, and the pieces of a long page parsed at once


def borrow_markdown(state: RenderState) -> markdown.Markdown:
    """:func:`build_markdown` for ``state``, reusing an instance this thread gave back.

    Building one (its extensions, processors and patterns) took ~0.4 ms, more than rendering
    a short page; Python-Markdown instances are made to convert one text after another, reset
    in between. Give it back with :func:`give_back` once the render is done with it, and only
    then: an instance whose render failed is left to the garbage collector, whatever state
    the failure left it in.
    """
    build = build_markdown  # looked up now: a test may have swapped in a variant
    while _idle.instances:
        md = _idle.instances.pop()
        if md.wiki_built_by is build:  # type: ignore[attr-defined]
            md.wiki_slot.state = state  # type: ignore[attr-defined]
            return md
    md = build(state)
    md.wiki_built_by = build  # type: ignore[attr-defined]
    return md


def give_back(md: markdown.Markdown) -> None:
    """Return a borrowed instance, reset (it holds nothing of the render it served), for
    this thread's next render. The caller must have undone its own changes to it."""
    md.wiki_slot.state = None  # type: ignore[attr-defined]
    md.reset()
    if len(_idle.instances) < IDLE_INSTANCES:
        _idle.instances.append(md)


def _count_headings(tokens: list[dict]) -> int:
    return sum(1 + _count_headings(t["children"]) for t in tokens)


def without_cycle_collection(function):
    """Run ``function`` with Python's cyclic garbage collector paused.

    A render allocates a large tree (a 50 KB page: hundreds of thousands of objects), which
    reference counting frees; the cyclic collector, set off by those allocations, ran its full
    passes over every object of the process in the middle of renders and doubled the slowest
    ones (50 KB README, 25 renders: p95 143 -> 67 ms, median 68 -> 65). Whatever cycles a render
    leaves are collected after it, as usual. Pausing is process-wide but harmless to other
    threads, and the state before the outermost call is what is restored.
    """

    @functools.wraps(function)
    def paused(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


@without_cycle_collection
def render(
    body: str,
    *,
    existing: Collection[str],
    page_title: str | None = None,
    image_sizes: Mapping[str, tuple[int, int]] | None = None,
) -> Rendered:
    """Render a page body (Markdown with optional front matter) to sanitized HTML.

    ``existing`` holds the normalized titles of pages that exist: links to others are red.
    ``page_title`` resolves relative URLs of Markdown images and links (not of raw HTML) to
    that page's attachments, ``/files/<page path>/<name>``; ``image_sizes`` (attachment name
    -> width, height) gives such images their dimensions.

    :raises RenderError: input nested too deeply or too costly to render (see
        :func:`check_complexity`); unbounded slowness is guarded by ``render_guard``.
    """
    meta, text = split_front_matter(body)
    check_complexity(text)
    return render_markdown(text, meta, existing, page_title, image_sizes)


def render_markdown(
    text: str,
    meta: dict,
    existing: Collection[str],
    page_title: str | None = None,
    image_sizes: Mapping[str, tuple[int, int]] | None = None,
    prepare: Callable[[markdown.Markdown, RenderState], Callable[[], None]] | None = None,
) -> Rendered:
    """:func:`render` of the Markdown after front matter, already split off and checked by
    :func:`check_complexity`.

    ``prepare`` is called with the Markdown instance and its state before the conversion
    (``wiki.rendering.pieces`` adds a last preprocessor that may take the render over); it
    returns what undoes its changes, called after a conversion that completed, before the
    instance serves another render.
    """
    existing = existing if isinstance(existing, Set) else frozenset(existing)
    state = RenderState(existing=existing, page_title=page_title, image_sizes=image_sizes or {})
    md = borrow_markdown(state)
    undo = prepare(md, state) if prepare is not None else None
    try:
        page_html = unique_api_anchors(checked_html(md.convert(text)))
        tokens = getattr(md, "toc_tokens", [])
        toc = toc_list(getattr(md, "toc", "")) if _count_headings(tokens) >= 2 else ""
        toc_html = with_api_entries(sanitize_html(toc) if toc else "", page_html)
    except RecursionError:
        raise too_complex("it is nested too deeply", 400) from None
    if undo is not None:
        undo()
    give_back(md)
    return Rendered(
        html=page_html,
        toc_html=toc_html,
        links=frozenset(state.links),
        missing=frozenset(state.missing),
        meta=meta,
        uses_mermaid=state.mermaid,
        uses_math=state.math,
    )


def checked_html(markup: str) -> str:
    """Markdown's output, sanitized. :raises RenderError: raw HTML nested too deeply."""
    _check_html_depth(markup)
    return sanitize_html(markup)


def toc_list(toc: str) -> str:
    """Python-Markdown's table of contents without its ``<div class="toc">`` wrapper."""
    return _TOC_WRAPPER.sub("", toc)


_BLOCK_TAGS = frozenset(
    "p div pre li ul ol dl dt dd blockquote table tr h1 h2 h3 h4 h5 h6 hr br details"
    " summary figure figcaption caption".split()
)
_SKIP_CLASSES = frozenset({"toc", "headerlink", "footnote-backref"})
_VOID_TAGS = frozenset({"br", "hr", "img", "input"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0  # > 0 while inside an element whose text is navigation, not content

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if tag in _VOID_TAGS:
            self.parts.append("\n" if tag in _BLOCK_TAGS else " ")
        elif self.skip_depth or classes & _SKIP_CLASSES:
            self.skip_depth += 1
        elif tag in _BLOCK_TAGS or tag in ("td", "th", "sup", "sub"):
            self.parts.append("\n" if tag in _BLOCK_TAGS else " ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        if self.skip_depth:
            self.skip_depth -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def plain_text(body: str) -> str:
    """The text a reader sees on the page, for search indexing.

    Front matter is dropped, code is kept as text, block boundaries become line breaks and
    runs of blank lines collapse to one.

    :raises RenderError: as :func:`render`.
    """
    extractor = _TextExtractor()
    extractor.feed(render(body, existing=()).html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
