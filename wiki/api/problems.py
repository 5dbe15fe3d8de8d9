"""RFC 9457 problem documents: the one shape of every error answered under ``/api/``."""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"


class ApiProblem(Exception):
    """Raised by the API's views and checks; answered as a problem document."""

    def __init__(self, status: int, detail: str, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    status: int, detail: str, *, headers: dict | None = None, title: str | None = None, **extra
) -> Response:
    """A problem+json response; ``extra`` members go into the document as they are."""
    doc = {"type": "about:blank", "title": title or status_title(status), "status": status}
    doc["detail"] = detail or doc["title"]
    doc.update(extra)
    response = Response(json.dumps(doc), status, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_problem(error: ApiProblem) -> Response:
    return problem_response(error.status, error.detail, headers=error.headers, **error.extra)


def from_http_error(error: HTTPException, headers: dict | None = None) -> Response:
    """An ``abort()``, routing or size error as a problem; keeps ``Allow`` of a 405."""
    status = error.code or 500
    extra = dict(headers or {})
    allowed = getattr(error, "valid_methods", None)
    if allowed:
        extra["Allow"] = ", ".join(allowed)
    return problem_response(status, error.description or "", headers=extra)
