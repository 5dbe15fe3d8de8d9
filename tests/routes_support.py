"""Shared by the route-table tests (CSRF, permissions, headers).

It lists every (endpoint, method) of ``app.url_map``, seeds a wiki with a page in every
state (normal, protected, deleted) for every role, logs in one client per role, and builds a
realistic request for any route. A route whose URL arguments or form it cannot fill makes the
tests fail on purpose: a new route has to be taught here, and given expectations, before the
route-table tests pass.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field

from flask import Flask, url_for
from sqlalchemy import func, select

from wiki import create_app
from wiki.accounts import create_user
from wiki.attachments import store_upload
from wiki.drafts import save_draft
from wiki.editing import save_edit
from wiki.extensions import db
from wiki.lookup import find_page
from wiki.structure_service import delete_page, set_protected

from .conftest import CSRFClient

PASSWORD = "password123"
ROLES = ("anonymous", "editor", "admin")
RESOURCES = ("normal", "protected", "deleted")
USERS = {"admin": "alice", "editor": "bob"}  # alice registers first, so she is the admin
TARGET_USER = "carol"  # the account admin actions are tried on
FILE_NAME = "note.txt"
TAG = "alpha"
BODIES = ("---\ntags: [alpha]\n---\nFirst text, links to [[Home]].\n", "Second text.\n")
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
    counter: list[int] = field(default_factory=lambda: [0])

    def unique(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}{self.counter[0]}"


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


def seed(app: Flask) -> World:
    """Users alice (admin), bob (editor), carol (editor); the pages; one client per role."""
    with app.app_context():
        alice = create_user(USERS["admin"], PASSWORD)
        bob = create_user(USERS["editor"], PASSWORD)
        carol = create_user(TARGET_USER, PASSWORD)
        db.session.commit()
        carol_id = carol.id
        for role in ROLES:
            for resource in RESOURCES:
                _seed_page(page_title(resource, role), resource, alice, bob)
        db.session.remove()
    app.test_client_class = CSRFClient
    clients = {role: app.test_client() for role in ROLES}
    for role, name in USERS.items():
        response = clients[role].post("/login", data={"username": name, "password": PASSWORD})
        assert response.status_code == 302, f"{name} could not log in"
    return World(app=app, clients=clients, target_user_id=carol_id)


def _argument(route: Route, name: str, title: str, world: World):
    if name == "title":
        return title
    if route.endpoint == "history.contributions" and name == "name":
        return USERS["editor"]
    values = {
        "name": FILE_NAME,
        "user_id": world.target_user_id,
        "action": "promote",
        "tag": TAG,
        "filename": "css/wiki.css",
    }
    if name not in values:
        raise AssertionError(
            f"tests/routes_support.py cannot fill <{name}> of {route.key}: teach _argument()"
        )
    return values[name]


# Query strings that make a route do its real work rather than refuse a half request.
QUERIES = {
    "history.diff GET": {"from": "1", "to": "2"},
    "history.revert POST": {"rev": "1"},
    "pages.view GET": {},
}


def _form(route: Route, title: str, role: str, world: World) -> dict:
    """A complete, valid form for each POST route (the CSRF token is added by the client)."""
    forms = {
        "auth.login": lambda: {"username": USERS["editor"], "password": PASSWORD},
        "auth.logout": dict,
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
    }
    if route.endpoint not in forms:
        raise AssertionError(
            f"tests/routes_support.py has no form for {route.key}: add one to _form()"
        )
    return forms[route.endpoint]()


def request_for(
    route: Route, world: World, resource: str, role: str
) -> tuple[str, dict | None]:
    """(url, form) for one cell; form is None for GET."""
    title = page_title(resource, role)
    values = {name: _argument(route, name, title, world) for name in sorted(route.arguments)}
    values.update(QUERIES.get(route.key, {}))
    with world.app.test_request_context():
        url = url_for(route.endpoint, **values)
    if route.method == "GET":
        return url, None
    return url, _form(route, title, role, world)


def send(
    world: World, route: Route, resource: str, role: str, *, csrf: bool = True
):
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
    from wiki.models import Page

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
