"""Response headers that make injected content harmless even if the sanitizer missed it,
and the one way to build absolute URLs (:func:`external_url`)."""

from __future__ import annotations

from flask import Flask, Response, current_app, has_request_context, request, url_for
from flask_login import current_user

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Mermaid writes <style> into its SVG; scripts stay strictly same-origin files.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"
# Pages that show a logged-in user's private text or secrets: never stored by any cache,
# the browser's included. Other modules add theirs with :func:`no_store_endpoint`.
NO_STORE_ENDPOINTS = {
    "auth.profile",
    "auth.login",
    "auth.register",
    "pages.edit",
    "pages.preview",
    "pages.draft",
    "pages.save_draft",
    "pages.discard_draft",
    "pages.draft_token",
}
NO_STORE_BLUEPRINTS = {"admin"}


def no_store_endpoint(endpoint: str) -> None:
    """Mark ``endpoint`` (e.g. ``"api.tokens"``) as showing private data: ``no-store``."""
    NO_STORE_ENDPOINTS.add(endpoint)


def _private(endpoint: str | None) -> bool:
    if endpoint is None:
        return False
    return endpoint in NO_STORE_ENDPOINTS or endpoint.split(".", 1)[0] in NO_STORE_BLUEPRINTS


def configure_hosts(app: Flask) -> None:
    """``WIKI_TRUSTED_HOSTS`` (comma-separated) becomes Flask's ``TRUSTED_HOSTS``: requests
    for any other host are refused with 400, and only trusted hosts appear in built URLs."""
    hosts = app.config.get("WIKI_TRUSTED_HOSTS")
    if hosts and not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = [h.strip() for h in hosts.split(",") if h.strip()]


def base_url() -> str | None:
    """The wiki's public root URL without a trailing slash, or None when unknown.

    ``WIKI_BASE_URL`` when set; else the request's own root only when ``TRUSTED_HOSTS`` is
    configured (Flask has then already refused any other ``Host``); never a bare Host header.
    """
    configured = current_app.config.get("WIKI_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context() and current_app.config.get("TRUSTED_HOSTS"):
        return request.url_root.rstrip("/")
    return None


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for ``endpoint`` when :func:`base_url` is known, else a root-relative
    one. Safe for feeds, e-mails, webhooks and API answers: a forged ``Host`` never shows up.

    Works outside a request too (CLI, background jobs): then only ``WIKI_BASE_URL`` counts.
    """
    if has_request_context():
        path = url_for(endpoint, **values)
        prefix = request.script_root
    else:
        with current_app.test_request_context("/"):
            path = url_for(endpoint, **values)
        prefix = ""
    base = base_url()
    if base is None:
        return path
    if prefix and path.startswith(prefix):
        path = path[len(prefix) :]
    return base + path


def feed_host() -> str:
    """A stable host name for ``tag:`` ids: from :func:`base_url`, else the wiki's name."""
    from urllib.parse import urlsplit

    base = base_url()
    if base:
        return urlsplit(base).hostname or "localhost"
    name = "".join(ch if ch.isalnum() else "-" for ch in current_app.config["WIKI_NAME"].lower())
    return f"{name.strip('-') or 'wiki'}.invalid"


def register_security(app: Flask) -> None:
    configure_hosts(app)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        policy = headers.setdefault("Content-Security-Policy", CSP)
        if "frame-ancestors" not in policy:  # a route's own policy (served files) too
            headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("WIKI_HTTPS"):
            headers.setdefault("Strict-Transport-Security", HSTS)
        if not request.path.startswith("/static/"):
            headers.add("Vary", "Cookie")
            own = headers.get("Cache-Control", "")
            if current_user.is_authenticated and _private(request.endpoint):
                headers["Cache-Control"] = "no-store"
            # Keep a view's stricter "no-store" (drafts, search) instead of weakening it, and a
            # versioned file's "immutable" (its URL never serves other bytes).
            elif current_user.is_authenticated and not ("no-store" in own or "immutable" in own):
                headers["Cache-Control"] = "private, no-cache"
        return response
