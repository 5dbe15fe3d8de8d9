"""User accounts: creation (first one is admin), roles, deactivation, log-in checks."""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import bindparam, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from wiki.db import first_row
from wiki.extensions import db
from wiki.models import ROLE_ADMIN, ROLE_EDITOR, User, now_utc

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")
MIN_PASSWORD = 8
# Checked when the username is unknown, so both failures take about the same time.
_DUMMY_HASHES: dict[str | None, str] = {}


def _hash_method() -> str | None:
    """werkzeug's default KDF (scrypt) unless the test configuration picks a cheaper one."""
    return current_app.config.get("WIKI_PASSWORD_HASH_METHOD")


def hash_password(password: str) -> str:
    method = _hash_method()
    if method:
        return generate_password_hash(password, method=method)
    return generate_password_hash(password)


def _dummy_hash() -> str:
    method = _hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password("not-a-real-password")
    return _DUMMY_HASHES[method]


class AccountError(ValueError):
    """A refused account change; the message is shown to the user."""


def validate_username(username: str) -> str:
    """:raises AccountError: unless 2-40 letters, digits, ``_ . -``, starting alphanumeric."""
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise AccountError(
            "Usernames are 2-40 characters: letters, digits, '_', '.', '-', "
            "starting with a letter or digit."
        )
    return username


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username_key == username.strip().lower()))


_USERNAME = select(User.__table__.c.username).where(User.__table__.c.id == bindparam("id"))


def username_of(user_id: int | None) -> str | None:
    """The username of user ``user_id``: one plain query, no ``User`` loaded (a message names
    another user after a save)."""
    row = first_row(_USERNAME, {"id": user_id}) if user_id is not None else None
    return None if row is None else row[0]


def check_password_rules(password: str) -> None:
    """:raises AccountError: the password is shorter than :data:`MIN_PASSWORD`."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD} characters.")


def set_password(user: User, password: str) -> None:
    """Store ``password``'s hash on ``user`` (caller commits). :raises AccountError: too short."""
    check_password_rules(password)
    user.password_hash = hash_password(password)


def create_user(
    username: str, password: str, *, role: str | None = None, password_hash: str | None = None
) -> User:
    """Create a user; the first non-system account ever becomes admin. Caller commits.

    ``password_hash``: ``hash_password(password)`` computed beforehand, so a caller holding
    the write lock does not hold it through the slow hash.

    :raises AccountError: invalid or taken username, short password.
    """
    username = validate_username(username)
    check_password_rules(password)
    if find_user(username) is not None:
        raise AccountError("That username is taken.")
    if role is None:
        humans = db.session.scalar(select(func.count(User.id)).where(User.is_system.is_(False)))
        role = ROLE_ADMIN if humans == 0 else ROLE_EDITOR
    user = User(username=username, username_key=username.lower(), role=role)
    user.password_hash = password_hash or hash_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def system_user() -> User:
    """The account that owns starter content and imports (never counts as first user)."""
    user = find_user("nexus-bot")
    if user is None:
        user = User(
            username="nexus-bot", username_key="nexus-bot", role=ROLE_EDITOR, is_system=True
        )
        user.password_hash = "!"  # no password can match: the account cannot log in
        db.session.add(user)
        db.session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, else None — in about the same time either way."""
    user = find_user(username)
    if user is None or user.is_system:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def set_role(user: User, role: str) -> None:
    if role not in (ROLE_ADMIN, ROLE_EDITOR):
        raise AccountError(f"Unknown role {role!r}.")
    user.role = role


def touch(user: User) -> None:
    user.last_seen_at = now_utc()
