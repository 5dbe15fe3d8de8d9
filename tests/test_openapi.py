"""The pure OpenAPI package: loading, validation, references and the HTML reference (no app)."""

from __future__ import annotations

import json
import re

import pytest

from tests.openapi_docs import document, fence
from tests.test_xss_corpus import script_problems
from tests.xss_vectors import BODY_VECTORS
from wiki.rendering.markdown import render
from wiki.rendering.openapi import OpenAPIError, load_document, render_block
from wiki.rendering.openapi.html import MAX_OPERATIONS, attachment_name

BOOKS = """\
openapi: 3.0.3
info:
  title: Books
  version: '2.1'
  description: The **books** API.
servers:
  - url: https://api.example/v2
tags:
  - name: Books
    description: All about books.
paths:
  /books/{id}/:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer}}
    get:
      tags: [Books]
      operationId: getBook
      summary: One book
      description: Returns *one* book.
      parameters:
        - {name: fields, in: query, schema: {type: string, enum: [short, full]}}
      responses:
        '200':
          description: The book.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Book'}
              example: {id: 1, title: Dune}
        '404': {description: No such book.}
  /health:
    get:
      responses:
        '200': {description: Alive.}
components:
  schemas:
    Book:
      type: object
      required: [id]
      properties:
        id: {type: integer}
        title: {type: string, description: The title.}
        shelf:
          type: object
          properties:
            room: {type: string}
        related:
          type: array
          items: {$ref: '#/components/schemas/Book'}
"""


def test_renders_operations_grouped_by_tag_with_anchors_and_toc():
    html = render(fence(BOOKS), existing=()).html
    assert '<div class="openapi">' in html
    assert '<span class="oa-method oa-get">GET</span>' in html
    assert '<code class="oa-path">/books/{id}/</code>' in html
    # An anchor per operation and a table-of-contents entry linking to it.
    assert 'id="h-op-getbook"' in html and 'href="#h-op-getbook"' in html
    assert 'id="h-op-get-health"' in html and 'href="#h-op-get-health"' in html
    # Grouped by tag: the untagged operation is under "Other", after Books.
    assert html.index('id="h-tag-books"') < html.index('id="h-op-getbook"')
    assert html.index('id="h-tag-other"') < html.index('id="h-op-get-health"')
    assert "<p>Returns <em>one</em> book.</p>" in html  # descriptions are Markdown
    assert "<code>https://api.example/v2</code>" in html


def test_parameters_bodies_and_nested_schemas():
    html = render_block(BOOKS)
    params = html[html.index('<table class="oa-params">') :]
    params = params[: params.index("</table>")]
    assert "<code>id</code> <span" in params and "path" in params  # path-level parameter
    assert "<code>fields</code>" in params and "&quot;short&quot;" in params  # enum shown
    # The response schema is resolved and nested: shelf's own table inside its row.
    response = html[html.index("oa-s2") :]
    assert "<code>title</code>" in response and "<code>room</code>" in response
    # Recursion is shown, not followed.
    assert "Book is recursive" in response
    # The example is highlighted JSON (Pygments classes).
    assert '<span class="nt">"title"</span>' in html
    assert '<span class="oa-status oa-s4">404</span>' in html


def test_invalid_document_is_an_error_box_naming_problem_and_place():
    bad = BOOKS.replace("in: query", "in: cookiejar")
    html = render(fence(bad), existing=()).html
    assert "This OpenAPI document cannot be shown" in html
    assert "cookiejar" in html
    assert "paths › /books/{id}/ › get › parameters › 0" in html
    assert "<details><summary>Document source</summary>" in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("openapi: 3.0.3\ninfo: [unclosed", "not valid YAML"),
        ('{"openapi": "3.1.0",', "not valid JSON"),
        ("- a list", "must be a mapping"),
        ("swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}", "Swagger 2.0"),
        ("openapi: 4.0.0\ninfo: {title: x, version: '1'}\npaths: {}", "not supported"),
        (
            "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /a: {$ref: '#/nope'}",
            "points at nothing",
        ),
    ],
)
def test_unreadable_documents(text, message):
    html = render_block(text)
    assert "oa-error" in html and message in html


