"""Engine set-up and write transactions that serialize on SQLite and PostgreSQL alike: the
write lock (:func:`begin_write`), the page lock (:func:`lock_pages`), writes a request may skip
(:func:`write_if_free`) and what counts as "busy" (:func:`is_busy`); and the page views' hottest
reads without a Session (:func:`first_row`)."""

import functools
import logging
import re
import sqlite3
import time
from collections import namedtuple
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, and_, bindparam, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from wiki import waiting
from wiki.extensions import db
from wiki.models import Page

T = TypeVar("T")
log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15000
# PostgreSQL errors that mean "busy, try again later": lock_not_available,
# serialization_failure, deadlock_detected, query_canceled (lock/statement timeouts).
_PG_BUSY = {"55P03", "40001", "40P01", "57014"}
# PostgreSQL going away or not taking connections yet (a restart): admin_shutdown,
# crash_shutdown, cannot_connect_now; and the whole class 08, connection exceptions.
_PG_GONE = {"57P01", "57P02", "57P03"}


def configure_engines(engine: Engine) -> None:
    """On PostgreSQL: a pooled connection idle for a while is pinged before use
    (:func:`_ping_when_idle`), and reads run outside transactions
    (:func:`_transactions_from_the_first_write`). On SQLite: WAL, a busy timeout, foreign keys, and
    BEGIN IMMEDIATE for writes.

    pysqlite's own transaction handling begins lazily and cannot take the write lock up front;
    deferred transactions that read and then write fail with "database is locked" under
    concurrent saves, so we emit BEGIN ourselves (the recipe in SQLAlchemy's SQLite docs).
    """
    if engine.dialect.name != "sqlite":
        _ping_when_idle(engine)
        _transactions_from_the_first_write(engine)
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        lock = conn.get_execution_options().get("write_lock")
        if not lock:
            conn.exec_driver_sql("BEGIN")
            return
        # The write lock is tried by wiki.waiting.poll, not SQLite's busy handler (which
        # sleeps up to 100 ms between tries); best-effort writes (write_if_free) try once.
        wait = 0.0 if lock == "nowait" else SQLITE_BUSY_TIMEOUT_MS / 1000
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            if not waiting.poll(lambda: _began_immediate(raw), wait):
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # raises the error as SQLAlchemy's
        finally:
            raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


# Seconds a pooled PostgreSQL connection may sit unused before it is pinged at checkout.
PING_AFTER_IDLE = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only when it sat unused for PING_AFTER_IDLE.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip for each, and a page
    view checks out three (the session's reader, the page's state, the page), three of its
    twelve round trips (:func:`first_row` saves four more). A connection in use moments ago is
    alive but for a server restart in between; the statement that finds it gone fails
    (503), and SQLAlchemy then retires every older connection of the pool. An idle one may
    have been closed by the server or a proxy meanwhile, and is pinged: a dead one is
    replaced before the request uses it (SQLAlchemy's recipe: raise DisconnectionError).
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy) -> None:
        since = record.info.get("idle_since")  # None: connected just now
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the connection was closed while idle") from error


# A statement that cannot change data: SELECT (or WITH, SHOW) naming no writing verb. Anything
# else counts as a write, a SELECT … FOR UPDATE or FOR SHARE too, any advisory lock, and
# pg_notify (sent at the COMMIT, dropped at a ROLLBACK): a wrong "write" only costs a
# transaction.
_WRITING_WORD = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|CREATE|ALTER|DROP|COPY|CALL|DO|LOCK|SHARE|NEXTVAL"
    r"|SETVAL)\b|ADVISORY|NOTIFY",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=1024)  # SQLAlchemy sends a cached statement's same string
def only_reads(statement: str) -> bool:
    """Whether ``statement`` (SQL text) only reads."""
    words = statement.lstrip(" \t\n(").split(None, 1)
    verb = words[0].upper() if words else ""
    return verb in ("SELECT", "WITH", "SHOW") and not _WRITING_WORD.search(statement)


# What a read may add to take locks that end with its transaction: a row-locking clause, a
# transaction-level advisory lock.
_LOCKING = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b"
    r"|\bpg_(?:try_)?advisory_xact_lock(?:_shared)?\b",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=1024)
def changes_nothing(statement: str) -> bool:
    """Whether ``statement`` only reads, perhaps locking rows or taking an advisory lock
    until its transaction ends; either end of the transaction releases them alike."""
    return only_reads(_LOCKING.sub(" ", statement))


