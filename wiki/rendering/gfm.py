"""GitHub's Markdown structure for Python-Markdown: the cases where the two disagree most.

Pure module. Python-Markdown stays the renderer; this extension only reshapes what it reads.
:class:`_Structure` reads the document's block structure with a CommonMark parser
(markdown-it-py, used to *read*, never to render) and rewrites the source into the shape
Python-Markdown parses the same way:

* list items are re-indented to four spaces per level, so a list nested by 2-3 spaces (or an
  item whose content is indented to its marker's width) keeps its nesting; a four-space
  nested list is rewritten to itself;
* a list or fence that follows a paragraph line gets the blank line Python-Markdown needs;
* fences are written canonically (closing fence as long as the opening one, at its indent;
  the language is the first word of the info string; an unclosed fence runs to the end of
  its container, as in CommonMark);
* an HTML block that opens an element it does not close (``<details>``, ``<div>``...) is
  stashed on its own, so the Markdown after the blank line that ends it is rendered.

The rest are small inline and tree additions: every ASCII punctuation character can be
escaped, ``[`code`][]`` finds its reference, ``~x~`` is struck through, a backslash at the end
of a line breaks it, and GitHub alerts (``> [!NOTE]``) become callouts.

Nothing here emits HTML of its own that skips the sanitizer: stashed HTML blocks and the
alert markup are part of Markdown's output, which ``sanitize_html`` cleans as a whole.
"""

from __future__ import annotations

import re

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import SimpleTagInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown_it import MarkdownIt

from wiki.rendering.gfm_inline import (
    Alerts,
    HardBreak,
    ImageReference,
    Reference,
    ShortImageReference,
    ShortReference,
)

