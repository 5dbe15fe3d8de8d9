"""Playwright fixtures: Debian's Chromium against the app served on a loopback port.

Each test gets a fresh database (copied from the migrated template) and a live server in a
thread. CSP violations and page errors are collected and fail the test.

Browser tests are spread over the xdist workers like any other test: each worker starts its
own Chromium (the session-scoped ``browser``) when it first gets one. (An ``xdist_group``
added in a conftest's ``pytest_collection_modifyitems`` never kept them together: xdist's
own hook reads the groups first, unless the conftest hook is ``tryfirst``. One worker
driving all ~300 s of them while the other finished the rest would be slower anyway.)
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import TEMPLATE_CODE
from wiki import create_app
from wiki.extensions import db

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.browser)
        # The slowest journey takes ~15 s on a busy machine; a hung browser call should
        # cost the suite 2 minutes, not the global 5.
        item.add_marker(pytest.mark.timeout(120))


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_app(migrated, tmp_path):
    path = tmp_path / "wiki.db"
    shutil.copy(migrated["sqlite"], path)
    app = create_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}",
        SEARCH_INDEX_DIR=str(tmp_path / "search-index"),
        SECRET_KEY="browser-test",
        RATELIMIT_STORAGE_URI="process-memory://",
        WIKI_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
        SEARCH_SYNC="request",  # searched for right after saving
    )
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    server = LiveServer(live_app)
    yield server
    server.stop()


class PageProblems(list):
    """Console CSP violations and uncaught page errors seen during a test."""


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


def watch(page, problems: PageProblems):
    """Record CSP violations, page errors and dialogs (an XSS would open one)."""
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if "Content Security Policy" in msg.text or msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda err: problems.append(f"pageerror: {err}"))

    def on_dialog(dialog):
        if dialog.type == "beforeunload":  # "leave with unsaved changes?": the test meant to
            dialog.accept()
            return
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page


@pytest.fixture
def page(context, problems):
    page = watch(context.new_page(), problems)
    yield page
    assert not [p for p in problems if "Content Security Policy" in p or "pageerror" in p], problems


def register(page, username="alice", password="password123"):
    page.goto("/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")


def screenshot(page, name: str) -> str:
    """Save a screenshot under test-artifacts/ (for people to look at)."""
    os.makedirs("test-artifacts", exist_ok=True)
    path = os.path.join("test-artifacts", f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path


def assert_no_horizontal_overflow(page):
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"page overflows horizontally by {overflow}px"
