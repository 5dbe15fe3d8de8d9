"""Every route that changes something refuses a request without a valid CSRF token.

Generated from ``app.url_map``: a new POST (PUT, DELETE…) route is tested as soon as it
exists. Each request carries a complete form that would succeed with its token
(``tests/test_routes_permissions.py`` proves that), so the 400 comes from the token check.
"""

from __future__ import annotations

import pytest

from tests import routes_support as rs

WRITES = sorted(route.key for route in rs.current_routes() if route.method != "GET")
# The JSON API takes no CSRF token: it refuses every write that lacks a Bearer token (401),
# so a session cookie, with or without a CSRF token, never writes through it.
REFUSED_WITH = {"api.put_page PUT": 401}


@pytest.fixture
def shared(backend, app_config, migrated):
    return rs.shared_world(backend, app_config, migrated)


def _routes(world: rs.World) -> dict[str, rs.Route]:
    return {route.key: route for route in rs.routes_of(world.app)}


def test_the_app_has_write_routes():
    assert len(WRITES) >= 10, WRITES  # the generator found the routes, not an empty list


@pytest.mark.parametrize("key", WRITES)
@pytest.mark.parametrize("role", rs.ROLES)
def test_write_without_token_is_refused(shared, key, role):
    route = _routes(shared)[key]
    before = rs.fingerprint(shared.app)
    response = rs.send(shared, route, "normal", role, csrf=False)
    want = REFUSED_WITH.get(key, 400)
    assert response.status_code == want, f"{key} as {role}: {response.status_code}"
    assert rs.fingerprint(shared.app) == before, f"{key} as {role} changed the database"


@pytest.mark.parametrize("key", WRITES)
def test_write_with_another_sessions_token_is_refused(shared, key):
    """A token is bound to its session: one taken from another visitor does not work."""
    route = _routes(shared)[key]
    url, form = rs.request_for(route, shared, "normal", "admin")
    shared.clients["admin"].csrf_token()  # the admin's session has a token of its own
    form["csrf_token"] = rs.login(shared.app, "anonymous").csrf_token()
    before = rs.fingerprint(shared.app)
    response = shared.clients["admin"].open(url, method=route.method, data=form)
    assert response.status_code == REFUSED_WITH.get(key, 400), f"{key}: {response.status_code}"
    assert rs.fingerprint(shared.app) == before, f"{key} changed the database"
