"""Who may do what: every route of ``app.url_map`` × role × page state, one row each.

The table below is the contract. A route the app has but the table lacks fails
``test_every_route_has_a_row`` (give it a row); so does a row whose route is gone.
"""

from __future__ import annotations

import pytest

from tests import routes_support as rs

# One row per route: what anonymous / editor / admin get, on a normal | protected | deleted
# page (each role acts on its own page). Routes without a page have one group of three.
#   200, 401, 403…  that status          login  a redirect to the log-in page
#   302             any other redirect
EXPECTED = """
admin.user_action POST       login 403 302
admin.users GET              login 403 200
api.docs GET                 200 200 200
api.get_diff GET             200 200 200 | 200 200 200 | 404 404 404
api.get_page GET             200 200 200 | 200 200 200 | 404 404 404
api.get_revisions GET        200 200 200 | 200 200 200 | 404 404 404
api.list_pages GET           200 200 200
api.openapi GET              200 200 200
api.put_page PUT             401 401 401 | 401 401 401 | 401 401 401
api.search GET               200 200 200
auth.login GET               200 302 302
auth.login POST              302 302 302
auth.logout POST             302 302 302
auth.profile GET             login 200 200
auth.profile POST            login 302 302
auth.end_other_sessions POST login 302 302
auth.register GET            200 200 200
auth.register POST           302 302 302
discuss.comment_history GET  404 404 404 | 404 404 404 | 404 404 404
discuss.edit_comment GET     login 404 404 | login 404 404 | login 404 404
discuss.edit_comment POST    login 404 404 | login 404 404 | login 404 404
discuss.hide POST            login 403 404 | login 403 404 | login 404 404
discuss.new_thread POST      login 302 302 | login 302 302 | login 404 404
discuss.reply POST           login 404 404 | login 404 404 | login 404 404
discuss.resolve POST         login 404 404 | login 404 404 | login 404 404
discuss.threads GET          200 200 200 | 200 200 200 | 404 404 404
files.list GET               200 200 200 | 200 200 200 | 404 404 404
files.restore POST           login 302 302 | login 403 302 | login 404 404
files.serve GET              200 200 200 | 200 200 200 | 404 404 404
files.upload POST            login 302 302 | login 403 302 | login 404 404
history.blame GET            200 200 200 | 200 200 200 | 404 404 200
history.contributions GET    200 200 200
history.diff GET             200 200 200 | 200 200 200 | 404 404 200
history.history GET          200 200 200 | 200 200 200 | 404 404 200
history.recent GET           200 200 200
history.recent_atom GET      200 200 200
history.revert POST          login 302 302 | login 403 302 | login 404 403
notify.mark_read POST        login 302 302
notify.notifications GET     login 200 200
notify.settings GET          login 200 200
notify.settings POST         login 302 302
notify.unsubscribe GET       400 400 400
notify.unsubscribe POST      400 400 400
notify.unwatch POST          login 302 302 | login 302 302 | login 404 404
notify.verify_email GET      400 400 400
notify.watch POST            login 302 302 | login 302 302 | login 404 404
notify.webhook_action POST   login 403 404
notify.webhooks_admin GET    login 403 200
notify.webhooks_admin POST   login 403 302
pages.discard_draft POST     login 302 302 | login 302 302 | login 302 302
pages.draft GET              401 200 200 | 401 404 404 | 401 404 404
pages.draft_token GET        401 200 200 | 401 200 200 | 401 200 200
pages.favicon GET            200 200 200
pages.new GET                login 200 200
pages.source GET             200 200 200 | 200 200 200 | 404 404 404
pages.edit GET               login 200 200 | login 403 200 | login 403 403
pages.edit POST              login 302 302 | login 403 302 | login 403 403
pages.home GET               200 200 200
pages.index GET              200 200 200
pages.preview POST           login 200 200
pages.raw GET                200 200 200 | 200 200 200 | 404 404 404
pages.save_draft POST        401 200 200 | 401 403 200 | 401 403 403
pages.view GET               200 200 200 | 200 200 200 | 404 404 404
review.reviewer POST         login 403 302
review.mark POST             login 403 302 | login 403 302 | login 403 404
review.queue GET             login 403 200
search.search GET            200 200 200
search.suggest GET           200 200 200
static GET                   200 200 200
structure.backlinks GET      200 200 200 | 200 200 200 | 200 200 200
structure.delete POST        login 403 302 | login 403 302 | login 403 404
structure.confirm_delete GET login 403 200 | login 403 200 | login 403 404
structure.deleted GET        login 403 200
structure.dismiss_wanted POST login 403 404
structure.orphaned GET       200 200 200
structure.protect POST       login 403 302 | login 403 302 | login 403 404
structure.random GET         302 302 302
structure.rename GET         login 200 200 | login 403 200 | login 404 404
structure.rename POST        login 302 302 | login 403 302 | login 404 404
structure.restore POST       login 403 409 | login 403 409 | login 403 302
structure.stale GET          200 200 200
structure.tag GET            200 200 200
structure.tags GET           200 200 200
structure.wanted GET         200 200 200
tokens.revoke POST           login 303 303
tokens.tokens GET            login 200 200
tokens.tokens POST           login 201 201
"""

