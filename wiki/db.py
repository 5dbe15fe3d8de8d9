"""Engine set-up and write transactions that serialize on SQLite and PostgreSQL alike."""

from sqlalchemy import event
from sqlalchemy.engine import Engine

from wiki.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15000


def configure_engines(engine: Engine) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for writes.

    pysqlite's own transaction handling begins lazily and cannot take the write lock up front;
    deferred transactions that read and then write fail with "database is locked" under
    concurrent saves, so we emit BEGIN ourselves (the recipe in SQLAlchemy's SQLite docs).
    """
    if engine.dialect.name != "sqlite":
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
        immediate = conn.get_execution_options().get("write_lock")
        if immediate == "nowait":  # best-effort writes try the lock once (wiki/best_effort.py)
            conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write() -> None:
    """Start a fresh transaction that holds the database's write lock on SQLite.

    Ends whatever read transaction the request had open. On PostgreSQL the caller locks the
    rows it changes with ``SELECT … FOR UPDATE`` instead.
    """
    db.session.rollback()
    db.session.connection(execution_options={"write_lock": True})


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"
