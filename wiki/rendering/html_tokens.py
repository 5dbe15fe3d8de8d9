"""The tokens bleach's walker would yield for the plain, well-nested start of a page, read
without html5lib's parse.

bleach parses a page with html5lib (a pure-Python tokenizer and tree builder: ~30 ms of a
50 KB README's ~45 ms sanitize), walks the tree into tokens, and runs its allowlist filter and
serializer on them. For markup whose tree is exactly its tags' nesting, the walk gives back
the page's own tags and texts in order; :func:`leading_tokens` reads them with one regex
instead, as far as the page stays inside a narrow subset where that is certain, and stops
at the start of the top-level block where it leaves it. The sanitizer then parses only the
rest with html5lib (from a top-level boundary html5lib's state there is its initial one),
and its allowlist filter and serializer see every token, as before: only the parse is
skipped, never the allowlist.

The subset, each rule checked against the HTML parsing algorithm (html5lib, in body, the
fragment parse bleach runs) and by tests/test_render_speedups.py against html5lib itself:

* tags are ``<name attr="value" ...>``, ``<name ... />`` or ``</name>`` in lower case,
  attribute values double-quoted, no attribute twice; no comments, doctypes, ``<!``/``<?``;
  no character the input stream rewrites or reports (CR, NUL, controls, noncharacters);
* a tag bleach does not allow is text, as bleach's tokenizer makes it (its exact source);
* allowed elements nest properly (each end tag closes the current element), with none of
  the parser's implied opening or closing: no block start tag while a ``<p>`` is open, ``li``
  only in ``ul``/``ol``, ``dt``/``dd`` only in ``dl``, no heading directly in a heading, no
  ``<a>`` in an ``<a>``, no ``<table>`` in a table; a table holds ``caption``, ``thead``
  and ``tbody``, those ``tr``, those ``td``/``th``, and only whitespace as text between them
  (other text would be moved out in front of the table); table parts nowhere else;
  ``/>`` only on void elements; no newline right after ``<pre>`` (the parser drops it).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Set

from bleach._vendor.html5lib.constants import spaceCharacters

_SPACE = "".join(spaceCharacters)  # (with CR, which never gets here)
_TOKEN = re.compile(
    r"<(/?)([a-z][a-z0-9]*)((?:[\t\n\x0c ]+[a-z][a-z0-9_.:-]*=\"[^\"]*\")*)[\t\n\x0c ]*(/?)>"
    r"|[^<]+"
)
_ATTRIBUTE = re.compile(r"([a-z][a-z0-9_.:-]*)=\"([^\"]*)\"")
# Characters html5lib's input stream changes or reports (as the code set-aside's): CR, NUL,
# controls, surrogates, noncharacters; and a BOM. Astral noncharacters are looked for among
# the astral characters only (:func:`astral_noncharacter`): a class of all of them is
# matched one by one at every character, ten times slower than the rest of the read.
_UNSAFE_CHARS = re.compile(
    "[\r\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufeff\ufffe\uffff]"
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def astral_noncharacter(text: str, start: int = 0, end: int | None = None) -> int:
    """Where the first astral noncharacter (U+1FFFE, U+1FFFF ... U+10FFFF) of
    ``text[start:end]`` is, or -1."""
    for match in _ASTRAL.finditer(text, start, len(text) if end is None else end):
        if ord(match[0]) & 0xFFFE == 0xFFFE:
            return match.start()
    return -1


_VOID = frozenset({"br", "hr", "img", "input", "area", "base", "col", "embed", "link", "meta"})
_VOID |= frozenset({"param", "source", "track", "wbr", "keygen", "basefont", "bgsound", "frame"})
# Start tags that close an open <p> (html5lib's in-body rules), and the table's parts.
_CLOSES_P = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption"
    " figure footer header hgroup main menu nav ol p section summary ul h1 h2 h3 h4 h5 h6 pre"
    " listing form plaintext li dd dt table hr xmp".split()
)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_TABLE_CHILDREN = {
    "table": frozenset({"caption", "thead", "tbody"}),
    "thead": frozenset({"tr"}),
    "tbody": frozenset({"tr"}),
    "tr": frozenset({"td", "th"}),
}
_TABLE_PARTS = frozenset(
    "caption col colgroup tbody td tfoot th thead tr table frameset frame head body html".split()
)
# Elements the subset leaves out whatever their surroundings: they change the tokenizer's
# state, the insertion mode, or are handled specially by the tree builder.
_SPECIAL = frozenset(
    "script style textarea title xmp iframe noembed noframes noscript plaintext template svg"
    " math select option optgroup button form nobr applet marquee object image isindex"
    " listing frameset frame html head body ruby rb rp rt rtc".split()
)


def add_text(tokens: list[dict], text: str) -> None:
    """The walker's tokens for a text node (``TreeWalker.text``: whitespace at either end
    apart)."""
    middle = text.strip(_SPACE)
    if middle == text:
        tokens.append({"type": "Characters", "data": text})
        return
    if not middle:
        tokens.append({"type": "SpaceCharacters", "data": text})
        return
    left = text[: len(text) - len(text.lstrip(_SPACE))]
    if left:
        tokens.append({"type": "SpaceCharacters", "data": left})
    tokens.append({"type": "Characters", "data": middle})
    if len(left) + len(middle) < len(text):
        tokens.append({"type": "SpaceCharacters", "data": text[len(left) + len(middle) :]})


TEXT, TAG = 0, 1


def leading_tokens(html: str, allowed: Set[str]) -> tuple[list[dict], int]:
    """The tokens bleach's walker yields for ``html[:end]``, and ``end``: the end of the
    longest run of whole top-level blocks in the subset (0 when the first is not).

    ``allowed`` is the sanitizer's allowlist of tag names (the tokenizer's, in bleach).
    """
    parts, end = leading_parts(html, allowed)
    tokens: list[dict] = []
    for kind, part in parts:
        if kind == TEXT:
            add_text(tokens, part)
        else:
            tokens.append(tag_token(part))
    return tokens, end


def leading_parts(html: str, allowed: Set[str]) -> tuple[list[tuple[int, str]], int]:
    """:func:`leading_tokens` as ``(TEXT, a text node)`` and ``(TAG, a tag as written)``:
    each text node gives the walker's tokens of :func:`add_text`, each tag the one token
    of :func:`tag_token`."""
    if html[:1] == "\ufeff":
        return [], 0
    bad = _UNSAFE_CHARS.search(html)
    limit = len(html) if bad is None else bad.start()
    if (astral := astral_noncharacter(html, 0, limit)) >= 0:
        limit = astral
    parts: list[tuple[int, str]] = []
    done_parts, done_at = 0, 0  # the last top-level boundary
    stack: list[str] = []
    text = ""  # text not yet in parts (html5lib merges it into one node)
    pos = 0
    for match in _TOKEN.finditer(html, 0, limit):  # (one C-level scan, no call per token)
        if match.start() != pos:
            break  # a "<" that starts no token: the subset ends there
        name = match[2]
        if name is None or name not in allowed:  # text, or a tag bleach makes text
            text += match[0]
            pos = match.end()
            continue
        if text:
            if stack and stack[-1] in _TABLE_CHILDREN and text.strip(_SPACE):
                break  # html5lib would move it out in front of the table
            parts.append((TEXT, text))
            text = ""
        if not _may_take(match, stack, html):
            break
        parts.append((TAG, match[0]))
        pos = match.end()
        if not stack:
            done_parts, done_at = len(parts), pos
    if pos == len(html) and not stack:
        if text:
            parts.append((TEXT, text))
        return parts, pos
    del parts[done_parts:]
    return parts, done_at


def _may_take(match: re.Match[str], stack: list[str], html: str) -> bool:
    """Whether a tag bleach allows stays in the subset; ``stack`` (open elements) updated."""
    closing, name, attributes, self_closing = match.groups()
    if closing:
        if attributes or self_closing or not stack or stack[-1] != name:
            return False
        stack.pop()
        return True
    if not _may_open(name, stack, html, match.end()):
        return False
    if attributes.count("=") > 1:  # (one "=" an attribute: fewer, and none is repeated)
        names = [attribute for attribute, _ in _ATTRIBUTE.findall(attributes)]
        if len(set(names)) < len(names):
            return False  # (html5lib keeps the first, bleach's tokenizer reports it)
    if name in _VOID:
        return True
    if self_closing:
        return False  # html5lib ignores "/>" there: the element stays open
    stack.append(name)
    return True


def tag_token(tag: str) -> dict:
    """The walker's token for a tag :func:`leading_parts` took."""
    closing, name, attributes, _ = _TOKEN.match(tag).groups()
    if closing:
        return {"type": "EndTag", "name": name, "namespace": None}
    data = OrderedDict(((None, a), value) for a, value in _ATTRIBUTE.findall(attributes))
    kind = "EmptyTag" if name in _VOID else "StartTag"
    return {"type": kind, "name": name, "namespace": None, "data": data}


def _may_open(name: str, stack: list[str], html: str, end: int) -> bool:
    """Whether html5lib inserts element ``name`` into the current element and nothing else."""
    if name in _SPECIAL:
        return False
    current = stack[-1] if stack else ""
    if current in _TABLE_CHILDREN:
        return name in _TABLE_CHILDREN[current]
    if name in _TABLE_PARTS and name != "table":
        return False
    if name in _CLOSES_P and "p" in stack:
        return False
    if name == "li":
        return current in ("ul", "ol")
    if name in ("dd", "dt"):
        return current == "dl"
    if name in _HEADINGS:
        return current not in _HEADINGS
    if name == "a":
        return "a" not in stack
    if name == "table":
        return "table" not in stack
    if name == "pre":
        return html[end : end + 1] != "\n"
    return True
