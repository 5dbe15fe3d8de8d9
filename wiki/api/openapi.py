"""The OpenAPI 3.1 document, generated from the registered operations and their models."""

from __future__ import annotations

import re

from pydantic.json_schema import models_json_schema

from wiki.api import schemas
from wiki.api.problems import MEDIA_TYPE as PROBLEM
from wiki.api.registry import JSON, OPERATIONS, Operation

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
# A 409 is a conflicting save, or a new page refused at a renamed page's old title.
ERROR_MODELS = {
    400: (schemas.ValidationProblem,),
    409: (schemas.ConflictProblem, schemas.MovedProblem),
}
DESCRIPTIONS = {
    400: "Bad request: invalid JSON, wrong types, unknown fields, an invalid title",
    401: "No valid token (or, for writes, no Bearer token at all)",
    403: "Not allowed: a read-only token, a protected or deleted page",
    404: "No such page or revision",
    409: "The save conflicts with a newer revision (the body holds the marked merge), or "
    "would create a page at a renamed page's old title (the body names the new one)",
    413: "The page is larger than 1 MiB, or too complex to render",
    415: "The body is not JSON",
    429: "Too many requests for this token (see Retry-After)",
    503: "Busy: search is being rebuilt, or every render slot stayed taken; try again shortly",
}

RETRY_AFTER = {
    429: "Seconds until the token may call again",
    503: "Seconds after which to try again (sent when every render slot stayed taken)",
}


# See wiki.api.handlers.SUB_RESOURCES.
TITLE = (
    "A page title (spaces or underscores; sub-pages with “/”). It may end in one “/” (not "
    "counted in its length), and must when it is a sub-page whose last level is “revisions” "
    "or “diff” (`Foo/diff/`): `/api/v1/pages/Foo/diff` is Foo's diff."
)
MOVED = {
    "description": "The page was renamed: the same request's URL under its new title is in "
    "Location (methods and bodies are kept; a PUT is redirected when it has a base_rev)",
    "headers": {
        "Location": {
            "description": "The URL to repeat the request at",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "content": {JSON: {"schema": {"$ref": REF.format(model=schemas.PageMoved.__name__)}}},
}


def _path(rule: str) -> str:
    return "/api" + _PARAM.sub(r"{\1}", rule)


def _parameters(op: Operation) -> list[dict]:
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": TITLE,
            "schema": {"type": "string", "minLength": 1, "maxLength": schemas.MAX_TITLE},
        }
        for name in _PARAM.findall(op.rule)
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(by_alias=True)
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            prop = dict(prop)
            prop.pop("title", None)
            description = prop.pop("description", "")
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "description": description,
                    "schema": prop,
                }
            )
    return params


def _model_ref(*models) -> dict:
    refs = [{"$ref": REF.format(model=model.__name__)} for model in models]
    return refs[0] if len(refs) == 1 else {"anyOf": refs}


def _responses(op: Operation) -> dict:
    responses: dict[str, dict] = {}
    for status, (description, model) in op.ok.items():
        entry = {"description": description, "content": {JSON: {"schema": _model_ref(model)}}}
        if op.links:
            entry["links"] = op.links
        responses[str(status)] = entry
    if _PARAM.search(op.rule):  # anything addressed by a title may have been renamed
        responses["308"] = MOVED
    statuses = {400, 404, 429, *op.errors} | ({401, 403, 415} if op.writes else {401})
    for status in sorted(statuses):
        models = ERROR_MODELS.get(status, (schemas.Problem,))
        entry = {
            "description": DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM: {"schema": _model_ref(*models)}},
        }
        if status in RETRY_AFTER:
            entry["headers"] = {
                "Retry-After": {"description": RETRY_AFTER[status], "schema": {"type": "integer"}}
            }
        responses[str(status)] = entry
    return responses


def _components() -> dict:
    inputs = {op.body for op in OPERATIONS if op.body is not None}
    outputs = {model for op in OPERATIONS for _d, model in op.ok.values()}
    outputs |= {schemas.Problem, schemas.PageMoved}
    outputs |= {model for models in ERROR_MODELS.values() for model in models}
    pairs = [(m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)]
    pairs += [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
    _keys, top = models_json_schema(pairs, ref_template=REF, by_alias=True)
    return top.get("$defs", {})


def document() -> dict:
    """The whole OpenAPI 3.1 document (a new dict each call)."""
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        entry = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": _parameters(op),
            "responses": _responses(op),
            "security": [{"bearerAuth": []}] if op.writes else [{"bearerAuth": []}, {}],
        }
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": _model_ref(op.body)}},
            }
        paths.setdefault(_path(op.rule), {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Nexus Wiki API",
            "version": "1",
            "description": "Read and write wiki pages. Authenticate with "
            "`Authorization: Bearer <token>` (tokens: /settings/tokens). Errors are "
            "RFC 9457 problem documents (application/problem+json).",
        },
        "paths": paths,
        "components": {
            "schemas": _components(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token from /settings/tokens",
                }
            },
        },
    }