# CommonMark block structure, tables included; inline parsing is not needed.
_READER = (
    MarkdownIt("commonmark", {"maxNesting": 100})
    .enable("table")
    .disable(["inline", "text_join"], ignoreInvalid=True)
)
_LANGUAGE = re.compile(r"[\w#+.-]+")
_MARKER = re.compile(r"(\d{1,9})([.)])|([-+*])")
_FENCE_OPTIONS = re.compile(r'(?:[\w-]+=(?:"[^"]*"|\'[^\']*\'|\S+)\s*)+\Z')  # superfences
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
_ALERT_LINE = re.compile(r" {0,3}> ?\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*\Z", re.I)
# Lines that may start something to rewrite: list items, fences, HTML, alerts.
_CANDIDATE = re.compile(
    r"^ *(?:[-+*] |\d{1,9}[.)] |```|~~~|<[a-zA-Z/]|> ?\[!|#|[=*_-]{3})|^ {1,3}#", re.M
)
MAX_LIST_DEPTH = 40  # as the renderer's MAX_NESTING
ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Rewrite:
    """Per source line: the lines that replace it (``None`` keeps it as it is).

    Changes since :meth:`begin` can be undone with :meth:`undo`, at the cost of the changes
    only (a page of many short lists must not copy the page once per list).
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.out: list[list[str] | None] = [None] * len(lines)
        self.blank_before: set[int] = set()
        self._journal: list[tuple[int, list[str] | None]] | None = None
        self._blanks: list[int] = []

    def set(self, i: int, *new: str) -> None:
        if self._journal is not None:
            self._journal.append((i, self.out[i]))
        self.out[i] = list(new)

    def blank(self, i: int) -> None:
        """A blank line before line ``i`` (unless the line before is blank)."""
        if i not in self.blank_before:
            self.blank_before.add(i)
            self._blanks.append(i)

    def begin(self) -> None:
        self._journal, self._blanks = [], []

    def undo(self) -> None:
        for i, old in reversed(self._journal or []):
            self.out[i] = old
        self.blank_before.difference_update(self._blanks)

    def end(self) -> None:
        self._journal, self._blanks = None, []

    def result(self) -> list[str]:
        result: list[str] = []
        for i, line in enumerate(self.lines):
            if i in self.blank_before and result and result[-1].strip():
                result.append("")
            result.extend(line for line in (self.out[i] if self.out[i] is not None else [line]))
        return result


class _Item:
    __slots__ = ("content", "new", "first")

    def __init__(self, content: int, new: int, first: int) -> None:
        self.content = content  # column where the item's content starts in the source
        self.new = new  # column it starts at once rewritten
        self.first = first  # the item's first line


class _Unsupported(Exception):
    """A shape this rewrite does not handle: the list is left as it was written."""


class _Structure(Preprocessor):
    """Rewrites lists, fences and open HTML blocks as described in the module docstring."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if not _may_need_rewriting(text):
            return lines
        tokens = _READER.parse(text)
        rewrite = _Rewrite(lines)
        i, previous = 0, None
        while i < len(tokens):
            token = tokens[i]
            end = _closing(tokens, i)
            if token.type == "blockquote_open" and previous is not None:
                if previous.type == "blockquote_open":
                    self._separate_quotes(previous, token, rewrite)
            if token.type in ("bullet_list_open", "ordered_list_open"):
                if previous is not None and previous.type.endswith("_list_open"):
                    self._separate(token.map[0], rewrite)  # "- a" then "+ b": two lists
                rewrite.begin()
                try:
                    self._list(tokens, i, end, rewrite)
                except _Unsupported:
                    rewrite.undo()
                rewrite.end()
            elif token.type == "fence":
                self._fence(token, rewrite, None)
            elif token.type == "html_block" and token.map:
                self._html(token, rewrite)
            elif token.type == "heading_open" and token.map:
                self._heading(token, tokens[i + 1].content, rewrite)
            elif token.type == "hr" and token.map and token.map[0] > 0:
                rewrite.blank(token.map[0])  # not a setext underline
            elif token.type == "paragraph_open" and token.map:
                self._paragraph(token.map, rewrite)
            previous = token
            i = end + 1
        return rewrite.result()

    def _separate_quotes(self, before, quote, rewrite: _Rewrite) -> None:
        """Python-Markdown merges quotes separated by a blank line; keep an alert and the
        quote next to it apart, as GitHub does, with an empty stashed block between them.
        (Other quotes stay merged, as pages written for the wiki expect.)"""
        if not before.map or not quote.map:
            return
        first = quote.map[0]
        if _ALERT_LINE.match(rewrite.lines[before.map[0]]) or _ALERT_LINE.match(
            rewrite.lines[first]
        ):
            self._separate(first, rewrite)

    def _separate(self, first: int, rewrite: _Rewrite) -> None:
        """An empty stashed block before line ``first``: what comes next starts anew."""
        separator = self.md.htmlStash.store("<!-- -->")  # sanitizing drops the comment
        rewrite.set(first, separator, "", *(rewrite.out[first] or [rewrite.lines[first]]))
        rewrite.blank(first)

    @staticmethod
    def _heading(token, content: str, rewrite: _Rewrite) -> None:
        """A heading written as an ATX heading Python-Markdown reads the same way: no indent,
        no closing hashes (an escaped one kept), a space after the opening ones; a setext
        heading's lines joined on one line."""
        content = " ".join(content.split("\n"))
        line = "#" * int(token.tag[1]) + (" " + content if content else "")
        if content.endswith(("#", "\\")):
            line += " #"  # Python-Markdown would take the content's own "#" as closing
        first, last = token.map
        if line != rewrite.lines[first] or last - first > 1:
            rewrite.set(first, line)
            for i in range(first + 1, last):
                rewrite.set(i)

    @staticmethod
    def _paragraph(span: list[int], rewrite: _Rewrite) -> None:
        """A paragraph line starting with "#" ("#5 bolt", "#hashtag") is no heading."""
        for i in range(*span):
            if rewrite.lines[i].startswith("#"):
                rewrite.set(i, "\\" + rewrite.lines[i])

    def _list(self, tokens, start: int, end: int, rewrite: _Rewrite) -> None:
        lines = rewrite.lines
        stack: list[_Item] = []
        # Per open list: whether every list from the outermost down to it is loose, and
        # how many items it has had. Python-Markdown wraps an item in <p> only when a blank
        # line touches it; CommonMark wraps every item of a loose list.
        lists: list[list] = []
        for n, token in enumerate(tokens[start : end + 1], start):
            if token.type in ("bullet_list_open", "ordered_list_open") and token.map:
                first = token.map[0]
                parent = stack[-1] if stack else None
                if parent is None and first > 0 and lines[first - 1].strip():
                    rewrite.blank(first)  # a list right after a paragraph line
                outer_loose = all(loose for loose, _ in lists)
                lists.append([outer_loose and _is_loose(tokens, n), 0])
            elif token.type in ("bullet_list_close", "ordered_list_close"):
                lists.pop()
            elif token.type == "list_item_open":
                stack.append(self._item(token, stack, rewrite))
                if lists and lists[-1][0] and lists[-1][1]:
                    rewrite.blank(token.map[0])
                if lists:
                    lists[-1][1] += 1
            elif token.type == "list_item_close":
                stack.pop()
            elif token.type == "blockquote_open" and stack and token.map:
                self._quote_in_item(token.map, stack[-1], rewrite)
            elif token.type == "fence" and stack:
                self._fence(token, rewrite, stack[-1])
            elif token.type == "paragraph_open" and stack and token.map:
                self._keep_continuation(token.map, stack[-1], rewrite)

    @staticmethod
    def _quote_in_item(span: list[int], item: _Item, rewrite: _Rewrite) -> None:
        """A quote right under an item's first line: Python-Markdown reads it as a quote
        only when indented less than four spaces past the item's parent."""
        first, last = span
        if first != item.first + 1:
            return  # (after a blank line, the four-space indent is what it needs)
        for i in range(first, last):
            body = rewrite.lines[i]
            if body.strip():
                rewrite.set(i, " " * (item.new - 2) + body[min(_indent(body), item.content) :])

    @staticmethod
    def _keep_continuation(span: list[int], item: _Item, rewrite: _Rewrite) -> None:
        """Leave a paragraph's later lines as written where Python-Markdown already reads
        them as part of it: all of them in the item's first paragraph (it joins them
        lazily), those indented enough in later ones. Fewer changed bytes, same HTML."""
        first, last = span
        for i in range(first + 1, last):
            if first == item.first or _indent(rewrite.lines[i]) >= item.new:
                rewrite.out[i] = None

    def _item(self, token, stack: list[_Item], rewrite: _Rewrite) -> _Item:
        lines = rewrite.lines
        first, last = token.map
        parent = stack[-1] if stack else None
        if len(stack) >= MAX_LIST_DEPTH:
            raise _Unsupported  # left as written: the render guard's limits apply as before
        line = lines[first]
        col = _indent(line)
        if parent is not None and (parent.first == first or col < parent.content):
            raise _Unsupported  # two markers on one line, or a lazy marker
        if parent is None and col > 3:
            raise _Unsupported
        marker = _MARKER.match(line, col)
        if marker is None:
            raise _Unsupported
        rest = line[marker.end() :]
        spaces = _indent(rest)
        if not rest.strip():
            raise _Unsupported  # an item starting with a blank line
        if spaces == 0 or spaces > 4:
            raise _Unsupported  # (spaces > 4: indented code on the marker's line)
        bullet = marker.group(3) or f"{int(marker.group(1))}."  # "003)" starts at 3
        parent_new = parent.new if parent else 0
        item = _Item(marker.end() + spaces, parent_new + 4, first)
        rewrite.set(first, " " * parent_new + bullet + " " + rest[spaces:])
        for i in range(first + 1, last):
            body = lines[i]
            if body.strip():
                rewrite.set(i, " " * item.new + body[min(_indent(body), item.content) :])
            else:
                rewrite.set(i, "")
        return item

    def _fence(self, token, rewrite: _Rewrite, item: _Item | None) -> None:
        """Write the fence canonically at its container's new indent."""
        if not token.map:
            return
        lines = rewrite.lines
        first, last = token.map
        strip = item.content if item else 0
        new = " " * (item.new if item else 0)
        opening = lines[first]
        fence_indent = _indent(opening) - strip
        if fence_indent < 0:
            return
        char = token.markup[0]
        closing = last - 1
        closed = (
            closing > first
            and re.fullmatch(rf" *{re.escape(char)}{{{len(token.markup)},}} *", lines[closing])
            is not None
        )
        info = token.info.strip()
        words = info.split(maxsplit=1)
        if len(words) == 2 and not info.startswith("{") and not _FENCE_OPTIONS.match(words[1]):
            info = words[0]  # "js title" -> "js": GitHub uses the first word
        if info and not info.startswith("{") and not _LANGUAGE.fullmatch(info.split()[0]):
            info = ""  # not a language Python-Markdown's fences accept ("```;")
        body_end = closing if closed else last
        if not closed:  # it ends with its container; blank lines at the end are not code
            while body_end - 1 > first and not lines[body_end - 1].strip():
                body_end -= 1
        rewrite.set(first, new + token.markup + info)
        for i in range(first + 1, body_end):
            body = lines[i]
            cut = min(_indent(body), strip + fence_indent)
            rewrite.set(i, new + body[cut:] if body.strip() else "")
        tail = [new + token.markup]
        if item is None and last < len(lines) and lines[last].strip():
            tail.append("")  # text right after the fence starts a new paragraph
        if closed:
            rewrite.set(closing, *tail)
        else:
            rewrite.set(body_end - 1, *(rewrite.out[body_end - 1] or []), *tail)
        if item is None:  # (in a list item Python-Markdown needs none, and would loosen it)
            rewrite.blank(first)

    def _html(self, token, rewrite: _Rewrite) -> None:
        """Stash an HTML block that leaves an element open (or closes one it did not open),
        so Python-Markdown does not swallow the Markdown up to the closing tag."""
        if _balanced(token.content):
            return
        first, last = token.map
        placeholder = self.md.htmlStash.store(token.content.strip())  # "<div" starts it
        rewrite.set(first, placeholder, "")
        for i in range(first + 1, last):
            rewrite.set(i)
        rewrite.blank(first)


