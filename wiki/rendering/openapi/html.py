"""An OpenAPI document as an HTML API reference, or an error box saying what is wrong and where.

Pure module. The HTML is well formed and self-contained; the page's sanitizer
(:func:`wiki.rendering.sanitize.sanitize_html`) still passes over all of it, and descriptions
(Markdown written by whoever wrote the document) are sanitized here already, so a stray
``<div>`` in one cannot break the layout around it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from html import escape
from typing import Any

import markdown
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import JsonLexer

from wiki.rendering.limits import RenderError, check_complexity
from wiki.rendering.openapi.loading import OpenAPIError, load_document
from wiki.rendering.openapi.operations import Operation, count_operations, iter_operations
from wiki.rendering.openapi.refs import Resolver
from wiki.rendering.openapi.schema_html import SCHEMA_PREFIX, SchemaHTML, anchor, schema_anchor
from wiki.rendering.openapi.validating import validate
from wiki.rendering.sanitize import sanitize_html, trusted_fragment

MAX_OPERATIONS = 500  # more would not render within the page's time limit (bleach: ~5 ms each)
# Up to this many operations, each one shows its schemas in full and its examples highlighted,
# and the document gets the validator's thorough checks. Larger documents show named schemas
# once, in the Schemas section, linked from each operation: the page's sanitizer costs about
# 50 µs per HTML tag, and a 200-operation document in full detail has 40,000 of them.
FULL_DETAIL_OPERATIONS = 40
MAX_HTML_CHARS = 400_000  # about 2 s of sanitizing on a quiet machine; more: an error box
MAX_SCHEMA_ROWS = 20_000  # per document, over all schema tables
MAX_DESCRIPTION = 20_000  # characters of one description
MAX_EXAMPLE = 20_000  # characters of one example
MAX_SOURCE_SHOWN = 20_000  # characters of the source in an error box
_PLAIN = re.compile(r"[^*_`\[\]<>#|!&\n\\~=+-]*\Z")  # text Markdown would leave as it is
_FORMATTER = HtmlFormatter(cssclass="highlight")
_LEXER = JsonLexer()
_REFERENCE_START = '<div class="openapi">'
_ATTACHMENT_NAME = re.compile(r"[^\s/\\]+\.(?:ya?ml|json)\Z", re.I)


class _Describer:
    """Markdown descriptions to sanitized HTML, with one Markdown instance per document."""

    def __init__(self) -> None:
        self.md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"])
        self.done: dict[str, str] = {}  # generated documents repeat their descriptions

    def __call__(self, text: Any) -> str:
        if not isinstance(text, str) or not text.strip():
            return ""
        if text not in self.done:
            self.done[text] = self._html(text[:MAX_DESCRIPTION])
        return self.done[text]

    def _html(self, text: str) -> str:
        if _PLAIN.match(text):
            return f"<p>{escape(text.strip())}</p>"
        try:
            check_complexity(text)
            html = sanitize_html(self.md.reset().convert(text))
        except (RenderError, RecursionError):
            return f"<p>{escape(text)}</p>"
        return html if _context_free(html) else f"<p>{escape(text)}</p>"


_ITEM = re.compile(r"<(li|dd|dt)\b")


def _context_free(html: str) -> bool:
    """Whether sanitized ``html`` stays as it is inside a list item (where servers show
    their descriptions, and where a block inside a Markdown list sits): a stray ``<li>``
    would close the item around it, and the reference is trusted as it is built
    (:func:`wiki.rendering.sanitize.trusted_fragment`)."""
    for tag in {m[1] for m in _ITEM.finditer(html)}:
        outer, inner = ("ul", "li") if tag == "li" else ("dl", tag)
        wrapped = f"<{outer}><{inner}>{html}</{inner}></{outer}>"
        if sanitize_html(wrapped) != wrapped:
            return False
    return True


def example_html(value: Any, highlighted: bool = True) -> str:
    """A JSON example, highlighted by Pygments (classes the sanitizer keeps) or plain."""
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    if len(text) > MAX_EXAMPLE:
        text = text[:MAX_EXAMPLE] + "\n…"
    if not highlighted:
        return f'<pre class="highlight"><code>{escape(text)}</code></pre>'
    return highlight(text, _LEXER, _FORMATTER)


def error_box(error: OpenAPIError, source: str) -> str:
    """What a document that cannot be shown becomes: the problem, where it is, the source."""
    where = f' <span class="oa-where">at <code>{escape(error.location)}</code></span>'
    shown = source if len(source) <= MAX_SOURCE_SHOWN else source[:MAX_SOURCE_SHOWN] + "\n…"
    return (
        '<div class="openapi oa-error"><p><strong>This OpenAPI document cannot be shown:</strong> '
        f"{escape(error.message)}.{where if error.location else ''}</p>"
        "<details><summary>Document source</summary>"
        f"<pre><code>{escape(shown)}</code></pre></details></div>"
    )


def attachment_name(document: dict[str, Any]) -> str | None:
    """The attachment a block refers to (``openapi: api.yaml`` or ``$ref: api.yaml``), if any."""
    if len(document) != 1:
        return None
    value = next(iter(document.values()))
    if next(iter(document)) in ("openapi", "$ref") and isinstance(value, str):
        name = value.removeprefix("./")
        return name if _ATTACHMENT_NAME.match(name) else None
    return None


def load_block(source: str, attachments: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The document of one ```openapi block: inline, or the attachment it names.

    :raises OpenAPIError: unreadable, or an attachment that is not there.
    """
    document = load_document(source)
    name = attachment_name(document)
    if name is not None:
        text = (attachments or {}).get(name)
        if text is None:
            raise OpenAPIError(f"this page has no attachment called “{name}”")
        document = load_document(text)
    return document


