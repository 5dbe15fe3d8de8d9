"""Creating, checking, listing and revoking personal access tokens.

A token is ``nxw_`` followed by 43 URL-safe characters (256 random bits). It is shown once,
when created; the database keeps its SHA-256 and its first characters only.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload, selectinload

from wiki.db import begin_write
from wiki.extensions import db
from wiki.models import User, now_utc
from wiki.refusals import NotFound, Refusal
from wiki.tokens.models import SCOPES, ApiToken

TOKEN_PREFIX = "nxw_"
DEFAULT_EXPIRES_DAYS = 90
MAX_EXPIRES_DAYS = 3650
MAX_NAME = 100
# Recording "last used" is a write: at most once a minute per token, so reads stay reads.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenError(Refusal):
    """A refused token change (bad name, scope or expiry; not the owner)."""


def hash_token(raw: str) -> str:
    """The stored form of a token (hex SHA-256)."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(
    user: User, name: str, scope: str, expires_days: int | None
) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns it and its secret (the only time it exists in full).

    :raises TokenError: empty or over-long name, unknown scope, expiry out of 1…3650 days.
    """
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise TokenError(f"Give the token a name of 1 to {MAX_NAME} characters.")
    if scope not in SCOPES:
        raise TokenError("The scope must be “read” or “write”.")
    days = DEFAULT_EXPIRES_DAYS if expires_days is None else expires_days
    if not 1 <= days <= MAX_EXPIRES_DAYS:
        raise TokenError(f"A token expires after 1 to {MAX_EXPIRES_DAYS} days.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = now_utc()
    begin_write()
    token = ApiToken(
        user_id=user.id,
        name=name,
        scope=scope,
        token_hash=hash_token(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.commit()
    return token, raw


# Built once: it runs on every API call with a token.
_BY_HASH = (
    select(ApiToken)
    .options(joinedload(ApiToken.user))
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def authenticate(raw: str) -> ApiToken | None:
    """The live token whose secret is ``raw`` (owner active, not expired, not revoked), else
    None. Records the use (at most once a minute); never raises for any input."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(_BY_HASH, {"token_hash": hash_token(raw)})
    now = now_utc()
    if token is None or not token.is_valid(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        _touch(token.id, now)
        token = db.session.get(ApiToken, token.id)
    return token


def _touch(token_id: int, now: datetime) -> None:
    """Best effort: a busy database must not refuse an API call over a "last used" time."""
    try:
        begin_write()
        db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        db.session.commit()
    except OperationalError:
        db.session.rollback()


def visible_tokens(user: User) -> list[ApiToken]:
    """The tokens ``user`` may see: their own; an admin sees everyone's. Newest first."""
    stmt = (
        select(ApiToken)
        .options(selectinload(ApiToken.user))  # the admin's list names each owner
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if not user.is_admin:
        stmt = stmt.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(stmt))


def revoke(token_id: int, user: User) -> ApiToken:
    """Revoke a token of ``user`` (an admin: anyone's). Revoking twice is harmless.

    :raises NotFound: no such token, or not one ``user`` may revoke.
    """
    begin_write()
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and not user.is_admin):
        db.session.rollback()
        raise NotFound("There is no such token.")
    if token.revoked_at is None:
        token.revoked_at = now_utc()
    db.session.commit()
    return token