def _transactions_from_the_first_write(engine: Engine) -> None:
    """On PostgreSQL, reads run in autocommit: a transaction begins at the first statement
    that writes or locks, and from there holds everything up to its COMMIT or ROLLBACK.

    psycopg opens a transaction with a BEGIN of its own, a round trip before the first
    statement, and the request's end closes it with another: two of the four round trips of a
    request that reads twice, and the same again for the reads before a save's write
    transaction. Under READ COMMITTED, the wiki's isolation level, a statement sees what was
    committed before it started whether a transaction holds it or not; a transaction that
    only read has nothing to keep atomic and holds no row lock. So the connection stays in
    autocommit until a statement that is not :func:`only_reads` (or a server-side cursor,
    which lives in a transaction, or any other isolation level asked for), and goes back to
    it at the next read after that transaction ended.

    psycopg forgets its prepared statements at every ROLLBACK (in case it undid a DDL), and
    each forgotten one is parsed and planned again at its next five runs. Requests that only
    read send no ROLLBACK. A transaction that only locked, and changed nothing, ends with a
    COMMIT instead (:func:`changes_nothing`): a save that finds its page moved on, or in
    conflict, releases its lock so, and the worker's statements stay prepared.
    """
    from psycopg.pq import TransactionStatus

    idle, in_transaction = TransactionStatus.IDLE, TransactionStatus.INTRANS

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_at_first_write(conn, cursor, statement, _params, context, _many) -> None:
        options = context.execution_options if context is not None else conn.get_execution_options()
        if "isolation_level" in options:
            conn.info["changed"] = True  # not ours to end otherwise
            return  # SQLAlchemy set the connection up as asked
        raw = cursor.connection
        if raw.pgconn.transaction_status != idle:
            if not changes_nothing(statement):
                conn.info["changed"] = True
            return  # in a transaction (or broken: the statement itself reports that)
        reads = only_reads(statement) and not options.get("stream_results")
        if raw.autocommit != reads:
            raw.autocommit = reads  # allowed: the connection is idle
        if not reads:  # this statement begins a transaction
            conn.info["changed"] = not changes_nothing(statement)

    @event.listens_for(engine, "rollback")
    def _commit_what_changed_nothing(conn) -> None:
        if conn.invalidated or conn.closed or conn.info.get("changed", True):
            return  # a lost connection is SQLAlchemy's to clean up, as ever
        raw = conn.connection.driver_connection
        if raw.pgconn.transaction_status == in_transaction:
            try:
                raw.commit()  # the ROLLBACK that follows finds nothing to do, and sends nothing
            except engine.dialect.loaded_dbapi.Error:
                pass  # that ROLLBACK meets the same trouble, and SQLAlchemy handles it there


def _began_immediate(raw: sqlite3.Connection) -> bool | None:
    """Whether ``BEGIN IMMEDIATE`` took the write lock; None when another connection holds
    it (try again). False on any other error, which the caller's last try raises."""
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        return None if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY else False
    return True


def close_sessions_at_teardown(app) -> None:
    """Close the request's session at teardown, letting a connection lost meanwhile go.

    Registered after Flask-SQLAlchemy, so it runs before that extension's own teardown (which
    then finds nothing to close). When PostgreSQL restarts mid-request, the teardown's
    rollback meets a dead connection: the server ended that transaction already and the
    response is made, but the error raised from the teardown turned it into a 500.
    """

    @app.teardown_appcontext
    def _close_session(_error) -> None:
        try:
            db.session.remove()
        except OperationalError as error:
            if not is_unreachable(error):
                raise
            log.warning("database connection lost before the session's end: %s", error.orig)
            db.session.registry.clear()  # the broken session goes; its connection is invalid


def begin_write(*, serialize: str | None = None) -> None:
    """Start a fresh transaction that holds the database's write lock on SQLite.

    Ends whatever read transaction the request had open. On PostgreSQL the caller locks the
    rows it changes with ``SELECT … FOR UPDATE`` instead; ``serialize`` names a transaction
    advisory lock for writes that check-then-insert (the first-admin rule of registration).
    A busy database ends in :class:`OperationalError`, which :func:`is_busy` recognises and
    the error handler turns into 503 + ``Retry-After``.
    """
    db.session.rollback()
    db.session.connection(execution_options={"write_lock": True})
    if is_postgres():
        if serialize:
            db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": serialize})