def render_block(source: str, attachments: Mapping[str, str] | None = None) -> str:
    """The HTML of one ```openapi block; never raises for bad input (an error box instead)."""
    try:
        document = load_block(source, attachments)
        operations = count_operations(document)
        if operations > MAX_OPERATIONS:
            raise OpenAPIError(
                f"it has {operations:,} operations; at most {MAX_OPERATIONS:,} are shown on a"
                " page (split it by tag into several pages)"
            )
        full = operations <= FULL_DETAIL_OPERATIONS
        validate(document, thorough=full)
        try:
            markup = DocumentHTML(document, full_detail=full).render()
        except (AttributeError, TypeError, KeyError, ValueError, IndexError) as error:
            # Validation passed, so this is a shape the renderer did not expect: say so on
            # the page rather than fail the save.
            raise OpenAPIError(f"a part of it could not be shown ({error})") from None
        if len(markup) > MAX_HTML_CHARS:
            raise OpenAPIError(
                f"its reference would be {len(markup) // 1000:,} KB of HTML, more than a page"
                f" can show ({MAX_HTML_CHARS // 1000:,} KB); split it by tag into several pages"
            )
        return markup
    except OpenAPIError as error:
        return error_box(error, source)
    except RecursionError:
        return error_box(OpenAPIError("it is nested too deeply to show"), source)


@functools.lru_cache(maxsize=8)
def _cached_block(source: str) -> str:
    # The render worker lives long: a save that did not touch the document reuses its HTML.
    return render_block(source)


def openapi_fence(source: str, *args: Any, **kwargs: Any) -> str:
    """The pymdownx.superfences formatter of ```openapi blocks.

    A reference's content is a :func:`trusted_fragment` (built escaped, with its descriptions
    sanitized one by one): the page's sanitizer passes it without parsing it again; its
    outer ``<div>`` stays outside, so Markdown still sees a block of HTML. Error boxes go
    through the sanitizer like any other markup.
    """
    markup = _cached_block(source)
    if not (markup.startswith(_REFERENCE_START) and markup.endswith("</div>")):
        return markup
    inner = markup[len(_REFERENCE_START) : -len("</div>")]
    return f"{_REFERENCE_START}{trusted_fragment(inner)}</div>"


