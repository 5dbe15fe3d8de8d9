"""Writes a request may skip: they never wait for the write lock and never fail a request.

A page view notes the visit, fills the render cache, counts missed searches or the user's
last activity; none of that is worth queueing readers behind a save. :func:`write_if_free`
runs such a write on a connection of its own (the request's session and its read
transaction are left alone), trying the lock once: on SQLite ``BEGIN IMMEDIATE`` with no busy
wait, on PostgreSQL a short ``lock_timeout``. Busy means skipped; the caller records it
another time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from wiki.db import is_postgres
from wiki.extensions import db

T = TypeVar("T")
log = logging.getLogger(__name__)
PG_LOCK_TIMEOUT = "50ms"


def write_if_free(action: Callable[[Connection], T]) -> T | None:
    """Run ``action(connection)`` in a write transaction if the lock is free now, and commit.

    Returns what ``action`` returned, or None when the database was busy or refused the
    write (a lost race on a unique key, a lock timeout): nothing is written then.
    """
    try:
        with db.engine.connect() as conn:
            if is_postgres():
                with conn.begin():
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{PG_LOCK_TIMEOUT}'")
                    return action(conn)
            conn = conn.execution_options(write_lock="nowait")
            with conn.begin():
                return action(conn)
    except DBAPIError as error:
        log.debug("best-effort write skipped: %s", error)
        return None
