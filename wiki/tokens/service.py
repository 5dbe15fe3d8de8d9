"""Creating, checking, listing and revoking personal access tokens.

A token is ``nxw_`` followed by 43 URL-safe characters (256 random bits). It is shown once,
when created; the database keeps its SHA-256 and its first characters only.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import selectinload

from wiki.db import begin_write, write_if_free
from wiki.extensions import db
from wiki.models import LazyUser, User, now_utc
from wiki.refusals import NotFound, Refusal
from wiki.tokens.models import SCOPE_WRITE, SCOPES, ApiToken

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


@dataclass(frozen=True)
class Grant:
    """What a checked token allows: read by every API call, so a plain row, not ORM objects."""

    user_id: int
    scope: str

    @property
    def can_write(self) -> bool:
        return self.scope == SCOPE_WRITE


class TokenOwner(LazyUser):
    """The Flask-Login user of a call made with a token: its id is known from the token's
    row, and the :class:`User` is loaded only when something asks for more (most reads
    never do: the token's row already says the owner is active)."""

    def __init__(self, user_id: int) -> None:
        self.id = user_id


_TOKENS, _USERS = ApiToken.__table__, User.__table__
# Built once: it runs on every API call with a token.
_BY_HASH = (
    select(
        _TOKENS.c.id,
        _TOKENS.c.user_id,
        _TOKENS.c.scope,
        _TOKENS.c.expires_at,
        _TOKENS.c.last_used_at,
    )
    .join(_USERS, _USERS.c.id == _TOKENS.c.user_id)
    .where(
        _TOKENS.c.token_hash == bindparam("token_hash"),
        _TOKENS.c.revoked_at.is_(None),
        _USERS.c.active.is_(True),
    )
)


def authenticate(raw: str) -> Grant | None:
    """What the live token whose secret is ``raw`` allows (owner active, not expired, not
    revoked), else None. Records the use (at most once a minute); never raises for any input."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    row = db.session.execute(_BY_HASH, {"token_hash": hash_token(raw)}).first()
    now = now_utc()
    if row is None or row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_GRANULARITY:
        _touch(row.id, now)
    return Grant(user_id=row.user_id, scope=row.scope)


def _touch(token_id: int, now: datetime) -> None:
    """Best effort (skipped when the database is busy): a "last used" time must neither
    refuse an API call nor make a read wait behind a save."""
    write_if_free(
        lambda conn: conn.execute(
            update(_TOKENS).where(_TOKENS.c.id == token_id).values(last_used_at=now)
        )
    )


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