def test_references_outside_the_document_are_refused_not_fetched():
    for target in ("file:///etc/passwd", "http://127.0.0.1:9/x.yaml", "other.yaml#/Book"):
        text = BOOKS.replace(
            "'#/components/schemas/Book'}\n              example",
            f"'{target}'}}\n              example",
        )
        html = render_block(text)
        assert "points outside this document" in html, target
        assert "root:" not in html


def test_yaml_alias_bomb_is_refused():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, 10):
        refs = ", ".join([f"*a{n - 1}"] * 9)
        lines.append(f"a{n}: &a{n} [{refs}]")
    bomb = "openapi: 3.1.0\n" + "\n".join(lines)
    with pytest.raises(OpenAPIError, match="expands to more than"):
        load_document(bomb)
    assert "expands to more than" in render_block(bomb)


def test_recursive_yaml_alias_is_refused():
    with pytest.raises(OpenAPIError, match="refers to itself"):
        load_document("openapi: 3.1.0\nx: &x [*x]\n")


def test_deep_nesting_is_refused():
    deep = "[" * 5000 + "]" * 5000
    assert "nested more than" in render_block('{"openapi": "3.1.0", "x": ' + deep + "}")
    assert "exceeded maximum nesting depth" in render_block(
        "openapi: 3.1.0\nx: " + deep
    )  # libyaml's


def test_deep_and_self_referencing_schemas_render():
    doc = document(2)
    schemas = doc["components"]["schemas"]
    # A chain 60 deep, a self-reference, mutual references and an allOf loop.
    for n in range(60):
        schemas[f"L{n}"] = {
            "type": "object",
            "properties": {"next": {"$ref": f"#/components/schemas/L{n + 1}"}},
        }
    schemas["L60"] = {"type": "string"}
    schemas["A"] = {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}}
    schemas["B"] = {
        "allOf": [{"$ref": "#/components/schemas/A"}],
        "properties": {"a": {"$ref": "#/components/schemas/A"}},
    }
    schemas["Book"] = {
        **schemas["Book"],
        "properties": {
            **schemas["Book"]["properties"],
            "chain": {"$ref": "#/components/schemas/L0"},
            "a": {"$ref": "#/components/schemas/A"},
        },
    }
    html = render_block(json.dumps(doc))
    assert "oa-error" not in html
    assert "nested deeper than shown here" in html
    assert "is recursive" in html


def test_too_many_operations_are_refused_with_a_clear_message():
    html = render_block(json.dumps(document(MAX_OPERATIONS + 1)))
    assert "oa-error" in html and f"at most {MAX_OPERATIONS:,} are shown" in html


def test_large_document_shows_named_schemas_once():
    html = render_block(json.dumps(document(200)))
    assert "oa-error" not in html
    assert html.count('id="h-schema-book"') == 1
    assert html.count('<a href="#h-schema-book">Book</a>') >= 200
    assert len(re.findall(r'<div class="oa-op', html)) == 200


def test_script_in_every_description_field_never_runs():
    vectors = BODY_VECTORS[:60]
    doc = document(4)
    doc["info"]["description"] = "\n\n".join(vectors)
    doc["info"]["title"] = vectors[0]
    for n, vector in enumerate(vectors):
        doc["paths"]["/things0"]["get"]["description"] = vector
        doc["paths"]["/things0"]["get"]["summary"] = vector
        doc["paths"]["/things0"]["get"]["parameters"][1]["description"] = vector
        doc["components"]["schemas"]["Book"]["properties"]["title"]["description"] = vector
        doc["components"]["schemas"]["Book"]["properties"]["title"]["example"] = vector
        doc["tags"][0]["description"] = vector
        doc["servers"][0]["description"] = vector
        doc["paths"]["/things0"]["get"]["responses"]["200"]["description"] = vector
        doc["paths"]["/things0"]["get"]["responses"]["200"]["content"]["application/json"][
            "example"
        ] = {vector: vector}
        html = render(fence(doc), existing=()).html
        assert "oa-error" not in html, vector
        assert script_problems(html, fragment=True) == [], (n, vector)


def test_attachment_reference_is_read_from_what_the_caller_passes():
    assert attachment_name({"openapi": "api.yaml"}) == "api.yaml"
    assert attachment_name({"$ref": "./api.json"}) == "api.json"
    assert attachment_name({"openapi": "3.1.0"}) is None
    assert "Books" in render_block("openapi: api.yaml", {"api.yaml": BOOKS})
    assert "no attachment called" in render_block("openapi: api.yaml", {})


