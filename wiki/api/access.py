"""Who may call the API, decided from plain values (the views read them off the request).

A request carrying only the session cookie may read (following ``WIKI_READ_ACCESS``) but never
write: writes need ``Authorization: Bearer <token>`` with the ``write`` scope, so a page on
another site cannot make a logged-in browser write through the API (which is why the API
takes no CSRF token).
"""

from __future__ import annotations

import hashlib

from wiki.api.problems import ApiProblem
from wiki.tokens import service as tokens

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_RATE = "600 per minute"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


def bearer_secret(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header; None without the header.

    :raises ApiProblem: 401 for another scheme or an empty token.
    """
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "Use “Authorization: Bearer <token>”.", headers=CHALLENGE)
    return secret.strip()


def token_for(header: str | None) -> tokens.Grant | None:
    """What the live token the header names allows; None without a header.

    :raises ApiProblem: 401 for a malformed header or an unknown, expired or revoked token.
    """
    secret = bearer_secret(header)
    if secret is None:
        return None
    token = tokens.authenticate(secret)
    if token is None:
        raise ApiProblem(401, "The token is unknown, expired or revoked.", headers=CHALLENGE)
    return token


def check(method: str, token: tokens.Grant | None, *, session_user: bool, read_access: str) -> None:
    """May this call go ahead? :raises ApiProblem: 401 or 403."""
    if method not in SAFE_METHODS:
        if token is None:
            raise ApiProblem(
                401,
                "Writing through the API needs a Bearer token with the write scope "
                "(create one on /settings/tokens); a session cookie is not enough.",
                headers=CHALLENGE,
            )
        if not token.can_write:
            raise ApiProblem(403, "This token may only read: it has the read scope.")
    elif read_access == "registered" and token is None and not session_user:
        raise ApiProblem(401, "This wiki is readable by registered users only.", headers=CHALLENGE)


def rate_key(header: str | None, remote_addr: str | None) -> str:
    """The rate-limit key: the token (hashed) when one is sent, else the client's address."""
    try:
        secret = bearer_secret(header)
    except ApiProblem:
        secret = None
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:32]
    return "api-addr:" + (remote_addr or "unknown")
