"""The single gate between rendered Markdown and the page: bleach with allowlists.

Pure module. Everything a page shows passes :func:`sanitize_html` as the last step; keeping
the allowlists here, in one place, means bleach can be swapped (e.g. for nh3) by editing one
function. The Content-Security-Policy is the second layer.
"""

from __future__ import annotations

import re
import secrets
import threading
from html import escape as html_escape

import bleach
from bleach.html5lib_shim import Filter
from bleach.sanitizer import INVISIBLE_CHARACTERS_RE, BleachSanitizerFilter
from pygments.token import STANDARD_TYPES

from wiki.rendering.html_tokens import (
    TAG,
    TEXT,
    add_text,
    astral_noncharacter,
    leading_parts,
    tag_token,
)
from wiki.rendering.html_walker import ElementWalker

ALLOWED_TAGS = frozenset(
    "h1 h2 h3 h4 h5 h6 p br hr a img ul ol li dl dt dd blockquote pre code span div em strong"
    " del s ins mark sub sup kbd abbr table thead tbody tr th td caption details summary input"
    " figure figcaption".split()
)
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "class", "rel"}),
    "img": frozenset({"src", "alt", "title", "width", "height", "loading", "class"}),
    "th": frozenset({"align", "colspan", "rowspan", "class"}),
    "td": frozenset({"align", "colspan", "rowspan", "class"}),
    "input": frozenset({"type", "checked", "disabled", "class"}),
    "ol": frozenset({"start"}),
    "abbr": frozenset({"title"}),
    "details": frozenset({"open"}),
    **{tag: frozenset({"class"}) for tag in "span div code pre li ul p table".split()},
}
# Value rules for attributes whose meaning a bad value could change.
ATTRIBUTE_VALUES = {
    "align": re.compile(r"(left|center|right)\Z"),
    "colspan": re.compile(r"\d{1,4}\Z"),
    "rowspan": re.compile(r"\d{1,4}\Z"),
    "start": re.compile(r"-?\d{1,9}\Z"),
    "width": re.compile(r"\d{1,5}%?\Z"),
    "height": re.compile(r"\d{1,5}%?\Z"),
    "type": re.compile(r"checkbox\Z"),
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# Page ids carry a prefix the site's own element ids never use, so content cannot clobber them.
ALLOWED_ID = re.compile(r"(h-|fn:|fnref\d*:)")
# The API reference of ```openapi blocks (wiki/rendering/openapi/html.py, static/css/openapi.css).
OPENAPI_CLASSES = frozenset(
    "openapi oa-error oa-where oa-info oa-title oa-version oa-spec oa-servers oa-label oa-toc"
    " oa-tag oa-schemas oa-component oa-op oa-deprecated oa-path oa-summary oa-flag oa-auth"
    " oa-params oa-type oa-required oa-media oa-body oa-response oa-status oa-s1 oa-s2 oa-s3"
    " oa-s4 oa-s5 oa-method oa-get oa-post oa-put oa-patch oa-delete oa-head oa-options"
    " oa-trace oa-schema oa-constraints oa-cycle oa-more oa-nested oa-choices".split()
)
# Only classes the renderer emits: page content must not borrow the site's layout classes.
ALLOWED_CLASSES = frozenset(
    {cls for cls in STANDARD_TYPES.values() if cls}
    | {"hll", "linenos", "linenodiv", "highlighttable", "code", "filename", "highlight"}
    | {"normal", "special"}
    | {"wikilink", "missing", "mermaid", "arithmatex", "toc", "headerlink", "task-list"}
    | {"task-list-item", "footnote", "footnote-ref", "footnote-backref"}
    | {"markdown-alert", "markdown-alert-title"}
    | {f"markdown-alert-{kind}" for kind in ("note", "tip", "important", "warning", "caution")}
    | OPENAPI_CLASSES
)


# A fenced code block's language, as the highlighter names it (shown as the block's label).
LANGUAGE_CLASS = re.compile(r"language-[a-z0-9+#._-]{1,40}\Z", re.IGNORECASE)


def _allowed_class(name: str) -> bool:
    return name in ALLOWED_CLASSES or LANGUAGE_CLASS.match(name) is not None


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    if name == "id":
        return ALLOWED_ID.match(value) is not None
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    rule = ATTRIBUTE_VALUES.get(name)
    return rule is None or rule.match(value.strip().lower()) is not None


def _is_external(href: str) -> bool:
    plain = href.strip().lower().replace("\\", "/")
    return plain.startswith(("http:", "https:", "//"))


class _FinishFilter(Filter):
    """Runs inside the sanitizer, after the allowlist: fixes up what the allowlist let through."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag"):
                attrs = token["data"]
                if token["name"] == "input":
                    if attrs.get((None, "type"), "").lower() != "checkbox":
                        continue  # only task-list checkboxes are allowed inputs
                    attrs[(None, "disabled")] = "disabled"
                    # A task-list box has no <label>; without a name it is an unlabelled control.
                    attrs[(None, "aria-label")] = "Task"
                if (None, "class") in attrs:
                    kept = [c for c in attrs[(None, "class")].split() if _allowed_class(c)]
                    if kept:
                        attrs[(None, "class")] = " ".join(kept)
                    else:
                        del attrs[(None, "class")]
                if token["name"] == "img":
                    attrs[(None, "loading")] = "lazy"
                if token["name"] == "a" and _is_external(attrs.get((None, "href"), "")):
                    attrs[(None, "rel")] = "nofollow noopener"
            yield token


# Markup our own generators build already in the form this gate gives (the API reference
# of an ```openapi block): see :func:`trusted_fragment`. The marks carry a per-process secret,
# so no page text can forge one, and the secret never reaches a page.
_NONCE = secrets.token_hex(8)
_OPEN, _CLOSE = f"\ue010{_NONCE}\ue011", f"\ue012{_NONCE}\ue013"
_TRUSTED = re.compile(f"{_OPEN}(.*?){_CLOSE}", re.S)
_SLOT = re.compile(f"\ue014{_NONCE}:(\\d+)\ue015")


def trusted_fragment(html: str) -> str:
    """``html`` marked to pass :func:`sanitize_html` as it is, without being parsed again.

    Only for markup that is already a fixed point of :func:`sanitize_html` (sanitizing it
    changes nothing) whatever its input, and well formed (every element it opens, it closes),
    so skipping the parse loses nothing. The API reference is (wiki/rendering/openapi/html.py:
    every user-written string escaped, descriptions sanitized one by one, ids and classes from
    the allowlists); tests/test_openapi_trusted.py checks it with script in every field. This
    is what lets a 200-operation reference save in under half a second: bleach costs ~50 µs a
    tag, and the reference has thousands.
    """
    # What the parser does to text before anything else: line ends to LF, and bleach's
    # "invisible" control characters to "?".
    html = INVISIBLE_CHARACTERS_RE.sub("?", html.replace("\r\n", "\n").replace("\r", "\n"))
    return f"{_OPEN}{html}{_CLOSE}"


def sanitize_html(html: str) -> str:
    """Return ``html`` with everything outside the module's allowlists escaped or removed.

    Guarantees: only :data:`ALLOWED_TAGS` as elements; only allowlisted attributes, with
    ``id`` only under :data:`ALLOWED_ID` prefixes and ``class`` only from
    :data:`ALLOWED_CLASSES`; URLs only http(s), mailto or relative (checked after decoding
    entities and dropping whitespace and control characters); inputs only disabled
    checkboxes; images lazy; external links ``rel="nofollow noopener"``. Fragments marked
    by :func:`trusted_fragment` are kept as they are (they already meet all of that).

    The result is bleach's, byte for byte; two shapes bleach would give back unchanged skip
    its parse (it costs ~20 µs a tag): a table of contents (:func:`_is_plain_list`) and
    highlighted code inside ``<code>`` (:func:`_set_aside_code`).
    """
    if _is_plain_list(html):
        return html
    clean = None
    if _CODE_START in html:
        clean = _clean_with_code_set_aside(html)
    if clean is None:
        clean = _clean(html)
    return clean.replace(_NONCE, "")  # an unpaired mark: never let the secret out


def _cleaner() -> bleach.Cleaner:
    """This thread's cleaner (a Cleaner is not thread-safe; building one per call costs)."""
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=_allow_attribute,
            protocols=ALLOWED_PROTOCOLS,
            strip=False,
            strip_comments=True,
            filters=[_FinishFilter],
        )
        cleaner.walker = ElementWalker  # html5lib's etree walker without its quadratic step
    return cleaner


