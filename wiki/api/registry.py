"""API operations declared once: the route, its validation and its OpenAPI entry.

``operation`` registers a view on the API blueprint and records what the OpenAPI document
says about it; the view receives the query and body already validated by the same pydantic
models the document is generated from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import wraps

from flask import Response, request
from pydantic import BaseModel, ValidationError

from wiki.api import bp
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
    writes: bool
    links: dict[str, dict] = field(default_factory=dict)


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


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string validated by ``model``. :raises ApiProblem: 400."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise _invalid(error, "query") from None


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The JSON body validated by ``model``. :raises ApiProblem: 415 (not JSON), 400."""
    if request.mimetype != JSON:
        raise ApiProblem(415, "Send the body as JSON (Content-Type: application/json).")
    try:
        return model.model_validate_json(request.get_data(cache=False))
    except ValidationError as error:
        raise _invalid(error, "body") from None


def json_response(model: BaseModel, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(model.model_dump_json(by_alias=True), status, mimetype=JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def operation(
    rule: str,
    method: str,
    *,
    operation_id: str,
    summary: str,
    tag: str,
    ok: dict[int, tuple[str, type[BaseModel]]],
    errors: Sequence[int] = (),
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    links: dict[str, dict] | None = None,
    decorators: Sequence[Callable] = (),
) -> Callable:
    """Register ``fn`` as ``method rule`` on the API blueprint, documented and validated."""

    def register(fn: Callable) -> Callable:
        @wraps(fn)
        def view(**kwargs):
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = parse_body(body)
            return fn(**kwargs)

        wrapped = view
        for decorate in reversed(decorators):
            wrapped = decorate(wrapped)
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=wrapped, methods=[method])
        OPERATIONS.append(
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
                writes=method not in ("GET", "HEAD"),
                links=links or {},
            )
        )
        return wrapped

    return register
