"""API operations declared once: the route, its validation and its OpenAPI entry.

``wiki.api.views`` binds each :class:`Operation` to a route and validates its query and body
with the operation's pydantic models; ``wiki.api.openapi`` documents the same operations
from the same models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Response
from pydantic import BaseModel, ValidationError

from wiki.api.problems import ApiProblem

JSON = "application/json"


@dataclass(frozen=True)
class Operation:
    rule: str  # the Flask rule under /api
    method: str
    operation_id: str
    summary: str
    tag: str
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    ok: dict[int, tuple[str, type[BaseModel]]]
    errors: tuple[int, ...]
    handler: Callable
    links: dict[str, dict] = field(default_factory=dict)
    decorators: tuple[Callable, ...] = ()

    @property
    def writes(self) -> bool:
        return self.method not in ("GET", "HEAD")


OPERATIONS: list[Operation] = []


def _field_errors(error: ValidationError) -> list[dict]:
    return [
        {"loc": [str(p) if not isinstance(p, int) else p for p in e["loc"]], "msg": e["msg"]}
        for e in error.errors(include_url=False, include_input=False, include_context=False)
    ]


def _invalid(error: ValidationError, where: str) -> ApiProblem:
    errors = _field_errors(error)
    first = errors[0] if errors else {"loc": [], "msg": "invalid"}
    place = ".".join(str(p) for p in first["loc"]) or where
    return ApiProblem(400, f"Invalid {where}: {place}: {first['msg']}", errors=errors)


def validate_query(model: type[BaseModel], args: dict[str, str]) -> BaseModel:
    """Query parameters validated by ``model``. :raises ApiProblem: 400."""
    try:
        return model.model_validate(args)
    except ValidationError as error:
        raise _invalid(error, "query") from None


def validate_body(model: type[BaseModel], mimetype: str, data: bytes) -> BaseModel:
    """A JSON body validated by ``model``. :raises ApiProblem: 415 (not JSON), 400."""
    if mimetype != JSON:
        raise ApiProblem(415, "Send the body as JSON (Content-Type: application/json).")
    try:
        return model.model_validate_json(data)
    except ValidationError as error:
        raise _invalid(error, "body") from None


def json_response(model: BaseModel, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(model.model_dump_json(by_alias=True), status, mimetype=JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def record(operation: Operation) -> Operation:
    """Add ``operation`` to the document (the views register its route)."""
    OPERATIONS.append(operation)
    return operation


def operation(
    rule: str,
    method: str,
    *,
    operation_id: str,
    summary: str,
    tag: str,
    ok: dict[int, tuple[str, type[BaseModel]]],
    errors: tuple[int, ...] = (),
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    links: dict[str, dict] | None = None,
    decorators: tuple[Callable, ...] = (),
) -> Callable:
    """Declare the decorated handler as the operation ``method rule`` (under /api)."""

    def declare(handler: Callable) -> Callable:
        record(
            Operation(
                rule,
                method,
                operation_id,
                summary,
                tag,
                query,
                body,
                ok,
                tuple(errors),
                handler,
                links or {},
                tuple(decorators),
            )
        )
        return handler

    return declare