# With WIKI_READ_ACCESS=registered, anonymous visitors reach only these (and their status).
REGISTERED_ONLY_PUBLIC = {
    "auth.login GET": 200,
    "auth.register GET": 200,
    "static GET": 200,
    "pages.favicon GET": 200,  # browsers ask for it on every first load
    "pages.draft GET": 401,
    "pages.draft_token GET": 401,
    # Links sent by mail carry their own signed token (issue 16); a forged one is refused.
    "notify.verify_email GET": 400,
    "notify.unsubscribe GET": 400,
    # The API answers 401 problems, not log-in redirects; its document is public.
    "api.openapi GET": 200,
    "api.docs GET": 200,
    "api.list_pages GET": 401,
    "api.get_page GET": 401,
    "api.get_revisions GET": 401,
    "api.get_diff GET": 401,
    "api.search GET": 401,
}


def _parse(table: str) -> dict[str, list[list[str]]]:
    rows = {}
    for line in table.strip().splitlines():
        endpoint, method, cells = line.split(maxsplit=2)
        groups = [group.split() for group in cells.split("|")]
        assert all(len(g) == len(rs.ROLES) for g in groups), f"bad row: {line}"
        rows[f"{endpoint} {method}"] = groups
    return rows


TABLE = _parse(EXPECTED)
ROUTES = {route.key: route for route in rs.current_routes()}


def _outcome(response) -> str:
    if response.status_code == 302 and response.headers["Location"].startswith("/login"):
        return "login"
    return str(response.status_code)


@pytest.fixture
def world(backend, app_config, migrated, tmp_path):
    """A private seeded wiki: the test's requests may change it."""
    app, cleanup = rs.seeded_app(backend, app_config, migrated, str(tmp_path))
    yield rs.world_for(app)
    cleanup()


@pytest.fixture
def shared(backend, app_config, migrated):
    """A seeded wiki shared by the tests whose requests change nothing."""
    return rs.shared_world(backend, app_config, migrated)


def test_every_route_has_a_row():
    """A new route fails here until the table says who may use it."""
    missing = sorted(set(ROUTES) - set(TABLE))
    stale = sorted(set(TABLE) - set(ROUTES))
    assert not missing, "routes without a row in EXPECTED: " + ", ".join(missing)
    assert not stale, "rows in EXPECTED for routes the app no longer has: " + ", ".join(stale)


def _check_row(world: rs.World, key: str) -> None:
    route = ROUTES[key]
    groups = TABLE[key]
    resources = rs.RESOURCES if route.has_title else (None,)
    assert len(groups) == len(resources), (
        f"{key}: {'3 groups (normal | protected | deleted)' if route.has_title else '1 group'}"
        " of expectations needed"
    )
    wrong = []
    for resource, expected in zip(resources, groups, strict=True):
        for role, want in zip(rs.ROLES, expected, strict=True):
            got = _outcome(rs.send(world, route, resource or "normal", role))
            if got != want:
                wrong.append(f"{role} on {resource or '-'} page: expected {want}, got {got}")
    assert not wrong, f"{key}:\n  " + "\n  ".join(wrong)


READS = sorted(key for key in set(ROUTES) & set(TABLE) if ROUTES[key].method == "GET")
WRITES = sorted(key for key in set(ROUTES) & set(TABLE) if ROUTES[key].method != "GET")


@pytest.mark.parametrize("key", READS)
def test_read_route_permissions(shared, key):
    _check_row(shared, key)


@pytest.mark.parametrize("key", WRITES)
def test_write_route_permissions(world, key):
    _check_row(world, key)


@pytest.fixture
def registered_only(app_config):
    app_config["WIKI_READ_ACCESS"] = "registered"
    return app_config


def test_registered_only_wiki_shows_nothing_to_anonymous(
    backend, registered_only, migrated, tmp_path
):
    """With WIKI_READ_ACCESS=registered every GET route but the log-in pages sends an
    anonymous visitor to log in, so a new read route cannot forget the check."""
    app, cleanup = rs.seeded_app(backend, registered_only, migrated, str(tmp_path))
    try:
        world = rs.world_for(app)
        wrong = []
        for route in rs.routes_of(app):
            if route.method != "GET":
                continue
            want = str(REGISTERED_ONLY_PUBLIC.get(route.key, "login"))
            got = _outcome(rs.send(world, route, "normal", "anonymous"))
            if got != want:
                wrong.append(f"{route.key}: expected {want}, got {got}")
        assert not wrong, "\n".join(wrong)
        editor = _outcome(rs.send(world, ROUTES["pages.view GET"], "normal", "editor"))
        assert editor == "200"
    finally:
        cleanup()