_local = threading.local()


def _clean(html: str) -> str:
    """bleach, with :func:`trusted_fragment` marks set aside and put back."""
    cleaner = _cleaner()
    if _NONCE not in html:
        return _bleach(cleaner, html)
    fragments: list[str] = []

    def set_aside(match: re.Match) -> str:
        fragments.append(match[1])
        return f"\ue014{_NONCE}:{len(fragments) - 1}\ue015"

    clean = _bleach(cleaner, _TRUSTED.sub(set_aside, html))

    def put_back(match: re.Match) -> str:
        # Only where text may stand: page HTML around the mark (an unclosed `<a title="`)
        # can leave it inside a tag, where markup would break out of the attribute. In
        # bleach's output a raw "<" or ">" is always a tag's (text and attribute values
        # have them escaped), so the last one before the mark says where it stands.
        at = match.start()
        if clean.rfind("<", 0, at) > clean.rfind(">", 0, at):
            return html_escape(fragments[int(match[1])])
        return fragments[int(match[1])]

    return _SLOT.sub(put_back, clean)


def _bleach(cleaner: bleach.Cleaner, html: str) -> str:
    """``cleaner.clean(html)``, reading the plain, well-nested start of ``html`` without
    html5lib's parse (:func:`wiki.rendering.html_tokens.leading_parts`: the tokens its
    parse and walk would give); bleach's allowlist filter and serializer see every token.

    Those two handle each tag token on its own (the filter's one merge joins text tokens
    that follow each other, and a tag stands between two text nodes; the serializer's
    state is reset by each tag's ">"), so a tag's output is that of the tag alone, kept by
    the tag as written (:func:`_tag_memo`); new tags go through the filter and serializer
    together (:func:`_sanitize_tags`); and so do text nodes, each distinct one once,
    followed by a ``</p>`` (text never serializes to "<"), except plain text, which they
    leave as it is (:data:`_NOT_PLAIN`).
    """
    if not html:
        return ""
    parts, end = leading_parts(html, cleaner.tags)
    if end == 0:
        return cleaner.clean(html)
    # Each text once (a page's heading links repeat the same "&para;" a hundred times).
    texts = list(dict.fromkeys(p for kind, p in parts if kind == TEXT and _NOT_PLAIN.search(p)))
    text_tokens: list[dict] = []
    for text in texts:
        add_text(text_tokens, text)
        text_tokens.append(dict(_TEXT_END))  # (filters may write to a token)
    clean_texts = (
        dict(zip(texts, _filtered(cleaner, text_tokens).split("</p>")[:-1], strict=True))
        if texts
        else {}
    )
    tags = _tag_memo()
    new = list(dict.fromkeys(part for kind, part in parts if kind == TAG and part not in tags))
    if new:
        _sanitize_tags(cleaner, new, tags)
    out = [tags[part] if kind == TAG else clean_texts.get(part, part) for kind, part in parts]
    if end < len(html):  # html5lib starts the rest where the start left it: at the top level
        out.append(_filtered(cleaner, cleaner.walker(cleaner.parser.parseFragment(html[end:]))))
    return "".join(out)