class DocumentHTML:
    """The API reference of one valid document."""

    def __init__(self, document: dict[str, Any], *, full_detail: bool = True) -> None:
        self.doc = document
        self.full_detail = full_detail
        self.resolver = Resolver(document)
        self.describe = _Describer()
        self.schemas = SchemaHTML(
            self.resolver, self.describe, MAX_SCHEMA_ROWS, inline_refs=full_detail
        )
        self.ids: set[str] = set()

    def _id(self, prefix: str, text: str) -> str:
        base = candidate = anchor(prefix, text)
        n = 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.ids.add(candidate)
        return candidate

    def render(self) -> str:
        groups: dict[str, list[tuple[str, Operation]]] = {}
        for tag in _as_list(self.doc.get("tags")):
            if isinstance(tag, dict) and "name" in tag:
                groups.setdefault(str(tag["name"]), [])
        for op in iter_operations(self.doc, self.resolver):
            ident = self._id("op", op.spec.get("operationId") or f"{op.method}-{op.path}")
            groups.setdefault(op.tag, []).append((ident, op))
        groups = {tag: ops for tag, ops in groups.items() if ops}
        tag_ids = {tag: self._id("tag", tag) for tag in groups}
        sections = [self._tag_section(tag, tag_ids[tag], ops) for tag, ops in groups.items()]
        return (
            f'<div class="openapi">{self._info()}{self._toc(groups, tag_ids)}'
            f"{''.join(sections)}{self._schema_section()}</div>"
        )

    def _info(self) -> str:
        info = self.doc.get("info") if isinstance(self.doc.get("info"), dict) else {}
        title = escape(str(info.get("title") or "API"))
        version = escape(str(info.get("version") or ""))
        parts = [
            f'<p class="oa-title"><strong>{title}</strong> '
            f'<span class="oa-version">{version}</span> '
            f'<span class="oa-spec">OpenAPI {escape(str(self.doc.get("openapi")))}</span></p>',
            self.describe(info.get("description")),
        ]
        servers = [s for s in _as_list(self.doc.get("servers")) if isinstance(s, dict)]
        if servers:
            items = "".join(
                f"<li><code>{escape(str(s.get('url', '')))}</code> "
                f"{self.describe(s.get('description'))}</li>"
                for s in servers[:20]
            )
            parts.append(f'<p class="oa-label">Servers</p><ul class="oa-servers">{items}</ul>')
        return f'<div class="oa-info">{"".join(parts)}</div>'

    def _toc(self, groups: dict[str, list[tuple[str, Operation]]], tag_ids: dict) -> str:
        items = []
        for tag, ops in groups.items():
            links = "".join(
                f'<li><a href="#{ident}">{_badge(op.method)} <code>{escape(op.path)}</code></a>'
                f"{' ' + escape(str(op.spec['summary'])) if op.spec.get('summary') else ''}</li>"
                for ident, op in ops
            )
            items.append(f'<li><a href="#{tag_ids[tag]}">{escape(tag)}</a><ul>{links}</ul></li>')
        return (
            f'<div class="oa-toc"><p class="oa-label">Operations</p><ul>{"".join(items)}</ul></div>'
        )

    def _tag_section(self, tag: str, ident: str, ops: list[tuple[str, Operation]]) -> str:
        description = ""
        for entry in _as_list(self.doc.get("tags")):
            if isinstance(entry, dict) and str(entry.get("name")) == tag:
                description = self.describe(entry.get("description"))
        body = "".join(self._operation(op_id, op) for op_id, op in ops)
        return (
            f'<div class="oa-tag"><h3 id="{ident}">{escape(tag)}{_permalink(ident)}</h3>'
            f"{description}{body}</div>"
        )

    def _operation(self, ident: str, op: Operation) -> str:
        spec = op.spec
        summary = escape(str(spec.get("summary") or ""))
        deprecated = spec.get("deprecated") is True
        summary_html = f' <span class="oa-summary">{summary}</span>' if summary else ""
        flag = ' <span class="oa-flag">deprecated</span>' if deprecated else ""
        head = (
            f'<h4 id="{ident}">{_badge(op.method)} <code class="oa-path">{escape(op.path)}</code>'
            f"{summary_html}{flag}{_permalink(ident)}</h4>"
        )
        parts = [head, self.describe(spec.get("description")), self._security(spec)]
        parts.append(self._parameters(op.parameters))
        parts.append(self._request_body(spec.get("requestBody")))
        parts.append(self._responses(spec.get("responses")))
        css = "oa-op oa-deprecated" if deprecated else "oa-op"
        return f'<div class="{css}">{"".join(parts)}</div>'

    def _security(self, spec: dict[str, Any]) -> str:
        security = spec.get("security", self.doc.get("security"))
        if not isinstance(security, list):
            return ""
        names = sorted({str(n) for req in security if isinstance(req, dict) for n in req})
        if not names:
            return '<p class="oa-auth">No authentication.</p>'
        shown = " or ".join(f"<code>{escape(n)}</code>" for n in names)
        return f'<p class="oa-auth">Authentication: {shown}</p>'

    def _parameters(self, parameters: tuple[dict[str, Any], ...]) -> str:
        if not parameters:
            return ""
        rows = []
        for param in parameters:
            schema = param.get("schema")
            if schema is None and isinstance(param.get("content"), dict):
                media = next(iter(param["content"].values()), {})
                schema = media.get("schema") if isinstance(media, dict) else None
            badge = ' <span class="oa-required">required</span>' if param.get("required") else ""
            target = self.resolver.resolve(schema) if isinstance(schema, dict) else {}
            extra = self.schemas.constraints(target) if isinstance(target, dict) else ""
            rows.append(
                f"<tr><td><code>{escape(str(param.get('name')))}</code>{badge}</td>"
                f"<td>{escape(str(param.get('in')))}</td>"
                f'<td class="oa-type">{self.schemas.type_label(schema or {})}</td>'
                f"<td>{self.describe(param.get('description'))}{extra}</td></tr>"
            )
        return (
            '<p class="oa-label">Parameters</p><table class="oa-params"><thead><tr><th>Name</th>'
            "<th>In</th><th>Type</th><th>Description</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def _content(self, content: Any) -> str:
        if not isinstance(content, dict):
            return ""
        parts = []
        for media_type, media in list(content.items())[:10]:
            if not isinstance(media, dict):
                continue
            schema = media.get("schema")
            label = self.schemas.type_label(schema) if schema is not None else ""
            parts.append(
                f'<p class="oa-media"><code>{escape(str(media_type))}</code> {label}</p>'
                f"{self.schemas.table(schema) if schema is not None else ''}"
                f"{self._examples(media, schema)}"
            )
        return "".join(parts)

    def _examples(self, media: dict[str, Any], schema: Any) -> str:
        values = []
        if "example" in media:
            values.append(("Example", media["example"]))
        if isinstance(media.get("examples"), dict):
            for name, example in list(media["examples"].items())[:5]:
                example = self.resolver.resolve(example)
                if isinstance(example, dict) and "value" in example:
                    values.append((f"Example: {name}", example["value"]))
        if not values and isinstance(schema, dict):
            target = self.resolver.resolve(schema)
            if isinstance(target, dict) and isinstance(target.get("example"), dict | list):
                values.append(("Example", target["example"]))
        return "".join(
            f'<p class="oa-label">{escape(label)}</p>{example_html(value, self.full_detail)}'
            for label, value in values
        )

    def _request_body(self, body: Any) -> str:
        body = self.resolver.resolve(body) if body is not None else None
        if not isinstance(body, dict):
            return ""
        badge = ' <span class="oa-required">required</span>' if body.get("required") else ""
        return (
            f'<p class="oa-label">Request body{badge}</p>'
            f'<div class="oa-body">{self.describe(body.get("description"))}'
            f"{self._content(body.get('content'))}</div>"
        )

    def _responses(self, responses: Any) -> str:
        if not isinstance(responses, dict) or not responses:
            return ""
        items = []
        for status, response in responses.items():
            response = self.resolver.resolve(response)
            if not isinstance(response, dict):
                continue
            status = str(status)
            klass = f"oa-status oa-s{status[0]}" if status[:1] in "12345" else "oa-status"
            items.append(
                f'<div class="oa-response"><p><span class="{klass}">{escape(status)}</span> '
                f"{escape(str(response.get('description') or ''))}</p>"
                f"{self._content(response.get('content'))}</div>"
            )
        return f'<p class="oa-label">Responses</p>{"".join(items)}'

    def _schema_section(self) -> str:
        components = self.doc.get("components")
        schemas = components.get("schemas") if isinstance(components, dict) else None
        if not isinstance(schemas, dict) or not schemas:
            return ""
        parts = []
        for name, schema in schemas.items():
            ident = schema_anchor(str(name))
            self.ids.add(ident)
            target = self.resolver.resolve(schema)
            description = (
                self.describe(target.get("description")) if isinstance(target, dict) else ""
            )
            table = self.schemas.table(schema, (SCHEMA_PREFIX + str(name),))
            parts.append(
                f'<div class="oa-component"><h4 id="{ident}">{escape(str(name))} '
                f'<span class="oa-type">{self.schemas.type_label(schema)}</span>'
                f"{_permalink(ident)}</h4>{description}{table}</div>"
            )
        ident = self._id("schemas", "schemas")
        return (
            f'<div class="oa-tag oa-schemas"><h3 id="{ident}">Schemas{_permalink(ident)}</h3>'
            f"{''.join(parts)}</div>"
        )


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _badge(method: str) -> str:
    return f'<span class="oa-method oa-{method}">{method.upper()}</span>'


def _permalink(ident: str) -> str:
    return f'<a class="headerlink" href="#{ident}" title="Link to this section">¶</a>'
