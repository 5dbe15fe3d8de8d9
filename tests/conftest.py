"""Fixtures: an app on a fresh database per test (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), a CSRF-aware client, and small auth helpers.

The schema is built with the real migrations once per session (and per xdist worker); each
test then gets a copy (SQLite) or truncated tables (PostgreSQL).
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
from urllib.parse import urlsplit, urlunsplit

import jinja2
import pytest
import redis
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, select, text

from wiki import create_app
from wiki.extensions import db
from wiki.jobs.worker import Worker as JobWorker
from wiki.models import Page
from wiki.search import indexer as search_indexer
from wiki.search import misses as search_misses

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BACKENDS = ["sqlite"] + (["postgres"] if TEST_DATABASE_URL else [])


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Temporary files (SQLite copies, search indexes, uploads) in memory where the machine
    has a tmpfs: thousands of small databases per run need not wait on the disk."""
    if config.option.basetemp or not os.access("/dev/shm", os.W_OK):
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # xdist gives each worker a directory under the controller's basetemp
    config.option.basetemp = f"/dev/shm/nexus-pytest-{_checkout_tag()}"


def pytest_runtest_logreport(report):
    # CI sets WIKI_REQUIRE_ALL_BACKENDS: a skipped test there is a missing dependency.
    if os.environ.get("WIKI_REQUIRE_ALL_BACKENDS") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run everything: {report.longrepr}"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _checkout_tag() -> str:
    """Short tag of this checkout's path: two checkouts testing at once get separate databases."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return hashlib.sha1(root.encode()).hexdigest()[:6]


def _pg_worker_url() -> str:
    """One database per checkout and xdist worker, created on first use from TEST_DATABASE_URL."""
    base = TEST_DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_nexus_{_checkout_tag()}_{_worker()}"
    admin = create_engine(
        urlunsplit(parts._replace(scheme="postgresql+psycopg")), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:  # fails loudly when PostgreSQL is unreachable
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database need not survive a power cut: commits do not wait for the disk.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    return urlunsplit(parts._replace(scheme="postgresql+psycopg", path="/" + name))


def _migrate(url: str, tmp: str) -> None:
    from flask_migrate import upgrade

    app = create_app(
        TESTING=True, SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_DIR=os.path.join(tmp, "ix")
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """Migrated schemas, built once: {'sqlite': path of a template file, 'postgres': url}."""
    tmp = str(tmp_path_factory.mktemp("schema"))
    result = {}
    template = os.path.join(tmp, "template.db")
    _migrate(f"sqlite:///{template}", tmp)
    result["sqlite"] = template
    if TEST_DATABASE_URL:
        url = _pg_worker_url()
        _migrate(url, tmp)
        result["postgres"] = url
    return result


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


# Empties every table and restarts every sequence that was used, as
# ``TRUNCATE <all tables> RESTART IDENTITY CASCADE`` would, in one round trip. A test leaves a
# handful of rows: deleting them takes milliseconds, while TRUNCATE gives each of the ~30
# tables new files (0.2-0.5 s per test, paid by the ~1,100 PostgreSQL tests).
# ``session_replication_role = replica`` switches off the foreign-key triggers (every table is
# emptied, so none is left dangling) and, like TRUNCATE, fires no user trigger.
_EMPTY_ALL = """
DO $$
DECLARE r record;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOR r IN SELECT tablename FROM pg_tables
           WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
    EXECUTE format('DELETE FROM %I', r.tablename);
  END LOOP;
  FOR r IN SELECT sequencename FROM pg_sequences
           WHERE schemaname = 'public' AND last_value IS NOT NULL LOOP
    EXECUTE format('ALTER SEQUENCE %I RESTART', r.sequencename);
  END LOOP;
