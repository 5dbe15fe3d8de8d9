"""Error pages with the right status code; never a bare 500 for something a user typed."""

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
}


def _render(code: int, message: str):
    template = f"errors/{code}.html" if code in (400, 403, 404, 409, 413, 429, 500) else None
    context = {"code": code, "title": TITLES.get(code, "Error"), "message": message}
    if request.accept_mimetypes.best == "application/json":
        return {"error": context["title"], "message": message}, code
    return render_template(template or "errors/generic.html", **context), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        db.session.rollback()
        return _render(
            400,
            "The form's security token was missing or expired, so nothing was saved. "
            "Go back, reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429:
            retry = getattr(error, "retry_after", None)
            msg = "Too many attempts. Please wait a few minutes and try again."
            if error.description and "per" in str(error.description):
                msg = f"Too many attempts (limit: {error.description}). Please try again later."
            response, code = _render(429, msg)
            return response, code, ({"Retry-After": str(retry)} if retry else {})
        return _render(error.code or 500, error.description or "")

    @app.errorhandler(Exception)
    def internal_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(500, "An unexpected error happened. It has been logged.")
