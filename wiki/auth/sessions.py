"""Server-side sessions: each log-in is a row; the cookie holds a random token for it.

Flask-Login keeps ``user.get_id()`` in the session cookie and in the remember cookie, so
``get_id()`` returns the session token: both cookies name a row, and deleting the row ends
them together. Loading the user is one primary-key query (the row joined to its user). The
table stores the SHA-256 of each token, never the token.

No request objects here: views pass the user agent and the current token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select, update

from wiki.auth.models import UserSession
from wiki.db import first_row, write_if_free
from wiki.extensions import db
from wiki.models import ROLE_ADMIN, LazyUser, User, now_utc
from wiki.notify.service import unread_count_of

# A session unused this long is over (the remember cookie lasts as long; see config).
IDLE_LIMIT = timedelta(days=30)
# "Last seen" is written at most this often per session, so page views stay read-only.
TOUCH_EVERY = timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_agent(user_agent: str) -> str:
    """ "Firefox on Linux" from a User-Agent string; "Unknown browser" when unrecognised."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


@dataclass(frozen=True)
class SessionInfo:
    """An active session for the profile's list."""

    key: str  # a short, non-secret handle (a prefix of the digest) for "end this one"
    user_agent: str
    created_at: datetime
    last_seen_at: datetime
    remember: bool
    current: bool

    @property
    def device(self) -> str:
        return describe_agent(self.user_agent)


def start_session(user: User, *, user_agent: str, remember: bool) -> str:
    """Record a new session for ``user`` and make ``user.get_id()`` return its token.

    Runs in the caller's transaction (the caller holds the write lock and commits).
    """
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            id=_digest(token),
            user_id=user.id,
            user_agent=(user_agent or "")[:200],
            remember=remember,
        )
    )
    user.session_token = token
    return token


_USERS, _SESSIONS = User.__table__, UserSession.__table__
# What a reader's pages show of them: the user's own columns, never the password hash.
_READER_COLUMNS = tuple(c for c in _USERS.c if c.name != "password_hash")
# Built once, as plain Core (no ORM entity to set up): it runs on every logged-in request.
_LOAD = (
    select(
        *_READER_COLUMNS,
        _SESSIONS.c.last_seen_at.label("session_seen_at"),
        unread_count_of(_SESSIONS.c.user_id).label("unread"),
    )
    .join(_SESSIONS, _SESSIONS.c.user_id == _USERS.c.id)
    .where(_SESSIONS.c.id == bindparam("digest"))
)
# The same, with the ORM entity, for writes.
_LOAD_USER = (
    select(User, _SESSIONS.c.last_seen_at, unread_count_of(_SESSIONS.c.user_id))
    .join(_SESSIONS, _SESSIONS.c.user_id == User.id)
    .where(_SESSIONS.c.id == bindparam("digest"))
)


class SessionUser(LazyUser):
    """A logged-in reader as the session's one query found them: the user's own columns as
    plain values. Reading a page needs no more; the :class:`User` itself is loaded only when
    something asks for what a row lacks (a password check, a relationship). Writes get the
    whole ``User`` from :func:`load` (``lazy=False``), as services change and attach it."""

    def __init__(self, row, token: str) -> None:
        self.__dict__.update({c.name: getattr(row, c.name) for c in _READER_COLUMNS})
        self.session_token = token
        self.session_seen_at = row.session_seen_at
        self.unread_notifications = row.unread

    is_active = property(lambda self: self.active)
    is_admin = property(lambda self: self.role == ROLE_ADMIN)

    def get_id(self) -> str:
        return self.session_token

    def _load(self) -> User:
        user = super()._load()
        return _with_session(
            user, self.session_token, self.session_seen_at, self.unread_notifications
        )


def load(token: str, *, lazy: bool = False) -> User | SessionUser | None:
    """The active user of a live session token, else None: one indexed query, which also
    counts the user's unread notifications for the header (no template queries). With
    ``lazy`` (reads), a :class:`SessionUser` made from the row; else the ORM ``User``."""
    if not isinstance(token, str) or len(token) < 20:
        return None  # also every cookie from before server-side sessions (a numeric id)
    params = {"digest": _digest(token)}
    if lazy:
        row = first_row(_LOAD, params)
        if row is None or not _live(row.active, row.session_seen_at):
            return None
        return SessionUser(row, token)
    row = db.session.execute(_LOAD_USER, params).first()
    if row is None:
        return None
    user, last_seen, unread = row
    if not _live(user.active, last_seen):
        return None
    return _with_session(user, token, last_seen, unread)


def _live(active: bool, seen_at: datetime) -> bool:
    """An active user's session used within :data:`IDLE_LIMIT`."""
    return active and now_utc() - seen_at <= IDLE_LIMIT


def _with_session(user: User, token: str, seen_at: datetime, unread: int) -> User:
    user.session_token = token
    user.session_seen_at = seen_at
    user.unread_notifications = unread  # the header's count, read with the session
    return user


def touch(user: User | SessionUser) -> None:
    """Stamp the session's and user's "last seen", at most every :data:`TOUCH_EVERY`.

    Best effort: never waits for the write lock, and gives up when the database is busy.
    """
    seen = getattr(user, "session_seen_at", None)
    token = getattr(user, "session_token", None)
    if token is None or (seen is not None and now_utc() - seen < TOUCH_EVERY):
        return
    user_id, now, key = user.id, now_utc(), _digest(token)

    def stamp(conn) -> None:
        conn.execute(update(UserSession).where(UserSession.id == key).values(last_seen_at=now))
        conn.execute(update(User).where(User.id == user_id).values(last_seen_at=now))

    write_if_free(stamp)


def end_session(token: str | None) -> None:
    """Delete one session (log-out). Caller holds the write lock and commits."""
    if token:
        db.session.execute(delete(UserSession).where(UserSession.id == _digest(token)))


def end_sessions(user_id: int, *, keep: str | None = None) -> int:
    """Delete every session of a user but ``keep`` (a token). Caller commits. Returns count."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep:
        stmt = stmt.where(UserSession.id != _digest(keep))
    return db.session.execute(stmt).rowcount or 0


def end_session_by_key(user_id: int, key: str) -> bool:
    """Delete the user's session whose handle is ``key``; False when there is none."""
    if len(key) != 16 or not key.isalnum():
        return False
    stmt = delete(UserSession).where(
        UserSession.user_id == user_id, UserSession.id.startswith(key, autoescape=True)
    )
    return bool(db.session.execute(stmt).rowcount)


def list_sessions(user_id: int, current_token: str | None) -> list[SessionInfo]:
    """The user's live sessions, most recently used first."""
    current = _digest(current_token) if current_token else None
    cutoff = now_utc() - IDLE_LIMIT
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.last_seen_at >= cutoff)
        .order_by(UserSession.last_seen_at.desc())
    )
    return [
        SessionInfo(
            key=row.id[:16],
            user_agent=row.user_agent,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            remember=row.remember,
            current=row.id == current,
        )
        for row in rows
    ]


def prune(now: datetime | None = None) -> int:
    """Delete sessions idle past :data:`IDLE_LIMIT`. Caller commits."""
    cutoff = (now or now_utc()) - IDLE_LIMIT
    return db.session.execute(delete(UserSession).where(UserSession.last_seen_at < cutoff)).rowcount