END $$
"""
_RESET_ENGINES: dict = {}


def _truncate_all(url: str) -> None:
    """Empty the test database between tests (ids start at 1 again)."""
    if url not in _RESET_ENGINES:
        engine = create_engine(url, pool_size=1, pool_pre_ping=True)
        with engine.connect() as conn:
            superuser = conn.scalar(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            )
        _RESET_ENGINES[url] = (engine, superuser)
    engine, superuser = _RESET_ENGINES[url]
    with engine.begin() as conn:
        if superuser:
            conn.execute(text(_EMPTY_ALL))
            return
        # Without the right to switch off triggers: the slow, always-allowed way.
        tables = [
            r[0]
            for r in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            if r[0] != "alembic_version"
        ]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(backend, migrated, tmp_path) -> str:
    if backend == "sqlite":
        path = tmp_path / "wiki.db"
        shutil.copy(migrated["sqlite"], path)
        return f"sqlite:///{path}"
    _truncate_all(migrated["postgres"])
    return migrated["postgres"]


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Overrides for create_app; tests may add to it before using ``app``."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        # Each test its own render slots: another xdist worker's slow render must not hold it.
        "WIKI_RENDER_SLOTS_FILE": str(tmp_path / "render-slots.lock"),
        "SECRET_KEY": "test-secret",
        "RATELIMIT_STORAGE_URI": "process-memory://",
        "WIKI_RENDER_TIMEOUT": 10.0,
        # A cheap KDF keeps the many registrations of the suite fast; production uses scrypt.
        "WIKI_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # A save is searched for at once in many tests: index before answering (the
        # indexer thread of production is tested in tests/test_search_indexer.py).
        "SEARCH_SYNC": "request",
    }


class SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates shared by every app of one test process.

    Each test builds its own app, and a new app compiles every template it renders again
    (~0.1 s of CPU for a few pages, a third of a small test). The compiled code depends only
    on the template's source and the environment's compile options, so it is kept under
    both: a template edited on disk or an environment set up differently compiles anew.
    Every template is still compiled, and rendered by each test's own environment.
    """

    def __init__(self) -> None:
        self._code: dict = {}

    @staticmethod
    def _key(bucket: jinja2.bccache.Bucket) -> tuple:
        env = bucket.environment
        autoescape = getattr(env.autoescape, "__func__", env.autoescape)
        options = (
            env.block_start_string, env.block_end_string, env.variable_start_string,
            env.variable_end_string, env.comment_start_string, env.comment_end_string,
            env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks,
            env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
            env.optimized, env.is_async, autoescape, tuple(sorted(env.extensions)),
        )  # fmt: skip
        return bucket.key, bucket.checksum, options

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(self._key(bucket))
        if code is not None:
            bucket.code = code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[self._key(bucket)] = bucket.code


TEMPLATE_CODE = SharedTemplateCode()


@pytest.fixture
def app(app_config):
    app = create_app(**app_config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    yield app
    search_misses.discard(app)  # its background writer must not reach the next test's database
    search_indexer.stop(app)  # nor its indexer thread
    # Nor its job thread (thread mode), whose sweeps would wake a later test's job process.
    jobs_worker = app.extensions.get("nexus_jobs_worker")
    if jobs_worker is not None:
        jobs_worker.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class CSRFClient(FlaskClient):
    """A test client that adds a valid CSRF token to every POST, unless ``csrf=False``.

    CSRF stays on in tests; the token is minted the way Flask-WTF does, for this session.
    """

    def csrf_token(self) -> str:
        app = self.application
        with self.session_transaction() as sess:
            raw = sess.setdefault("csrf_token", os.urandom(20).hex())
        serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf:
            data = kwargs.get("data")
            if data is None:
                data = kwargs["data"] = {}
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
            kwargs.setdefault("headers", {})
        return super().post(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = CSRFClient
    return app.test_client()


@pytest.fixture
def redis_db():
    """Redis for limits shared by several servers; tests use their own key prefixes."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        client.close()
        pytest.skip(f"needs Redis at {REDIS_URL} (RATELIMIT_STORAGE_URI for several servers)")
    yield client
    client.close()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client: CSRFClient):
        self.client = client

    def register(self, username: str = "alice", password: str = "password123"):
        return self.client.post(
            "/register", data={"username": username, "password": password, "confirm": password}
        )

    def login(self, username: str = "alice", password: str = "password123"):
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def editor(auth):
    """An admin ('alice', first account) and a logged-in editor ('bob')."""
    auth.register("alice")
    auth.logout()
    auth.register("bob")
    return auth


def current_rev(app, title: str) -> int:
    """The number of ``title``'s current revision, 0 when there is no such page."""
    with app.app_context():
        return db.session.scalar(select(Page.current_rev).where(Page.title == title)) or 0


def refused_editor_page(response, typed: str, base_rev: int) -> str:
    """Assert ``response`` is a 503 with ``Retry-After`` showing the editor with the text
    the user ``typed`` (escaped) on ``base_rev``, and return its page."""
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert html.escape(typed, quote=False) in page  # the editor, the text in it
    assert f'name="base_rev" type="hidden" value="{base_rev}"' in page
    return page


def save_page(client, title: str, body: str, *, base_rev=None, summary: str = ""):
    """POST the edit form the way the browser does; returns the response."""
    from wiki.text.titles import title_to_path

    if base_rev is None:
        page = client.get(f"/edit/{title_to_path(title)}")
        match = re.search(rb'name="base_rev" type="hidden" value="(\d*)"', page.data)
        base_rev = match.group(1).decode() if match else ""
    return client.post(
        f"/edit/{title_to_path(title)}",
        data={"body": body, "summary": summary, "base_rev": str(base_rev), "save": "Save"},
    )


@pytest.fixture(autouse=True)
def _stop_job_threads():
    """Stop every in-app job thread a test started. The ``app`` fixture stops its own, but
    apps made by create_app elsewhere (the browser tests' live servers, the multi-server
    tests) left theirs running for the rest of the session: sweeping a deleted database, and
    calling the jobs later tests registered."""
    started: list[JobWorker] = []
    ensure_started = JobWorker.ensure_started

    def tracked(worker: JobWorker) -> None:
        if worker not in started:
            started.append(worker)
        ensure_started(worker)

    JobWorker.ensure_started = tracked
    try:
        yield
    finally:
        JobWorker.ensure_started = ensure_started
        for worker in started:
            worker.stop()
