"""The API reference skips the page sanitizer's parse (``sanitize.trusted_fragment``): that is
only sound while its HTML is already what the sanitizer would make of it. Script, HTML and
hostile URLs in every string of a document (keys and values, summaries, descriptions,
paths, parameter names, enums, examples, tag, server and schema names) must leave the
reference a fixed point of ``sanitize_html``, the page identical to one sanitized in full,
and nothing that runs (issue #18)."""

from __future__ import annotations

import copy
from unittest import mock

import pytest
import yaml

from tests.openapi_docs import document, fence
from tests.test_openapi import BOOKS
from tests.test_xss_corpus import script_problems
from tests.xss_vectors import BODY_VECTORS
from wiki.rendering import sanitize
from wiki.rendering.markdown import render
from wiki.rendering.openapi import html as openapi_html
from wiki.rendering.openapi import render_block
from wiki.rendering.sanitize import sanitize_html

VECTORS = [
    *BODY_VECTORS,
    '"><script>__xss=1</script>',
    "'><img src=x onerror=__xss=1>",
    "javascript:__xss=1",
    "</div></code></pre><script>__xss=1</script>",
    "<!--",
    "]]><svg onload=__xss=1>",
    "\ue010\ue011\ue012\ue013 marks",
    "line\r\nends\rand \x00 \x01 \x0b \x7f \x85 \ufffe controls",
]


def _hostile(node, vector: str, *, keys: bool, parent: str = ""):
    """Every string in ``node`` with ``vector`` added (to dict keys too, with ``keys``), except
    what decides the document's shape: versions, types, $refs, `in`, path parameter names
    (their path has them) and schema names ($refs point at them)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            fixed = key in ("openapi", "type", "$ref", "in", "required", "format") or (
                key == "name" and node.get("in") == "path"
            )
            new_key = key
            if keys and key not in _STRUCTURE and not key.isdigit() and parent != "schemas":
                new_key = key + vector
            out[new_key] = value if fixed else _hostile(value, vector, keys=keys, parent=key)
        return out
    if isinstance(node, list):
        return [_hostile(value, vector, keys=keys, parent=parent) for value in node]
    if isinstance(node, str):
        return node + vector
    return node


_STRUCTURE = frozenset(
    "openapi info title version description servers url tags name paths get put post delete"
    " patch parameters in required schema responses content application/json example examples"
    " components schemas properties items type summary operationId requestBody enum value"
    " allOf oneOf anyOf $ref format security securitySchemes scheme bearerFormat deprecated"
    " minimum maximum default nullable additionalProperties".split()
)


def _documents(vector: str) -> list[dict]:
    books = yaml.safe_load(BOOKS)
    small = document(3)
    return [
        _hostile(books, vector, keys=False),
        _hostile(books, vector, keys=True),  # paths, property, schema and response names
        _hostile(small, vector, keys=True),
        _hostile(document(3, description=vector), vector, keys=False),
    ]


@pytest.mark.parametrize("vector", VECTORS)
def test_reference_is_a_fixed_point_of_the_sanitizer(vector):
    for doc in _documents(vector):
        markup = render_block(yaml.safe_dump(doc, allow_unicode=True))
        assert script_problems(markup) == [], vector
        start = '<div class="openapi">'
        if not markup.startswith(start):
            continue  # an error box: the page's sanitizer parses it like any markup
        # As the page's sanitizer is given it.
        inner = sanitize.trusted_fragment(markup[len(start) : -len("</div>")])
        markup = start + inner[len(sanitize._OPEN) : -len(sanitize._CLOSE)] + "</div>"
        assert sanitize_html(markup) == markup, vector


@pytest.mark.parametrize("vector", VECTORS[::4])
def test_page_is_the_same_as_one_sanitized_in_full(vector):
    for doc in _documents(vector):
        body = "# API\n\n" + fence(copy.deepcopy(doc)) + "\n\nText " + vector
        fast = render(body, existing=())
        with mock.patch.object(openapi_html, "trusted_fragment", lambda markup: markup):
            openapi_html._cached_block.cache_clear()
            full = render(body, existing=())
        openapi_html._cached_block.cache_clear()
        assert fast == full, vector
        assert "\ue010" not in fast.html and script_problems(fast.html) == []


def test_marks_in_page_text_are_not_trusted():
    from wiki.rendering import sanitize

    forged = f"\ue010{sanitize._NONCE[:4]}\ue011<script>__xss=1</script>\ue012\ue013"
    html = render(forged + "\n\n" + fence(BOOKS), existing=()).html
    assert "<script>" not in html and sanitize._NONCE not in html


@pytest.mark.parametrize(
    "before, after",
    [
        ('<a title="x', '" href="/y">z</a>'),
        ("<img alt='", "' src=/a.png>"),
        ('<span data-x="', '">'),
    ],
)
def test_a_reference_left_inside_a_tag_by_page_html_stays_text(before, after):
    """Page HTML around the mark (an unclosed attribute) can put it inside a tag: kept raw
    there, the reference's markup would break out of the attribute."""
    marked = sanitize.trusted_fragment('<div class="openapi-reference"><p>hi</p></div>')
    clean = sanitize_html(before + marked + after)
    assert '<div class="openapi-reference">' not in clean
    assert sanitize_html(clean) == clean  # a fixed point: nothing broke out
    assert sanitize._NONCE not in clean


def test_a_reference_in_text_is_kept_whole():
    marked = sanitize.trusted_fragment('<div class="openapi-reference"><p>hi</p></div>')
    clean = sanitize_html('<p>a</p><a title="x">' + marked + "</a><p>b</p>")
    assert '<a title="x"><div class="openapi-reference"><p>hi</p></div></a>' in clean