def commit_keeping_values() -> None:
    """Commit without expiring the session's objects.

    A commit expires every loaded object by default, and the request's next look at the
    saved page, its new revision or the signed-in user reloads each: on PostgreSQL a new
    transaction and a round trip apiece. After a write transaction they hold what it wrote
    (values set by SQL expressions are expired at the flush, and reloaded if read).
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def is_busy(error: BaseException) -> bool:
    """True for a database error that means "try again": locked, busy, or not reachable
    right now (:func:`is_unreachable`). Not a bug."""
    if not isinstance(error, OperationalError):
        return False
    if _sqlstate(error) in _PG_BUSY or is_unreachable(error):
        return True
    message = str(error.orig).lower()
    return "database is locked" in message or "database table is locked" in message


def is_unreachable(error: BaseException) -> bool:
    """True when the database server could not be reached or went away (PostgreSQL
    restarting): no query can run until it is back, not even the one that finds the user."""
    if not isinstance(error, OperationalError):
        return False
    code = _sqlstate(error) or ""
    return (
        error.connection_invalidated  # the connection broke under a statement
        or code in _PG_GONE
        or code.startswith("08")
        or str(error.orig).startswith("connection failed")  # psycopg, while connecting
    )


def _sqlstate(error: OperationalError) -> str | None:
    return getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def starts_with(column, prefix: str) -> ColumnElement[bool]:
    """``column`` begins with ``prefix``, in a form that uses the column's index: SQLite does
    not use an index for ``LIKE 'A/%'`` (LIKE ignores case there), but its binary order makes
    the test the range [``prefix``, ``prefix`` with its last character + 1). PostgreSQL's
    collation may not order that way, so it gets ``LIKE``."""
    if prefix and not is_postgres():
        return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1))
    return column.startswith(prefix, autoescape=True)


def dialect_insert(model):
    """An INSERT that supports ``on_conflict_do_update`` on SQLite and PostgreSQL alike."""
    return (postgresql.insert if is_postgres() else sqlite.insert)(model)


@functools.cache
def upsert(model, columns: tuple[str, ...], key: str | None, update: tuple[str, ...] = ()):
    """``INSERT … ON CONFLICT (key) DO UPDATE SET c = excluded.c`` for the ``update`` columns
    (``DO NOTHING`` without them), executed with a dict of ``columns``' values.

    For one-row upserts (every save's stale search row, a first visit, a view's render-cache
    fill): the dialects' ON CONFLICT constructs are compiled anew at each execution
    (SQLAlchemy 2.0 does not cache them), about 0.3 ms a time, a save's under the write lock.
    This text statement is the same SQL on SQLite and PostgreSQL, with the columns' types for
    its parameters, and SQLAlchemy compiles it once. Upserts that set an expression (a
    counter plus one) keep :func:`dialect_insert`.
    """
    table = model.__table__
    target = f" ({key})" if key else ""
    action = (
        "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update)
        if update
        else "DO NOTHING"
    )
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + c for c in columns)}) ON CONFLICT{target} {action}"
    )
    return text(sql).bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))


# Writes a request may skip (a visit, a render-cache fill, a missed search, "last seen"): they
# never queue readers behind a save. They run on a connection of their own (the request's
# session and its read transaction are left alone) and try the lock once: on SQLite
# BEGIN IMMEDIATE with no busy wait, on PostgreSQL a short lock_timeout. Busy means skipped.
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


def lock_pages(*where: ColumnElement[bool]) -> list[Page]:
    """The pages matching ``where``, locked for this write transaction: the one page lock.

    Call after :func:`begin_write`. On SQLite that transaction already holds the database's
    write lock; on PostgreSQL the rows are locked with ``SELECT … FOR UPDATE``, always in page
    id order, so two writers locking several pages can never deadlock.
    """
    stmt = select(Page).where(*where).order_by(Page.id)
    return list(db.session.scalars(stmt.with_for_update() if is_postgres() else stmt))


# -- the hottest reads, without a Session ----------------------------------------------------


class _Plan:
    """A Core SELECT compiled once for a dialect, with its parameters' and columns' type
    processors (SQLAlchemy's public ``bind_processor``/``result_processor``)."""

    def __init__(self, statement, dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.compiled = compiled
        self.sql = compiled.string
        self.positions = compiled.positiontup  # None for named parameter styles
        self.binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        columns = list(statement.selected_columns)
        self.results = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        ]
        self.row = namedtuple("Row", [c.key for c in columns], rename=True)

    def args(self, params: dict):
        values = self.compiled.construct_params(params)  # with the statement's own literals
        for name, process in self.binds.items():
            if process is not None:
                values[name] = process(values[name])
        return [values[name] for name in self.positions] if self.positions else values

    def make(self, values):
        return self.row(*(p(v) if p else v for p, v in zip(self.results, values, strict=True)))


_PLANS: dict[tuple[int, str], _Plan] = {}


def first_row(statement, params: dict):
    """The first row of ``statement`` (a Core SELECT built once, at module level) with
    ``params``, as a named tuple, or None.

    For the reads every page view makes: it runs on a pooled DBAPI connection, outside the
    Session and without a transaction of its own (~15 µs on SQLite, against ~100 µs for a
    Session's checkout, BEGIN, execute and rollback; on PostgreSQL one round trip, not
    three). Values go through the same type processors as SQLAlchemy's own results, and a
    single SELECT sees the latest committed data, as a fresh transaction would. Any driver
    error falls back to the Session, whose errors the app knows (busy database: 503).
    """
    engine = db.engine
    key = (id(statement), engine.dialect.name)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _Plan(statement, engine.dialect)
    try:
        raw = engine.raw_connection()
    except engine.dialect.loaded_dbapi.Error:  # no connection (server down): the Session's
        return db.session.execute(statement, params).first()  # error, which the app knows
    # On PostgreSQL in autocommit, as every read (_transactions_from_the_first_write): a
    # transaction would cost two more round trips (BEGIN, and ROLLBACK when the pool takes
    # the connection back) for the same answer.
    driver = raw.driver_connection if engine.dialect.name == "postgresql" else None
    try:
        if driver is not None and not driver.autocommit:
            driver.autocommit = True  # a pooled connection is idle
        cursor = raw.cursor()
        try:
            cursor.execute(plan.sql, plan.args(params))
            values = cursor.fetchone()
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error:
        raw.invalidate()
        return db.session.execute(statement, params).first()
    finally:
        raw.close()
    return None if values is None else plan.make(values)
