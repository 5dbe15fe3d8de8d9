"""Error pages with the right status code; never a bare 500 for something a user typed."""

import json
import time
from datetime import UTC, datetime
from http import HTTPStatus

from flask import Flask, Response, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from wiki import slots
from wiki.db import is_busy, is_unreachable
from wiki.extensions import db, limiter

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Busy",
}
# How long a client should wait when the database stays busy (503).
BUSY_RETRY_AFTER = 5


def problem_response(
    status: int, detail: str, *, headers: dict | None = None, title: str | None = None, **extra
) -> Response:
    """An RFC 9457 ``application/problem+json`` response; ``extra`` members go in as they are."""
    if title is None:
        try:
            title = HTTPStatus(status).phrase
        except ValueError:
            title = "Error"
    doc = {"type": "about:blank", "title": title, "status": status, "detail": detail or title}
    doc.update(extra)
    response = Response(json.dumps(doc), status, mimetype="application/problem+json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _render(code: int, message: str):
    template = f"errors/{code}.html" if code in (400, 403, 404, 409, 413, 429, 500) else None
    context = {"code": code, "title": TITLES.get(code, "Error"), "message": message}
    if request.path.startswith("/api/"):  # the JSON API answers with RFC 9457 problems only
        return problem_response(code, message), code
    if request.accept_mimetypes.best == "application/json":
        return {"error": context["title"], "message": message}, code
    return render_template(template or "errors/generic.html", **context), code


def _limit_text(error: HTTPException) -> str:
    """The limit that was hit, as "30 per 15 minutes" ('' when unknown)."""
    item = getattr(getattr(error, "limit", None), "limit", None)
    if item is None:
        return ""
    unit = item.GRANULARITY.name
    return f"{item.amount} per {unit if item.multiples == 1 else f'{item.multiples} {unit}s'}"


def _retry_in() -> int | None:
    """Seconds until the breached limit's window frees a slot (None when unknown)."""
    try:
        current = limiter.current_limit
        return None if current is None else max(1, int(current.reset_at - time.time()))
    except Exception:  # an unreachable limit store must not turn a 429 into a 500
        return None


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"


def too_many(error: HTTPException | None, *, retry: int | None = None, limit: str = ""):
    """The 429 page: which limit, and when to try again (also as ``Retry-After``).

    ``retry``/``limit`` are for limits counted outside Flask-Limiter (log-in failures).
    """
    limit = limit or (_limit_text(error) if error is not None else "")
    message = "Too many attempts" + (f" (the limit is {limit})." if limit else ".")
    retry = retry if retry is not None else _retry_in()
    if retry is None:
        message += " Please wait a few minutes and try again."
    else:
        at = datetime.fromtimestamp(time.time() + retry, UTC).strftime("%H:%M UTC")
        message += f" Try again in {_wait_text(retry)}, after {at}."
    response, code = _render(429, message)
    return response, code, ({"Retry-After": str(retry)} if retry else {})


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        db.session.rollback()
        return _render(
            400,
            "The form's security token was missing or expired, so nothing was saved. "
            "Go back, reload the page and try again.",
        )

    app.register_error_handler(slots.Busy, rendering_busy)
    app.register_error_handler(OperationalError, database_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, server_error)


def http_error(error: HTTPException):
    """The error page of an ``abort()`` or a routing error, with its own status."""
    if error.code == 429:
        return too_many(error)
    if isinstance(error, SecurityError):  # a Host not in TRUSTED_HOSTS: no URLs can be built
        return "Unknown host.", 400, {"Content-Type": "text/plain; charset=utf-8"}
    if request.path.startswith("/api/"):
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(allowed)} if allowed else None
        return problem_response(error.code or 500, error.description or "", headers=headers)
    return _render(error.code or 500, error.description or "")


def busy(error: BaseException | None = None) -> tuple:
    """503 + ``Retry-After``: the database stayed locked, or could not be reached; nothing
    was changed."""
    db.session.rollback()
    if error is not None and is_unreachable(error):
        read_as_anonymous()
        message = "The wiki cannot reach its database right now, so nothing was changed."
    else:
        message = "The wiki is busy right now, so nothing was changed."
    response, code = _render(503, f"{message} Please try again in {BUSY_RETRY_AFTER} seconds.")
    return response, code, {"Retry-After": str(BUSY_RETRY_AFTER)}


def read_as_anonymous() -> None:
    """Render the rest of this request for an anonymous reader: with the database out of
    reach, the page's header could not load the user (the rollback expired them too).
    Flask-Login keeps the request's user in ``g._login_user`` and loads only when unset."""
    g._login_user = current_app.login_manager.anonymous_user()


def rendering_busy(error: slots.Busy):
    """503 + ``Retry-After``: every render slot stayed taken (previews, saves, huge diffs).

    Views that were handed a user's text answer with it themselves; this is the rest."""
    db.session.rollback()
    response, code = _render(
        503,
        "The wiki is busy with other large pages right now. "
        f"Please try again in {slots.RETRY_AFTER} seconds.",
    )
    return response, code, {"Retry-After": str(slots.RETRY_AFTER)}


def database_error(error: OperationalError):
    """A busy or unreachable database answers 503; any other database fault is a 500."""
    if is_busy(error):
        current_app.logger.warning(
            "Database busy or unreachable on %s %s: %s", request.method, request.path, error.orig
        )
        return busy(error)
    return server_error(error)


def server_error(error: Exception):
    """The 500 page: roll back, log, and say so — never a traceback."""
    db.session.rollback()
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return _render(500, "An unexpected error happened. It has been logged.")
