"""Flask extensions, created unbound and bound in ``create_app`` with ``init_app``."""

import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits.storage import MemoryStorage
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class ProcessMemoryStorage(MemoryStorage):
    """limits' in-memory counters (``RATELIMIT_STORAGE_URI=process-memory://``, the default)
    without their cleanup timer: MemoryStorage starts a new thread 10 ms after each counted
    request, and that thread start and its fight for the GIL cost a busy worker more than
    the request's own work (measured: 0.15–1.5 ms per request). Expired counters are already
    dropped when read; the rest are swept here, inline, at most once a second."""

    STORAGE_SCHEME = ["process-memory"]
    SWEEP_EVERY = 1.0

    def __init__(self, uri: str | None = None, **options) -> None:
        super().__init__(uri, **options)
        self.timer.cancel()
        self._swept_at = time.monotonic()

    # Name-mangled: this replaces MemoryStorage's private timer start (limits is pinned).
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= self.SWEEP_EVERY:
            self._swept_at = now
            self._MemoryStorage__expire_events()