def test_blocks_are_found_and_attachments_inlined():
    from wiki.rendering.openapi.blocks import attachment_refs, inline_attachments, openapi_blocks

    body = (
        "a\n\n```openapi\nopenapi: api.yaml\n```\n\n"
        "~~~python\n```openapi\n~~~\n\n```openapi\nx: 1\n```\n"
    )
    assert [b.text for b in openapi_blocks(body)] == ["openapi: api.yaml", "x: 1"]
    assert attachment_refs(body) == {"api.yaml"}
    inlined = inline_attachments(body, {"api.yaml": "openapi: 3.1.0\n````\nsneaky\n"})
    # The new fence outlasts the text's own backticks, so the text cannot end the block.
    assert "`````openapi\nopenapi: 3.1.0\n````\nsneaky\n`````" in inlined
    assert [b.text for b in openapi_blocks(inlined)][1] == "x: 1"
    assert inline_attachments(body, {}) == body


@pytest.mark.parametrize("operations", [480, 10_000])
def test_megabyte_documents_render_in_the_guard_or_are_refused_clearly(operations):
    """Through the time-limited render worker, as a save renders: an error box or a clear
    413, never anything else (the edit form keeps the text on a 413)."""
    from wiki.rendering.guard import safe_render
    from wiki.rendering.markdown import RenderError

    doc = document(operations, description="A description with **Markdown** " * 4)
    if operations > MAX_OPERATIONS:
        body = fence(json.dumps(doc, separators=(",", ":"))[:1_000_000])  # cut: invalid JSON
    else:
        doc["info"]["description"] = "Long *notes*. " * 45_000
        body = fence(json.dumps(doc, indent=1))
    assert 900_000 < len(body) <= 1024 * 1024
    try:
        html = safe_render(body, existing=(), timeout=5).html
    except RenderError as error:
        assert error.status == 413 and "too complex to render" in str(error)
    else:
        assert "oa-error" in html
        assert "split it" in html or "not valid JSON" in html


def test_page_contents_list_each_operation_under_the_heading_of_the_block():
    body = "## Intro\n\nText.\n\n## Reference\n\n" + fence(BOOKS) + "\n## After\n\nMore.\n"
    rendered = render(body, existing=())
    toc = rendered.toc_html
    reference = toc.index('href="#h-reference"')
    assert reference < toc.index('href="#h-tag-books"') < toc.index('href="#h-op-getbook"')
    assert toc.index('href="#h-op-getbook"') < toc.index('href="#h-after"')
    assert '<a href="#h-op-getbook">GET /books/{id}/</a>' in toc
    # A large reference lists only its tags there (its own list has every operation).
    big = render("## A\n\nx\n\n## API\n\n" + fence(json.dumps(document(60))), existing=())
    assert 'href="#h-tag-tag-0"' in big.toc_html and "h-op-" not in big.toc_html


def _two_references() -> str:
    return "# One\n\n" + fence(BOOKS) + "\n\n# Two\n\n" + fence(BOOKS) + "\n\n# Op getBook\n"


def assert_unique_api_anchors(rendered) -> None:
    """Every id once; each block's links (its contents, permalinks, schema links) and the
    page's contents lead to that block's own anchors."""
    html, toc = rendered.html, rendered.toc_html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    # The heading keeps its id; the blocks, in order, number theirs after it.
    assert html.index('id="h-op-getbook-2"') < html.index('id="h-op-getbook-3"')
    assert html.index('id="h-op-getbook-3"') < html.index('id="h-op-getbook"')
    start = html.index('id="h-two"')
    second, first = html[start:], html[:start]
    for part in (first, second):
        own = set(re.findall(r'\sid="([^"]+)"', part))
        links = set(re.findall(r'href="#(h-(?:op|tag|schema)-[^"]+)"', part))
        assert links and links <= own, links - own
    assert 'href="#h-op-getbook-3"' in second and 'href="#h-tag-books-2"' in second
    assert toc.index('href="#h-op-getbook-2"') < toc.index('href="#h-two"')
    assert toc.index('href="#h-two"') < toc.index('href="#h-op-getbook-3"')


def test_two_blocks_reusing_operation_ids_get_anchors_unique_on_the_page():
    assert_unique_api_anchors(render(_two_references(), existing=()))