def _sanitize_tags(cleaner: bleach.Cleaner, new: list[str], tags: dict[str, str]) -> None:
    """Add the sanitized form of each tag of ``new`` to ``tags``: tags not seen before go
    through the filter and serializer together, each followed by a mark no page can hold
    (the secret).

    Tags that differ only in the value of their one slot (:func:`_slot`: a heading anchor,
    a web link) go through them once for all, as their template; each tag's form is the
    template's with its value put back in place of the stand-in.
    """
    pending: dict[str, None] = {}  # tags and templates to sanitize, in order
    slotted: list[tuple[str, str, str, str]] = []  # (tag, template, stand-in, value)
    for tag in new:
        slot = _slot(tag)
        if slot is None:
            pending[tag] = None
            continue
        slotted.append((tag, *slot))
        if slot[0] not in tags:
            pending[slot[0]] = None
    if pending:
        tag_tokens = [token for tag in pending for token in (tag_token(tag), dict(_TAG_END))]
        clean = _filtered(cleaner, tag_tokens).split(_TAG_END["data"])[:-1]
        tags.update(zip(pending, clean, strict=True))
    for tag, template, stand_in, value in slotted:
        clean_template = tags[template]
        if clean_template.count(stand_in) == 1:
            tags[tag] = clean_template.replace(stand_in, value)
        else:  # (never, for the allowlists of this module: the long way, to be sure)
            tags[tag] = _filtered(cleaner, [tag_token(tag)])


