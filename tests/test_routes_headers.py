"""Security and caching headers on every response: every route of ``app.url_map`` for every
role and page state, error pages of every kind, and served attachments.

- ``Content-Security-Policy`` with ``frame-ancestors 'none'`` and no inline or foreign script,
  ``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy`` on everything;
- ``Cache-Control: private`` (or ``no-store``) and ``Vary: Cookie`` on every response to a
  logged-in user that can show who they are: a shared cache must never hand one person's
  page to another.
"""

from __future__ import annotations

import io
import re

import pytest

from tests import routes_support as rs
from tests.conftest import save_page

ROUTES = rs.current_routes()
REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
# A served file with a version in its URL never changes and names no user: it may be cached
# by anyone (``public`` on a wiki anonymous visitors can read).
IMMUTABLE_FILE = re.compile(r"^/files/.+\?version=\d+")


def _directives(csp: str) -> dict[str, list[str]]:
    result = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            result[words[0].lower()] = words[1:]
    return result


def security_problems(response) -> list[str]:
    """What is missing or weak in one response's security headers ([] when all is well)."""
    problems = []
    headers = response.headers
    csp = headers.get("Content-Security-Policy")
    if not csp:
        return ["no Content-Security-Policy"]
    directives = _directives(csp)
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors is {directives.get('frame-ancestors')}")
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts is None or not set(scripts) <= {"'self'", "'none'"}:
        problems.append(f"scripts allowed from {scripts}")
    if "object-src" not in directives and directives.get("default-src") != ["'none'"]:
        problems.append("plugins (object-src) not restricted")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options is {headers.get('X-Content-Type-Options')}")
    if headers.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {headers.get('Referrer-Policy')}")
    return problems


def caching_problems(response, path: str) -> list[str]:
    """For a logged-in user's response: kept out of shared caches, keyed by the cookie."""
    if path.startswith("/static/") or IMMUTABLE_FILE.match(path):
        return []
    problems = []
    cache = {d.strip().split("=")[0] for d in response.headers.get("Cache-Control", "").split(",")}
    if not cache & {"private", "no-store"}:
        problems.append(f"Cache-Control is {response.headers.get('Cache-Control')!r}")
    vary = {v.strip().lower() for v in ",".join(response.headers.getlist("Vary")).split(",")}
    if "cookie" not in vary:
        problems.append(f"Vary is {response.headers.getlist('Vary')}")
    return problems


def _check(response, path: str, logged_in: bool) -> list[str]:
    problems = security_problems(response)
    if logged_in:
        problems += caching_problems(response, path)
    return [f"{response.status_code} {path}: {p}" for p in problems]


@pytest.fixture
def world(backend, app_config, migrated, tmp_path):
    with rs.seeded_world(backend, app_config, migrated, tmp_path) as world:
        yield world


@pytest.mark.parametrize("role", rs.ROLES)
def test_every_route_sends_the_headers(world, role):
    """All routes, GET and POST, on every page state, whatever their status."""
    problems = []
    for route in ROUTES:
        for resource in rs.resources_of(route):
            # A fresh log-in per request: /logout or /login must not change the next one's role.
            world.clients[role] = rs.login(world.app, role)
            url, _ = rs.request_for(route, world, resource, role)
            response = rs.send(world, route, resource, role)
            # After /logout the user is no longer logged in: nothing private left to show.
            logged_in = role != "anonymous" and route.endpoint != "auth.logout"
            problems += _check(response, url, logged_in=logged_in)
    assert not problems, "\n".join(problems)


def _error_responses(client) -> dict[str, object]:
    """One response of each kind of error page."""
    too_big = "x" * (1024 * 1024 + 10)
    return {
        "404 unknown URL": client.get("/no/such/route"),
        "404 missing page": client.get("/wiki/No_such_page"),
        "400 bad title": client.get("/wiki/a%00b"),
        "400 no CSRF token": client.post("/edit/Headers", data={"body": "x"}, csrf=False),
        "405 wrong method": client.get("/logout"),
        "413 too large": save_page(client, "Headers", too_big),
        "403 not allowed": client.get("/admin/users"),
    }


def test_error_pages_send_the_headers(client, editor):
    problems = []
    responses = _error_responses(client)
    for name, response in responses.items():
        assert response.status_code == int(name[:3]), f"{name}: got {response.status_code}"
        problems += _check(response, name, logged_in=True)
    editor.logout()
    for name, response in _error_responses(client).items():
        if name.startswith("413"):
            continue  # anonymous visitors are sent to log in before the size check
        problems += _check(response, name, logged_in=False)
    assert not problems, "\n".join(problems)


def test_internal_error_page_sends_the_headers(client, editor, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr("wiki.pages.readers.view_state", broken)
    response = client.get("/wiki/Anything")
    assert response.status_code == 500
    assert not _check(response, "500", logged_in=True)


def test_rate_limited_page_sends_the_headers(client, app_config, auth):
    for i in range(30):
        client.post("/login", data={"username": f"nobody{i}", "password": "wrong-password"})
    response = client.post("/login", data={"username": "nobody", "password": "wrong-password"})
    assert response.status_code == 429
    assert not _check(response, "429", logged_in=False)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
FILES = {
    "notes.txt": b"plain text\n",
    "pixel.png": PNG,
    "paper.pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "page.html": b"<script>alert(1)</script>",
    "data.bin": bytes(range(256)),
}


def test_attachments_send_the_headers(client, editor):
    assert save_page(client, "Files", "Attachments here.").status_code == 302
    for name, data in FILES.items():
        response = client.post(
            "/files/Files",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, (name, response.status_code)
    problems = []
    for logged_in in (True, False):
        for name in FILES:
            for query in ("", "?version=1"):
                path = f"/files/Files/{name}{query}"
                response = client.get(path)
                assert response.status_code == 200, path
                problems += _check(response, path, logged_in)
                etag = response.headers["ETag"]
                again = client.get(path, headers={"If-None-Match": etag})
                assert again.status_code == 304, path
                problems += _check(again, path + " (304)", logged_in)
        editor.logout()
    assert not problems, "\n".join(problems)


def test_pages_for_a_logged_in_user_are_private(client, editor):
    """The page shows the user's name; a shared cache must keep it to that user."""
    save_page(client, "Private", "Hello.")
    response = client.get("/wiki/Private")
    assert b"bob" in response.data
    assert "private" in response.headers["Cache-Control"]
    assert "cookie" in response.headers.get("Vary", "").lower()


def test_json_drafts_are_never_stored(client, editor):
    """A draft is unsaved private text: ``no-store``, not merely ``private``."""
    save_page(client, "Drafty", "Hello.")
    assert client.post("/draft/Drafty", data={"body": "secret draft"}).status_code == 200
    response = client.get("/draft/Drafty")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
