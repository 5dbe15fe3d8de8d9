"""Property tests: any mutation of a valid OpenAPI document renders as a reference or an error
box, and compares, without raising (a page with a broken document must never be a 500)."""

from __future__ import annotations

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_openapi import BOOKS
from wiki.rendering.openapi import compare_documents, render_block
from wiki.rendering.openapi.html import DocumentHTML

BASE = yaml.safe_load(BOOKS)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.sampled_from(["#/components/schemas/Book", "array", "object", "string", "$ref"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(
        st.sampled_from(["$ref", "type", "items", "properties", "allOf", "oneOf", "enum", "x"]),
        inner,
        max_size=3,
    ),
    max_leaves=6,
)  # fmt: skip
FUZZ = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


PATHS = [p for p in _paths(BASE) if p]


def _mutated(where: tuple, value) -> dict:
    doc = copy.deepcopy(BASE)
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    return doc


@FUZZ
@given(st.sampled_from(PATHS), JSON_VALUES)
def test_any_mutation_renders_or_is_an_error_box(where, value):
    doc = _mutated(where, value)
    html = render_block(yaml.safe_dump(doc))
    assert html.startswith('<div class="openapi')
    # The renderer itself, without validation first, copes as well (what the validator
    # lets through is a subset of this).
    DocumentHTML(doc).render()
    compare_documents(BASE, doc)
    compare_documents(doc, BASE)
