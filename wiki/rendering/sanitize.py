"""The single gate between rendered Markdown and the page: bleach with allowlists.

Pure module. Everything a page shows passes :func:`sanitize_html` as the last step; keeping
the allowlists here, in one place, means bleach can be swapped (e.g. for nh3) by editing one
function. The Content-Security-Policy is the second layer.
"""

from __future__ import annotations

import re
import secrets
from html import escape as html_escape

import bleach
from bleach.html5lib_shim import Filter
from bleach.sanitizer import INVISIBLE_CHARACTERS_RE
from pygments.token import STANDARD_TYPES

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
    """
    cleaner = bleach.Cleaner(  # not thread-safe, so one per call
        tags=ALLOWED_TAGS,
        attributes=_allow_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=False,
        strip_comments=True,
        filters=[_FinishFilter],
    )
    if _NONCE not in html:
        return cleaner.clean(html)
    fragments: list[str] = []

    def set_aside(match: re.Match) -> str:
        fragments.append(match[1])
        return f"\ue014{_NONCE}:{len(fragments) - 1}\ue015"

    clean = cleaner.clean(_TRUSTED.sub(set_aside, html))

    def put_back(match: re.Match) -> str:
        # Only where text may stand: page HTML around the mark (an unclosed `<a title="`)
        # can leave it inside a tag, where markup would break out of the attribute. In
        # bleach's output a raw "<" or ">" is always a tag's (text and attribute values
        # have them escaped), so the last one before the mark says where it stands.
        at = match.start()
        if clean.rfind("<", 0, at) > clean.rfind(">", 0, at):
            return html_escape(fragments[int(match[1])])
        return fragments[int(match[1])]

    clean = _SLOT.sub(put_back, clean)
    return clean.replace(_NONCE, "")  # an unpaired mark: never let the secret out
