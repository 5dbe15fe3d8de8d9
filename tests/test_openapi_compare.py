"""The pure API comparison (wiki/rendering/openapi/compare.py), no app."""

from __future__ import annotations

import copy
import json
import time

import pytest

from tests.openapi_docs import document, fence
from wiki.rendering.openapi import CompareTimeout, compare_bodies, compare_documents


def _changes(old: dict, new: dict) -> dict[tuple[str, str, str], bool]:
    """{(operation, where, message): breaking}."""
    return {
        (c.operation, c.where, c.message): c.breaking for c in compare_documents(old, new).changes
    }


def _pair() -> tuple[dict, dict]:
    old = document(4)
    return old, copy.deepcopy(old)


def test_identical_documents_have_no_changes():
    old, new = _pair()
    result = compare_bodies(fence(old), "Edited prose.\n\n" + fence(new))
    assert result.changes == () and result.summary == "" and result.has_api


def test_operations_added_and_removed():
    old, new = _pair()
    del new["paths"]["/things0/{id}"]["delete"]
    new["paths"]["/extra"] = {"get": {"responses": {"200": {"description": "x"}}}}
    changes = _changes(old, new)
    assert changes[("DELETE /things0/{id}", "", "operation removed")] is True
    assert changes[("GET /extra", "", "operation added")] is False


def test_renamed_path_parameter_is_the_same_operation():
    old, new = _pair()
    item = new["paths"].pop("/things0/{id}")
    for op in item.values():
        op["parameters"] = [{**p, "name": "pk"} for p in op["parameters"]]
    new["paths"]["/things0/{pk}"] = item
    changes = _changes(old, new)
    assert not any(message.startswith("operation") for _, _, message in changes)


def test_parameters():
    old, new = _pair()
    params = new["paths"]["/things0"]["get"]["parameters"]
    params.append({"name": "sort", "in": "query", "required": True, "schema": {"type": "string"}})
    params.append({"name": "lang", "in": "header", "schema": {"type": "string"}})
    params[0]["required"] = True  # page
    params[1]["schema"] = {"type": "integer"}  # q: string -> integer
    changes = _changes(old, new)
    op = "GET /things0"
    assert changes[(op, "query parameter sort", "new required parameter")] is True
    assert changes[(op, "header parameter lang", "added")] is False
    assert changes[(op, "query parameter page", "now required")] is True
    assert changes[(op, "query parameter q", "type changed from string to integer")] is True


def test_request_and_response_schemas_in_opposite_directions():
    old, new = _pair()
    book = new["components"]["schemas"]["Book"]
    book["properties"].pop("tags")
    book["properties"]["isbn"] = {"type": "string"}
    book["required"].append("isbn")
    book["properties"]["id"] = {"type": "number"}  # integer -> number: wider
    changes = _changes(old, new)
    # Responses: a removed field breaks readers; requests: a new required field breaks senders.
    assert changes[("GET /things0/{id}", "response 200 › tags", "field removed")] is True
    assert changes[("POST /things0", "request body › tags", "field no longer accepted")] is False
    assert changes[("POST /things0", "request body › isbn", "new required field")] is True
    assert changes[("GET /things0/{id}", "response 200 › isbn", "field added")] is False
    # Wider: fine for what the client sends, breaking for what it reads.
    assert (
        changes[("POST /things0", "request body › id", "type widened from integer to number")]
        is False
    )
    assert (
        changes[("GET /things0/{id}", "response 200 › id", "type widened from integer to number")]
        is True
    )


def test_narrowed_enum_and_type():
    old, new = _pair()
    props = new["components"]["schemas"]["Book"]["properties"]
    props["status"]["enum"] = ["draft", "published"]
    old["components"]["schemas"]["Book"]["properties"]["id"] = {"type": ["integer", "string"]}
    changes = _changes(old, new)
    narrowed = ("POST /things0", "request body › status", 'enum narrowed: "archived" removed')
    assert changes[narrowed] is True
    assert (
        changes[
            ("POST /things0", "request body › id", "type narrowed from integer | string to integer")
        ]
        is True
    )


def test_status_codes():
    old, new = _pair()
    responses = new["paths"]["/things0"]["post"]["responses"]
    responses["200"] = responses.pop("201")
    new["paths"]["/things0/{id}"]["get"]["responses"].pop("404")
    new["paths"]["/things0/{id}"]["get"]["responses"]["410"] = {"description": "Gone."}
    changes = _changes(old, new)
    assert changes[("POST /things0", "responses", "status code changed from 201 to 200")] is True
    assert changes[("GET /things0/{id}", "response 404", "status code removed")] is True
    assert changes[("GET /things0/{id}", "response 410", "status code added")] is False


def test_breaking_changes_come_first_and_are_counted():
    old, new = _pair()
    new["paths"]["/extra"] = {"get": {"responses": {"200": {"description": "x"}}}}
    del new["paths"]["/things0/{id}"]["delete"]
    result = compare_documents(old, new)
    flags = [c.breaking for c in result.changes]
    assert flags == sorted(flags, reverse=True) and flags[0] and not flags[-1]
    assert result.breaking == 1 and result.summary == "API: 1 breaking change"


def test_self_referencing_schemas_are_compared_without_looping():
    old, new = _pair()
    for doc in (old, new):
        doc["components"]["schemas"]["Book"]["properties"]["parent"] = {
            "$ref": "#/components/schemas/Book"
        }
    new["components"]["schemas"]["Book"]["properties"].pop("title")
    changes = _changes(old, new)
    assert changes[("GET /things0/{id}", "response 200 › title", "field removed")] is True


def test_unreadable_side_is_reported_not_raised():
    old, _ = _pair()
    result = compare_bodies(fence(old), fence("openapi: [broken"))
    assert result.problems and "new revision, API block 1" in result.problems[0]
    assert result.breaking == len([c for c in result.changes if c.message == "operation removed"])


def test_removing_the_whole_block_removes_every_operation():
    old, _ = _pair()
    result = compare_bodies(fence(old), "The API moved elsewhere.")
    assert result.breaking == 4 and result.summary == "API: 4 breaking changes"


def test_ten_thousand_operations_compare_and_list_a_bounded_number():
    old = document(10_000)
    new = json.loads(json.dumps(old))
    new["components"]["schemas"]["Book"]["properties"].pop("title")
    result = compare_documents(old, new)
    assert len(result.changes) == 1000 and result.more > 0
    # 2,500 resources: list, create and read each lose "title" from what they answer.
    assert result.breaking == 7_500 == 1000 + result.more_breaking
    assert all(c.breaking for c in result.changes)  # the listed ones are the breaking ones
    assert result.summary == "API: 7500 breaking changes"


def test_a_deadline_stops_the_comparison():
    old, new = _pair()
    del new["paths"]["/things0/{id}"]["delete"]
    with pytest.raises(CompareTimeout):
        compare_bodies(fence(old), fence(new), deadline=time.monotonic() - 1)
    ahead = compare_bodies(fence(old), fence(new), deadline=time.monotonic() + 60)
    assert ahead.summary == "API: 1 breaking change" and ahead.total == 1
    # Bodies without an API are never compared, so they never run out of time.
    assert compare_bodies("a", "b", deadline=time.monotonic() - 1).total == 0
