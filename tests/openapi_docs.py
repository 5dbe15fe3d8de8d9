"""Generated OpenAPI documents for tests and bench/bench_openapi.py."""

from __future__ import annotations

import copy
import json
from typing import Any

BOOK = {
    "type": "object",
    "required": ["id", "title"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string", "description": "The *title*."},
        "status": {"type": "string", "enum": ["draft", "published", "archived"]},
        "author": {"$ref": "#/components/schemas/Author"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}
AUTHOR = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}


def document(operations: int = 10, description: str = "Does **things**.") -> dict[str, Any]:
    """A valid OpenAPI 3.1 document with ``operations`` operations over ``operations // 4``
    resources (list, create, read, delete), every one with parameters, a body or a response
    schema, and an example."""
    paths: dict[str, Any] = {}
    made = 0
    resource = 0
    while made < operations:
        base = f"/things{resource}"
        item = f"{base}/{{id}}"
        ops = [
            (
                base,
                "get",
                {
                    "tags": [f"Tag {resource % 12}"],
                    "operationId": f"list{resource}",
                    "summary": f"List things {resource}",
                    "description": description,
                    "parameters": [
                        {"name": "page", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "q",
                            "in": "query",
                            "description": description,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Book"},
                                    },
                                    "example": [{"id": 1, "title": "A", "status": "draft"}],
                                }
                            },
                        }
                    },
                },
            ),
            (
                base,
                "post",
                {
                    "tags": [f"Tag {resource % 12}"],
                    "operationId": f"create{resource}",
                    "summary": description,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Book"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Created.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Book"}
                                }
                            },
                        }
                    },
                },
            ),
            (
                item,
                "get",
                {
                    "tags": [f"Tag {resource % 12}"],
                    "operationId": f"get{resource}",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": description,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Book"}
                                }
                            },
                        },
                        "404": {"description": "Not found."},
                    },
                },
            ),
            (
                item,
                "delete",
                {
                    "operationId": f"delete{resource}",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {"204": {"description": "Deleted."}},
                },
            ),
        ]
        for path, method, spec in ops[: operations - made]:
            paths.setdefault(path, {})[method] = spec
            made += 1
        resource += 1
    return {
        "openapi": "3.1.0",
        "info": {"title": "Generated", "version": "1", "description": description},
        "servers": [{"url": "https://api.example/v1", "description": description}],
        "tags": [{"name": f"Tag {n}", "description": description} for n in range(12)],
        "paths": paths,
        # Copies: a test that edits its document must not edit the next test's.
        "components": {"schemas": copy.deepcopy({"Book": BOOK, "Author": AUTHOR})},
    }


def fence(doc: dict[str, Any] | str) -> str:
    """A page body holding ``doc`` (JSON if it is a dict) in an ```openapi block."""
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=1)
    return f"Intro.\n\n```openapi\n{text}\n```\n"
