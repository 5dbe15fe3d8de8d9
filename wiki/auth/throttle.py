"""Log-in limits that stop guessing without letting a stranger lock the owner out.

Failures are rows in ``login_failures``, so every worker and server counts the same
attempts without Redis. Within :data:`WINDOW`:

- an address with :data:`ADDRESS_LIMIT` failures (any accounts) is refused;
- an account with :data:`ACCOUNT_LIMIT` failures is refused only from the addresses that
  failed for it. A correct password from an address that has not been failing for that
  account still logs in; a wrong one makes that address "failing" too, so a botnet gets one
  guess per address once the account's limit is reached.

No Flask here: views pass the account name and address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from wiki.auth.models import LoginFailure
from wiki.db import begin_write
from wiki.extensions import db
from wiki.models import now_utc

WINDOW = timedelta(minutes=15)
ADDRESS_LIMIT = 30
ACCOUNT_LIMIT = 10


def limit_text(limit: int) -> str:
    return f"{limit} per {int(WINDOW.total_seconds() // 60)} minutes"


def _key(account: str) -> str:
    return account.strip().lower()[:40]


def _wait(oldest: datetime | None, now: datetime) -> int:
    if oldest is None:
        return int(WINDOW.total_seconds())
    return max(1, int((oldest + WINDOW - now).total_seconds()))


def refusal(account: str, address: str, now: datetime | None = None) -> tuple[int, str] | None:
    """``(seconds to wait, limit text)`` when this attempt must be refused, else None."""
    now = now or now_utc()
    since = now - WINDOW
    count, oldest = db.session.execute(
        select(func.count(LoginFailure.id), func.min(LoginFailure.created_at)).where(
            LoginFailure.address == address[:64], LoginFailure.created_at >= since
        )
    ).one()
    if count >= ADDRESS_LIMIT:
        return _wait(oldest, now), limit_text(ADDRESS_LIMIT)
    key = _key(account)
    failing_here = LoginFailure.address == address[:64]
    total, here, oldest = db.session.execute(
        select(
            func.count(LoginFailure.id),
            func.count(LoginFailure.id).filter(failing_here),
            func.min(LoginFailure.created_at),
        ).where(LoginFailure.account == key, LoginFailure.created_at >= since)
    ).one()
    if total >= ACCOUNT_LIMIT and here:
        return _wait(oldest, now), limit_text(ACCOUNT_LIMIT)
    return None


def record_failure(account: str, address: str, now: datetime | None = None) -> None:
    """Count one failed log-in (own write transaction; commits), dropping expired rows."""
    now = now or now_utc()
    begin_write()
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at < now - WINDOW))
    db.session.add(LoginFailure(account=_key(account), address=address[:64], created_at=now))
    db.session.commit()
