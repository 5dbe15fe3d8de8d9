"""Who is calling the API: a Bearer token, else the session's user for reads only.

A request carrying only the session cookie may read (following ``WIKI_READ_ACCESS``) but never
write: writes need ``Authorization: Bearer <token>`` with the ``write`` scope, so a page on
another site cannot make a logged-in browser write through the API (the API is CSRF-exempt
for exactly that reason). The token's user becomes ``current_user`` for the request, without
touching the session.
"""

from __future__ import annotations

import hashlib

from flask import current_app, g, request
from flask_login import current_user

from wiki.api.problems import ApiProblem
from wiki.extensions import limiter
from wiki.tokens import service as tokens
from wiki.tokens.models import ApiToken

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_RATE = "600 per minute"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


def bearer_secret() -> str | None:
    """The token sent in ``Authorization: Bearer …``; None without that header.

    :raises ApiProblem: 401 for another scheme or an empty token.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "Use “Authorization: Bearer <token>”.", headers=_CHALLENGE)
    return secret.strip()


def request_token() -> ApiToken | None:
    """The request's valid token (looked up once per request).

    :raises ApiProblem: 401 for a malformed header or an unknown, expired or revoked token.
    """
    if "api_token" not in g:
        secret = bearer_secret()
        token = None if secret is None else tokens.authenticate(secret)
        if secret is not None and token is None:
            raise ApiProblem(401, "The token is unknown, expired or revoked.", headers=_CHALLENGE)
        g.api_token = token
        if token is not None:
            # Flask-Login reads the request's user from here: no session is created or changed.
            g._login_user = token.user
    return g.api_token


def authorize() -> None:
    """Check the caller may make this request. :raises ApiProblem: 401 or 403."""
    token = request_token()
    if request.method not in SAFE_METHODS:
        if token is None:
            raise ApiProblem(
                401,
                "Writing through the API needs a Bearer token with the write scope "
                "(create one on /settings/tokens); a session cookie is not enough.",
                headers=_CHALLENGE,
            )
        if not token.can_write:
            raise ApiProblem(403, "This token may only read: it has the read scope.")
    elif current_app.config["WIKI_READ_ACCESS"] == "registered" and not (
        token or current_user.is_authenticated
    ):
        raise ApiProblem(401, "This wiki is readable by registered users only.", headers=_CHALLENGE)


def rate_key() -> str:
    """The rate-limit key: the token (hashed) when one is sent, else the client's address."""
    try:
        secret = bearer_secret()
    except ApiProblem:
        secret = None
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:32]
    return "api-addr:" + (request.remote_addr or "unknown")


def api_rate() -> str:
    return current_app.config.get("WIKI_API_RATE") or DEFAULT_RATE


def limit_blueprint(bp) -> None:
    """Every API call counts against its token's (or address's) per-minute budget."""
    limiter.limit(api_rate, key_func=rate_key)(bp)