def _may_need_rewriting(text: str) -> bool:
    """A cheap test: without list markers, fences or tags there is nothing to rewrite."""
    return _CANDIDATE.search(text) is not None


def _is_loose(tokens, i: int) -> bool:
    """Whether the list opened by ``tokens[i]`` is loose (markdown-it hides the paragraphs
    of tight lists)."""
    level = tokens[i].level + 2
    for token in tokens[i + 1 : _closing(tokens, i)]:
        if token.type == "paragraph_open" and token.level == level:
            return not token.hidden
    return False


def _closing(tokens, i: int) -> int:
    """Index of the token that closes ``tokens[i]`` (itself for a leaf)."""
    if tokens[i].nesting != 1:
        return i
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _balanced(block: str) -> bool:
    stack: list[str] = []
    for closing, name in _TAG.findall(block):
        name = name.lower()
        if name in _VOID:  # (HTML ignores "/>" on other elements: they stay open)
            continue
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


class GfmExtension(Extension):
    """Register the GitHub-structure pieces (see the module docstring)."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        # After whitespace normalising (30, which expands tabs), before fences are stashed (25).
        md.preprocessors.register(_Structure(md), "gfm_structure", 28)
        md.ESCAPED_CHARS = sorted(set(md.ESCAPED_CHARS) | set(ASCII_PUNCTUATION))
        ref = markdown.inlinepatterns
        patterns = md.inlinePatterns
        patterns.register(Reference(ref.REFERENCE_RE, md), "reference", 170)
        patterns.register(ImageReference(ref.IMAGE_REFERENCE_RE, md), "image_reference", 140)
        patterns.register(ShortReference(ref.REFERENCE_RE, md), "short_reference", 130)
        short_image = ShortImageReference(ref.IMAGE_REFERENCE_RE, md)
        patterns.register(short_image, "short_image_ref", 125)
        patterns.register(HardBreak(r"\\\n", md), "gfm_hard_break", 181)
        single_tilde = r"(?<![~\\])(~)(?![~\s])(.+?)(?<![~\s\\])~(?!~)"
        patterns.register(SimpleTagInlineProcessor(single_tilde, "del"), "gfm_tilde", 59)
        md.treeprocessors.register(Alerts(md), "gfm_alerts", 25)
