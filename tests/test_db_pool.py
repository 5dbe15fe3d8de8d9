"""What wiki.db does with pooled connections, and the round trips it saves.

- A PostgreSQL connection is pinged at checkout only after sitting idle
  (``_ping_when_idle``); one the server closed meanwhile is replaced before a request uses
  it. SQLite never pings: a file does not drop connections.
- On PostgreSQL reads run in autocommit and a transaction begins at the first statement that
  writes or locks (``_transactions_from_the_first_write``); ``only_reads`` tells them apart.
  From there the transaction is atomic and keeps its locks to its end; a server-side cursor
  gets a transaction; a transaction that wrote or failed is rolled back as a whole; requests
  that only read send no ROLLBACK, and a transaction that only locked ends with a COMMIT
  (``changes_nothing``), so psycopg keeps its prepared statements.
- A connection lost mid-request (PostgreSQL restarting) does not turn the request's
  teardown into a 500 (``close_sessions_at_teardown``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import TEST_DATABASE_URL, save_page
from wiki import db as wiki_db
from wiki.extensions import db
from wiki.models import Page


def _count_pings(engine, monkeypatch) -> list:
    pings: list = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def _terminate(engine, which: str) -> int:
    """End the server's side of this database's connections ``which`` (SQL on
    pg_stat_activity), as a restart does; how many were ended."""
    killer = engine.pool.recreate()  # a pool of its own: not among those ended
    raw = killer.connect()
    try:
        cursor = raw.cursor()
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            f" WHERE datname = current_database() AND {which}"
        )
        ended = cursor.fetchone()[0]
        cursor.close()
    finally:
        raw.close()
        killer.dispose()
    return ended


def _use_the_pool(engine, times: int) -> None:
    for _ in range(times):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def test_a_connection_used_moments_ago_is_not_pinged_and_an_idle_one_is(app, backend, monkeypatch):
    with app.app_context():
        engine = db.engine
        pings = _count_pings(engine, monkeypatch)
        _use_the_pool(engine, 3)  # each checkout follows a checkin of moments ago
        assert pings == []
        monkeypatch.setattr(wiki_db, "PING_AFTER_IDLE", 0.0)  # every pooled one is "idle"
        _use_the_pool(engine, 2)
        assert len(pings) == (2 if backend == "postgres" else 0)


def test_a_connection_the_server_closed_while_idle_is_replaced_before_use(
    app, client, editor, backend, monkeypatch
):
    assert save_page(client, "Otter", "Otters hold hands.\n").status_code == 302
    with app.app_context():
        engine = db.engine
        if backend == "postgres":  # the server ends every pooled connection of this app
            assert _terminate(engine, "pid <> pg_backend_pid()") >= 1
        monkeypatch.setattr(wiki_db, "PING_AFTER_IDLE", 0.0)
        # Pinged at checkout and replaced: the statement never meets the closed connection.
        _use_the_pool(engine, engine.pool.size())
    page = client.get("/wiki/Otter")
    assert page.status_code == 200 and "Otters hold hands." in page.get_data(as_text=True)
    assert save_page(client, "Otter", "Otters hold hands asleep.\n", base_rev=1).status_code == 302


def _driver(session_or_conn):
    return session_or_conn.connection().connection.driver_connection


# PostgreSQL's own behaviour: these exist when TEST_DATABASE_URL is set (CI sets it). On SQLite
# the write lock is wiki.db's own BEGIN IMMEDIATE, which other tests cover.
ON_POSTGRES = pytest.mark.parametrize(
    "backend", ["postgres"] if TEST_DATABASE_URL else [], indirect=True
)


@ON_POSTGRES
def test_reads_run_outside_transactions_and_a_transaction_begins_at_the_first_write(
    app, client, editor, backend
):
    """On PostgreSQL a read needs no BEGIN (nor COMMIT): the connection stays in autocommit
    until a statement writes; from there the transaction holds every statement to its end."""
    from psycopg.pq import TransactionStatus

    assert save_page(client, "Heron", "Herons wait.\n").status_code == 302
    with app.app_context():
        statement = select(Page.id).where(Page.title == "Heron")
        for _ in range(db.engine.pool.size() + 1):  # first_row on every pooled connection
            assert wiki_db.first_row(statement, {}) is not None
        assert db.session.scalar(select(Page.title)) == "Heron"
        driver = _driver(db.session)
        assert driver.autocommit and driver.info.transaction_status == TransactionStatus.IDLE
        db.session.execute(text("UPDATE pages SET title = 'Egret' WHERE title = 'Heron'"))
        assert not driver.autocommit
        assert driver.info.transaction_status == TransactionStatus.INTRANS
        assert db.session.scalar(select(Page.title)) == "Egret"  # inside the transaction
        db.session.execute(text("UPDATE pages SET current_rev = 7"))
        db.session.rollback()  # both writes go, as one transaction
        assert db.session.scalars(select(Page.title)).all() == ["Heron"]
        assert db.session.scalar(select(Page.current_rev)) == 1
        assert _driver(db.session).autocommit  # the next read: outside a transaction again


@ON_POSTGRES
def test_locks_taken_by_a_select_last_until_the_transaction_ends(app, client, editor, backend):
    """SELECT … FOR UPDATE (the page lock) and advisory locks (begin_write's ``serialize``)
    are statements that read: each must begin the transaction that keeps its lock."""
    assert save_page(client, "Heron", "Herons wait.\n").status_code == 302
    with app.app_context():
        other = db.engine.connect()
        try:
            wiki_db.begin_write(serialize="first admin")
            assert [p.title for p in wiki_db.lock_pages(Page.title == "Heron")] == ["Heron"]
            held = other.execute(
                text("SELECT pg_try_advisory_lock(hashtext('first admin'))")
            ).scalar()
            assert held is False
            try:
                other.execute(text("SELECT id FROM pages FOR UPDATE NOWAIT"))
                raise AssertionError("the page's row lock was not held")
            except DBAPIError:
                other.rollback()
            db.session.commit()
            assert other.execute(text("SELECT id FROM pages FOR UPDATE NOWAIT")).all()
            other.rollback()
        finally:
            other.close()


def test_server_side_cursors_run_in_a_transaction(app, client, editor):
    """``yield_per`` declares a server-side cursor on PostgreSQL, which lives in a
    transaction: a read of that kind begins one."""
    for title in ("Heron", "Egret", "Ibis"):
        assert save_page(client, title, f"{title}s wait.\n").status_code == 302
    with app.app_context():
        rows = db.session.execute(select(Page.title).execution_options(yield_per=1))
        assert sorted(row.title for row in rows) == ["Egret", "Heron", "Ibis"]
        db.session.rollback()


def test_only_reads_tells_reads_from_everything_else():
    assert wiki_db.only_reads("SELECT pages.id FROM pages WHERE pages.title = %(t)s")
    assert wiki_db.only_reads("  (SELECT 1) UNION (SELECT 2)")
    assert wiki_db.only_reads("WITH ranked AS (SELECT 1) SELECT * FROM ranked")
    for statement in (
        "INSERT INTO pages (title) VALUES ('x')",
        "update pages set title = 'x'",
        "WITH gone AS (DELETE FROM drafts RETURNING id) SELECT count(*) FROM gone",
        "SELECT * FROM pages WHERE id = 1 FOR UPDATE",
        "SELECT * FROM pages WHERE id = 1 FOR NO KEY UPDATE",
        "SELECT * FROM pages WHERE id = 1 FOR KEY SHARE",
        "SELECT pg_advisory_xact_lock(hashtext('first admin'))",
        "SELECT nextval('pages_id_seq')",
        "SET LOCAL lock_timeout = '50ms'",
        "",
    ):
        assert not wiki_db.only_reads(statement), statement


def _prepared_statements(on=None) -> int:
    """The prepared statements of the session's connection, or of connection ``on``."""
    return (on or db.session).scalar(text("SELECT count(*) FROM pg_prepared_statements"))


def test_changes_nothing_allows_locks_that_end_with_the_transaction():
    for statement in (
        "SELECT pages.id FROM pages WHERE pages.title = %(t)s",
        "SELECT * FROM pages WHERE id = 1 FOR UPDATE",
        "SELECT * FROM pages WHERE id = 1 FOR NO KEY UPDATE OF pages NOWAIT",
        "SELECT * FROM pages WHERE id = 1 FOR KEY SHARE",
        "SELECT pg_advisory_xact_lock(hashtext('first admin'))",
    ):
        assert wiki_db.changes_nothing(statement), statement
    for statement in (
        "UPDATE pages SET title = 'x' WHERE id = 1",
        "WITH gone AS (DELETE FROM drafts RETURNING id) SELECT id FROM gone FOR UPDATE",
        "SELECT pg_advisory_lock(1)",  # a session's lock outlives its transaction
        "SELECT pg_notify('pages', 'saved')",  # sent at a COMMIT, dropped at a ROLLBACK
        "SELECT nextval('pages_id_seq')",
        "SAVEPOINT sa_savepoint_1",
    ):
        assert not wiki_db.changes_nothing(statement), statement


@ON_POSTGRES
def test_a_transaction_that_only_locked_keeps_the_prepared_statements(app, client, editor, backend):
    """A save that finds its page moved on, or in conflict, took the page lock and wrote
    nothing: its transaction ends with a COMMIT, which releases the lock as a ROLLBACK would
    without psycopg forgetting its prepared statements; one that wrote is rolled back."""
    assert save_page(client, "Wren", "Wrens sing loud.\n").status_code == 302
    with app.app_context(), db.engine.connect() as conn, db.engine.connect() as other:
        title = select(Page.title).where(Page.title == "Wren")
        for _ in range(6):
            assert conn.execute(title).scalar() == "Wren"
        prepared = _prepared_statements(conn)
        assert prepared >= 1
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('wren'))"))
        conn.execute(select(Page.id).where(Page.title == "Wren").with_for_update())
        conn.rollback()
        assert other.execute(text("SELECT id FROM pages FOR UPDATE NOWAIT")).all()
        assert other.execute(text("SELECT pg_try_advisory_xact_lock(hashtext('wren'))")).scalar()
        other.rollback()
        assert _prepared_statements(conn) == prepared
        conn.execute(select(Page.id).where(Page.title == "Wren").with_for_update())
        conn.execute(text("UPDATE pages SET title = 'Robin'"))
        conn.rollback()
        assert conn.execute(title).scalar() == "Wren"  # the write was undone


