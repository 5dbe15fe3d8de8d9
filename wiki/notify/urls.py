"""Absolute links for mail and webhooks, which are built outside any request.

``WIKI_BASE_URL`` when set; otherwise the current request's host, or ``http://localhost``.
(Issue 20 plans a shared helper for absolute URLs; until it lands, this is the one here.)
"""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def base_url() -> str:
    configured = current_app.config.get("WIKI_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        from flask import request

        return request.host_url.rstrip("/")
    return "http://localhost"


def absolute_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL on :func:`base_url`."""
    with current_app.test_request_context("/", base_url=base_url() + "/"):
        return url_for(endpoint, _external=True, **values)
