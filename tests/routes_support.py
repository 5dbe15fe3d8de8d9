"""Shared by the route-table tests (CSRF, permissions, headers).

It lists every (endpoint, method) of ``app.url_map``, seeds a wiki with a page in every
state (normal, protected, deleted) for every role, logs in one client per role, and builds a
realistic request for any route. A route whose URL arguments or form it cannot fill makes the
tests fail on purpose: a new route has to be taught here, and given expectations, before the
route-table tests pass.
"""

from __future__ import annotations

import atexit
import io
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, url_for
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from tests.conftest import CSRFClient
from wiki import create_app
from wiki.auth.accounts import create_user
from wiki.extensions import db
from wiki.files.service import store_upload
from wiki.lookup import find_page
from wiki.models import Page, User
from wiki.pages.drafts import save_draft
from wiki.pages.editing import save_edit
from wiki.structure.service import delete_page, set_protected
from wiki.tokens.service import create_token

PASSWORD = "password123"
ROLES = ("anonymous", "editor", "admin")
RESOURCES = ("normal", "protected", "deleted")
USERS = {"admin": "alice", "editor": "bob"}  # alice registers first, so she is the admin
TARGET_USER = "carol"  # the account admin actions are tried on
FILE_NAME = "note.txt"
TAG = "alpha"
BODIES = (
    "---\ntags: [alpha]\n---\nFirst text, links to [[Home]].\n",
    "---\ntags: [alpha]\n---\nSecond text, links to [[Home]].\n",
)
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    arguments: frozenset[str]

    @property
    def key(self) -> str:
        return f"{self.endpoint} {self.method}"

    @property
    def has_title(self) -> bool:
        return "title" in self.arguments


def routes_of(app: Flask) -> list[Route]:
    """Every (endpoint, method) the app answers, HEAD and OPTIONS aside."""
    found = {
        Route(rule.endpoint, method, frozenset(rule.arguments))
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IGNORED_METHODS
    }
    return sorted(found, key=lambda r: r.key)