def test_requests_that_only_read_keep_their_prepared_statements(app, client, editor, backend):
    """psycopg prepares a statement at its fifth run on a connection and forgets them all
    at a ROLLBACK: each request ended so, and nothing stayed prepared."""
    assert save_page(client, "Wren", "Wrens sing loud.\n").status_code == 302
    with app.app_context():
        pooled = db.engine.pool.size()
    for _ in range(6 * pooled):  # every pooled connection serves at least six
        assert client.get("/raw/Wren").status_code == 200
    with app.app_context():
        if backend == "postgres":
            assert _prepared_statements() >= 1
        statement = select(Page.title).where(Page.title == "Wren")
        for _ in range(6 * pooled):  # a Session's rollback after reads: nothing to roll back
            assert db.session.scalar(statement) == "Wren"
            db.session.rollback()
        if backend == "postgres":
            assert _prepared_statements() >= 1


def test_a_transaction_that_wrote_or_failed_is_still_rolled_back(app, client, editor):
    assert save_page(client, "Wren", "Wrens sing loud.\n").status_code == 302
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == "Wren"))
        page.title = "Robin"
        db.session.flush()  # the ORM's UPDATE
        db.session.rollback()
        db.session.execute(text("UPDATE pages SET title = 'Robin'"))  # a text statement
        db.session.rollback()
        assert db.session.scalars(select(Page.title)).all() == ["Wren"]
        try:
            db.session.execute(text("SELECT no_such_column FROM pages"))
        except DBAPIError:
            db.session.rollback()  # a failed transaction: rolled back, the session usable
        assert db.session.scalar(select(Page.title)) == "Wren"