# Attribute values the gate treats alike whatever they hold, so that a tag's sanitized form
# is its template's (the value replaced by a stand-in of the same kind, which holds the
# secret), with the value put back in place of the stand-in:
# * a heading's anchor, its id (``<h2 id="h-...">``) or the permalink to it (``<a
#   href="#h-...">``): the id passes the ``h-`` prefix rule, the URL is a fragment (bleach
#   keeps a value starting with "#") and not external;
# * a web link (``href="https://..."``): bleach's URL check finds the scheme before the
#   first ":" (allowed), the finishing filter sees it external (rel="nofollow noopener");
#   the characters are ASCII, none that urlparse refuses ("[", "]"), that bleach's check
#   drops or decodes (whitespace, controls, "`", "&"), or that the serializer escapes;
# the serializer writes either as it is (word characters and "-"; the URL's characters).
# tests/test_render_speedups.py compares with bleach.
_SLOT_VALUE = re.compile(
    r'(?<=[\t\n\x0c ])(?:id="(h-[\w-]*)"|href="#(h-[\w-]*)"'
    r'|href="(https?://)([A-Za-z0-9._~/?#=%+,;:@!$*()-]*)")'
)
_ANCHOR_STAND_IN = f"h-{_NONCE}"


def _slot(tag: str) -> tuple[str, str, str] | None:
    """``tag`` with the value of its slot replaced by a stand-in, the stand-in and the
    value; None for a tag with no such value or more than one."""
    found = list(_SLOT_VALUE.finditer(tag))
    if len(found) != 1:
        return None
    match = found[0]
    group = next(i for i in (1, 2, 4) if match[i] is not None)
    stand_in = _ANCHOR_STAND_IN if group < 4 else f"{match[3]}{_NONCE}"
    start, end = match.span(group)
    if group == 4:
        start -= len(match[3])  # the scheme is part of the value
    return tag[:start] + stand_in + tag[end:], stand_in, tag[start:end]


_TEXT_END = {"type": "EndTag", "name": "p", "namespace": None}
# Text bleach gives back as it is: the filter changes only "&" (entities) and the invisible
# control characters (in text, not in whitespace), the serializer escapes "&", "<", ">".
_NOT_PLAIN = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_TAG_END = {"type": "Characters", "data": f"\ue018{_NONCE}\ue019"}
MAX_TAG_MEMO = 20_000


def _tag_memo() -> dict[str, str]:
    """This thread's sanitized tags, by the tag as written."""
    memo = getattr(_local, "tags", None)
    if memo is None or len(memo) > MAX_TAG_MEMO:
        memo = _local.tags = {}
    return memo


def _filtered(cleaner: bleach.Cleaner, tokens) -> str:
    """What ``cleaner.clean`` does with the tokens of its walk: its allowlist filter, our
    filters, its serializer."""
    filtered = BleachSanitizerFilter(
        source=iter(tokens),
        allowed_tags=cleaner.tags,
        attributes=cleaner.attributes,
        strip_disallowed_tags=cleaner.strip,
        strip_html_comments=cleaner.strip_comments,
        css_sanitizer=cleaner.css_sanitizer,
        allowed_protocols=cleaner.protocols,
    )
    for filter_class in cleaner.filters:
        filtered = filter_class(source=filtered)
    return cleaner.serializer.render(filtered)