def current_routes() -> list[Route]:
    """The routes of a freshly built app, for parametrizing at collection time."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="routes", SEARCH_INDEX_DIR=tmp
        )
        return routes_of(app)


def page_title(resource: str, role: str) -> str:
    """Each role acts on its own pages, so one role's rename or delete cannot hide another's."""
    return f"{resource.capitalize()} page for {role}"


@dataclass
class World:
    app: Flask
    clients: dict[str, CSRFClient]
    target_user_id: int
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self.numbers)}"


def _seed_page(title: str, resource: str, alice, bob) -> None:
    save_edit(title, BODIES[0], "first", None, alice)
    save_edit(title, BODIES[1], "second", 1, alice)
    page = find_page(title)
    for content in (b"version one\n", b"version two\n"):
        store_upload(page, FILE_NAME, content, alice.id, max_bytes=1 << 20)
    if resource == "normal":
        for user in (alice, bob):
            save_draft(user, title, f"Draft by {user.username}", base_rev=2, throttle=False)
    if resource == "protected":
        set_protected(title, True, alice)
    if resource == "deleted":
        delete_page(title, alice)


def seed(app: Flask) -> None:
    """Users alice (admin), bob (editor), carol (editor), a Home page, and for every role a
    page in every state, each with two revisions, a file in two versions and drafts."""
    with app.app_context():
        alice = create_user(USERS["admin"], PASSWORD)
        bob = create_user(USERS["editor"], PASSWORD)
        create_user(TARGET_USER, PASSWORD)
        db.session.commit()
        create_token(bob, "seeded", "read", None)
        save_edit("Home", "Welcome.\n", "", None, alice)
        for role in ROLES:
            for resource in RESOURCES:
                _seed_page(page_title(resource, role), resource, alice, bob)
        db.session.remove()
        db.engine.dispose()  # SQLite: checkpoints the WAL, so the file alone is the database


def login(app: Flask, role: str) -> CSRFClient:
    """A fresh client logged in as ``role`` (anonymous: not logged in)."""
    app.test_client_class = CSRFClient
    client = app.test_client()
    if role in USERS:
        response = client.post("/login", data={"username": USERS[role], "password": PASSWORD})
        assert response.status_code == 302, f"{USERS[role]} could not log in"
    return client


def world_for(app: Flask) -> World:
    """One logged-in client per role on a seeded ``app``."""
    with app.app_context():
        target = db.session.scalar(select(User.id).where(User.username == TARGET_USER))
        db.session.remove()
    clients = {role: login(app, role) for role in ROLES}
    return World(app=app, clients=clients, target_user_id=target)


# Seeded databases, built once per process and backend and copied for each test: seeding
# takes half a second, a copy a few milliseconds. Values: database path (SQLite) or URL.
_templates: dict[str, str] = {}
_clones = itertools.count(1)


def _pg_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def _pg_execute(url: str, *statements: str) -> None:
    """Run statements on the server's ``postgres`` database (CREATE/DROP DATABASE)."""
    engine = create_engine(_pg_url(url, "postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def _drop(name: str) -> str:
    return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'


def _seeded_template(backend: str, config: dict, migrated: dict) -> str:
    if backend in _templates:
        return _templates[backend]
    tmp = tempfile.mkdtemp(prefix="routes-seed-")
    atexit.register(shutil.rmtree, tmp, True)
    if backend == "sqlite":
        location = os.path.join(tmp, "seeded.db")
        shutil.copy(migrated["sqlite"], location)
        url = f"sqlite:///{location}"
    else:
        name = urlsplit(migrated["postgres"]).path.lstrip("/") + "_routes"
        url = location = _pg_url(migrated["postgres"], name)
        _pg_execute(url, _drop(name), f'CREATE DATABASE "{name}"')
        atexit.register(_pg_execute, url, _drop(name))
    index_dir = os.path.join(tmp, "search-index")
    app = create_app(**{**config, "SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": index_dir})
    with app.app_context():
        if backend != "sqlite":
            upgrade()
        seed(app)
    _templates[backend] = location
    return location


def seeded_app(backend: str, config: dict, migrated: dict, directory) -> tuple[Flask, object]:
    """A private copy of the seeded wiki, its files under ``directory``: ``(app, cleanup)``.

    ``config`` is the suite's ``app_config``; ``migrated`` its migrated schemas.
    """
    template = _seeded_template(backend, config, migrated)
    # No copy of the Whoosh folder: a new index is built from the database on first use.
    index_dir = os.path.join(directory, "seeded-index")
    drop = None
    if backend == "sqlite":
        path = os.path.join(directory, "seeded.db")
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
    else:
        source = urlsplit(template).path.lstrip("/")
        name = f"{source}_{next(_clones)}"
        url = _pg_url(template, name)
        _pg_execute(url, _drop(name), f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        drop = _drop(name)
    # A webhook posted by the route tables targets a closed loopback port: never the network.
    app = create_app(
        **{**config, "SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": index_dir},
        WIKI_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
    )

    def cleanup() -> None:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if drop:
            _pg_execute(url, drop)

    return app, cleanup


_shared: dict[str, World] = {}


@contextmanager
def seeded_world(backend: str, config: dict, migrated: dict, directory) -> Iterator[World]:
    """A seeded wiki of its own for one test (dropped afterwards)."""
    app, cleanup = seeded_app(backend, config, migrated, str(directory))
    try:
        yield world_for(app)
    finally:
        cleanup()


def resources_of(route: Route) -> tuple[str, ...]:
    """The page states a route is tried on: all of them when its URL names a page."""
    return RESOURCES if route.has_title else ("normal",)


def get_cells(world: World) -> Iterator[tuple[Route, str, str]]:
    """Every (GET route, page state, role) of the route table."""
    for route in routes_of(world.app):
        if route.method == "GET":
            for resource in resources_of(route):
                for role in ROLES:
                    yield route, resource, role


def shared_world(backend: str, config: dict, migrated: dict) -> World:
    """One seeded wiki per process and backend for requests that change nothing (GETs, and
    POSTs that must be refused): a fresh PostgreSQL copy costs over half a second."""
    if backend not in _shared:
        directory = tempfile.mkdtemp(prefix="routes-shared-")
        app, cleanup = seeded_app(backend, config, migrated, directory)
        atexit.register(shutil.rmtree, directory, True)
        atexit.register(cleanup)  # runs first: dispose, then drop the database
        _shared[backend] = world_for(app)
    return _shared[backend]


def _argument(route: Route, name: str, title: str, world: World):
    if name == "title":
        return title
    if route.endpoint == "history.contributions" and name == "name":
        return USERS["editor"]
    if name in COLLAB_ARGUMENTS:  # issue 16: no thread, comment or webhook is seeded (404)
        value = COLLAB_ARGUMENTS[name]
        return value.get(route.endpoint, "promote") if isinstance(value, dict) else value
    values = {
        "name": FILE_NAME,
        "user_id": world.target_user_id,
        "action": "promote",
        "tag": TAG,
        "filename": "css/wiki.css",
        "token_id": 1,  # bob's, made by seed()
    }
    if name not in values:
        raise AssertionError(
            f"tests/routes_support.py cannot fill <{name}> of {route.key}: teach _argument()"
        )
    return values[name]


COLLAB_ARGUMENTS = {
    "thread_id": 1,
    "comment_id": 1,
    "hook_id": 1,
    "token": "not-a-valid-token",
    "action": {
        "discuss.resolve": "resolve",
        "discuss.hide": "hide",
        "notify.webhook_action": "test",
        "review.reviewer": "grant",
    },
}

# Query strings that make a route do its real work rather than refuse a half request.
QUERIES = {
    "history.diff GET": {"from": "1", "to": "2"},
    "history.revert POST": {"rev": "1"},
    "pages.view GET": {},
    "review.mark POST": {"rev": "1"},
    "api.get_diff GET": {"from": "1", "to": "2"},
    "api.search GET": {"q": "text"},
}


def _form(route: Route, title: str, role: str, world: World) -> dict:
    """A complete, valid form for each POST route (the CSRF token is added by the client)."""
    forms = {
        "auth.login": lambda: {"username": USERS["editor"], "password": PASSWORD},
        "auth.logout": dict,
        "auth.end_other_sessions": dict,
        "auth.register": lambda: {
            "username": world.unique("newcomer"),
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
        "auth.profile": lambda: {
            "current": PASSWORD,
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
        "pages.edit": lambda: {
            "body": f"Edited by {role}.\n",
            "summary": "matrix",
            "base_rev": "2",
            "save": "Save",
        },
        "pages.preview": lambda: {"body": "# Preview", "title": title},
        "pages.save_draft": lambda: {"body": f"Autosaved by {role}.", "base_rev": "2"},
        "pages.discard_draft": dict,
        "structure.rename": lambda: {"new_title": f"{title} moved", "submit": "Rename"},
        "structure.delete": dict,
        "structure.restore": dict,
        "structure.protect": lambda: {"protected": "1"},
        "files.upload": lambda: {"file": (io.BytesIO(b"uploaded\n"), "upload.txt")},
        "files.restore": lambda: {"name": FILE_NAME, "version": "1"},
        "history.revert": dict,
        "admin.user_action": dict,
        "structure.dismiss_wanted": lambda: {"title": "Wanted by many"},
        "discuss.new_thread": lambda: {"subject": f"Question from {role}", "body": "Why?"},
        "discuss.reply": lambda: {"body": "Because."},
        "discuss.resolve": dict,
        "discuss.edit_comment": lambda: {"body": "Edited."},
        "discuss.hide": dict,
        "notify.watch": dict,
        "notify.unwatch": dict,
        "notify.mark_read": dict,
        "notify.settings": lambda: {"email": "", "email_notifications": "off", "auto_watch": "y"},
        "notify.unsubscribe": dict,
        "notify.webhooks_admin": lambda: {
            "url": "http://127.0.0.1:9/hook",
            "events": "page.saved",
            "secret": "s",
            "format": "json",
        },
        "notify.webhook_action": dict,
        "review.mark": dict,
        "tokens.tokens": lambda: {"name": f"token of {role}", "scope": "read"},
        "tokens.revoke": dict,
        "api.put_page": lambda: {"body": f"Edited by {role}.\n", "base_rev": "2"},
        "review.reviewer": dict,
    }
    if route.endpoint not in forms:
        raise AssertionError(
            f"tests/routes_support.py has no form for {route.key}: add one to _form()"
        )
    return forms[route.endpoint]()


def request_for(route: Route, world: World, resource: str, role: str) -> tuple[str, dict | None]:
    """(url, form) for one cell; form is None for GET."""
    title = page_title(resource, role)
    values = {name: _argument(route, name, title, world) for name in sorted(route.arguments)}
    values.update(QUERIES.get(route.key, {}))
    with world.app.test_request_context():
        url = url_for(route.endpoint, **values)
    if route.method == "GET":
        return url, None
    return url, _form(route, title, role, world)


def send(world: World, route: Route, resource: str, role: str, *, csrf: bool = True):
    """Make the request of one cell as ``role``; returns the test response."""
    url, form = request_for(route, world, resource, role)
    client = world.clients[role]
    if route.method == "GET":
        return client.get(url)
    if route.method == "POST":
        return client.post(url, data=form, csrf=csrf)
    return client.open(url, method=route.method, data=form)


def fingerprint(app: Flask) -> dict[str, object]:
    """Row counts of every table plus each page's state: what a refused request must not
    change."""
    result: dict[str, object] = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            result[table.name] = db.session.scalar(select(func.count()).select_from(table))
        result["pages"] = sorted(
            db.session.execute(
                select(Page.title, Page.current_rev, Page.protected, Page.deleted)
            ).all()
        )
        db.session.remove()
    return result