def test_a_connection_lost_mid_request_does_not_fail_its_teardown(app, client, editor, backend):
    """PostgreSQL restarting mid-request: the session's rollback at teardown meets a dead
    connection; that raised from the teardown and made the response a 500."""
    assert save_page(client, "Wren", "Wrens sing loud.\n").status_code == 302
    with app.app_context():  # its teardown is the request's
        assert db.session.scalar(select(Page.title)) == "Wren"  # a transaction is open
        if backend == "postgres":
            pid = db.session.scalar(text("SELECT pg_backend_pid()"))
            assert _terminate(db.engine, f"pid = {int(pid)}") == 1
    assert client.get("/raw/Wren").status_code == 200


@ON_POSTGRES
def test_a_lock_only_transaction_on_a_lost_connection_rolls_back(app, client, editor, backend):
    """The COMMIT that ends a transaction which only locked is not tried on a connection
    SQLAlchemy invalidated (the server ended it): the session's rollback works as ever."""
    assert save_page(client, "Wren", "Wrens sing loud.\n").status_code == 302
    with app.app_context():
        wiki_db.begin_write()
        assert [p.title for p in wiki_db.lock_pages(Page.title == "Wren")] == ["Wren"]
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        assert _terminate(db.engine, f"pid = {int(pid)}") == 1
        try:
            db.session.execute(text("SELECT 1"))
            raise AssertionError("the ended connection answered")
        except DBAPIError as error:
            assert error.connection_invalidated
        db.session.rollback()
        assert db.session.scalar(select(Page.title)) == "Wren"
