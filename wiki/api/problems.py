"""RFC 9457 problem documents: the one shape of every error answered under ``/api/``.

The response itself is built by :func:`wiki.errors.problem_response`, which the app's error
handlers also use for ``abort()``, routing and size errors on ``/api/`` paths.
"""

from __future__ import annotations

from flask import Response

from wiki.errors import problem_response

MEDIA_TYPE = "application/problem+json"


class ApiProblem(Exception):
    """Raised by the API's views and checks; answered as a problem document."""

    def __init__(self, status: int, detail: str, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def from_problem(error: ApiProblem) -> Response:
    return problem_response(error.status, error.detail, headers=error.headers, **error.extra)