# --- shapes bleach gives back unchanged ---------------------------------------------------
# Text bleach leaves as it is: no markup characters, nor characters the HTML parser
# changes or reports (controls, CR, noncharacters, surrogates), and only the entities
# Pygments and Python-Markdown write.
_BMP_BAD_CHARS = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
_BAD_CHARS = _BMP_BAD_CHARS + "".join(  # and the astral noncharacters
    chr(plane + end) for plane in range(0x10000, 0x110000, 0x10000) for end in (0xFFFE, 0xFFFF)
)
_ENTITY = "&(?:amp|lt|gt|quot|#39);"
_CODE_START = "<code>"
# A <code> element's content: spans with a class attribute, and text (see _set_aside_code),
# but for astral noncharacters, which :func:`_set_aside_code` looks for itself (in a class,
# each is tried at every character). Possessive: each piece of content starts with a
# character no other can ("<s", "</s", "&", text), and "</code>" with "</c", which none
# takes, so the one match a start can have is the longest, and giving back finds no other.
_CODE = re.compile(
    f'<code>((?:<span class="[a-z0-9 -]+">|</span>|[^<>&{_BMP_BAD_CHARS}]++|{_ENTITY})++)</code>'
)
_SPAN_CLASSES = re.compile(r'<span class="([^"]*)">')
_SPAN_TAG = re.compile(r"<(/?)span\b")
_CODE_SLOT = re.compile(f"<code>\ue016{_NONCE}:(\\d+)\ue017</code>")
# A table of contents: <ul>, <li>, links to "#id" holding text, and line breaks.
_LIST_TOKEN = re.compile(
    f'(<ul>|</ul>|<li>|</li>|\n)|<a href="#[\\w-]+">(?:[^<>&{_BAD_CHARS}]|{_ENTITY})*</a>'
)
_LIST_PARENTS = {"<ul>": ("", "li"), "<li>": ("ul",), "a": ("li",), "\n": ("", "ul", "li")}


def _is_plain_list(html: str) -> bool:
    """Whether ``html`` is a nested list of text links to "#..." anchors (a table of
    contents), each element properly closed and only where HTML allows it without closing
    anything implicitly: bleach parses that into the same elements and writes it back as
    it is (its text needs no escaping, the links are relative)."""
    if not html.startswith("<ul>"):
        return False
    stack = [""]
    pos = 0
    while pos < len(html):
        match = _LIST_TOKEN.match(html, pos)
        if match is None:
            return False
        token = match[1] or "a"
        if token in ("</ul>", "</li>"):
            if stack[-1] != token[2:-1]:
                return False
            stack.pop()
        elif stack[-1] not in _LIST_PARENTS[token]:
            return False
        elif token in ("<ul>", "<li>"):
            stack.append(token[1:-1])
        pos = match.end()
    return stack == [""]


def _set_aside_code(html: str) -> tuple[str, list[str]]:
    """``html`` with the content of each ``<code>`` element that is only spans (classes
    from the allowlist, properly nested) and plain text, as Pygments writes it, replaced by
    a numbered slot; and the contents, by number."""
    contents: list[str] = []

    def set_aside(match: re.Match) -> str:
        content = match[1]
        if (
            content[0] in " \t\n\x0c"
            or _NONCE in content
            or astral_noncharacter(content) >= 0
            or not _balanced_spans(content)
        ):
            return match[0]
        contents.append(content)
        return f"<code>\ue016{_NONCE}:{len(contents) - 1}\ue017</code>"

    return _CODE.sub(set_aside, html), contents


def _balanced_spans(content: str) -> bool:
    for classes in _SPAN_CLASSES.findall(content):
        names = classes.split(" ")
        if not all(name in ALLOWED_CLASSES for name in names):
            return False  # (the allowlist would drop or rewrite the attribute)
    depth = 0
    for match in _SPAN_TAG.finditer(content):
        depth += -1 if match[1] else 1
        if depth < 0:
            return False
    return depth == 0


def _clean_with_code_set_aside(html: str) -> str | None:
    """bleach's result, with the code set aside by :func:`_set_aside_code` parsed only as
    its slot: None unless every slot comes out whole and alone inside a ``<code>`` element.

    Why that is the same as parsing the code: the tokenizer is in its data state at the
    ``<code>`` tag (the slot would otherwise be in an attribute or a comment), and after a
    ``<code>`` start tag the parser has reopened every formatting element, so the spans and
    text after it are added to the ``<code>`` element as they stand, in any surroundings, as
    the slot's text is; bleach's filters and serializer leave them unchanged (their classes
    are allowed, their text needs no escaping). tests/test_render_speedups.py compares the
    two on hostile surroundings and code.
    """
    masked, contents = _set_aside_code(html)
    if not contents:
        return None
    clean = _clean(masked)
    found = _CODE_SLOT.findall(clean)
    if sorted(map(int, found)) != list(range(len(contents))):
        return None  # a slot inside an attribute, dropped in a comment, repeated, or moved
    return _CODE_SLOT.sub(lambda m: f"<code>{contents[int(m[1])]}</code>", clean)
