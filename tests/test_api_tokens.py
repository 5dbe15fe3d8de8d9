"""Personal access tokens: the /settings/tokens page, Bearer auth, scopes, rate limits."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.api_support import assert_problem, bearer, make_token, put_page
from tests.conftest import AuthActions, CSRFClient
from wiki.extensions import db
from wiki.tokens.models import ApiToken
from wiki.tokens.service import hash_token

NEW_TOKEN = re.compile(r'<code id="new-token"[^>]*>([^<]+)</code>')


def _create(client, **fields) -> str:
    response = client.post("/settings/tokens", data=fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return NEW_TOKEN.search(response.get_data(as_text=True)).group(1)


def test_token_is_shown_once_stored_hashed_and_works(client, editor, app):
    raw = _create(client, name="CI sync", scope="write", expires_days="")
    assert raw.startswith("nxw_") and len(raw) > 40
    listing = client.get("/settings/tokens").get_data(as_text=True)
    assert "CI sync" in listing and raw not in listing and raw[:10] in listing
    assert 'id="new-token"' not in listing
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.token_hash == hash_token(raw) and token.scope == "write"
        assert token.expires_at - token.created_at == timedelta(days=90)
        assert token.last_used_at is None
    editor.logout()
    created = put_page(client, "From CI", raw, {"body": "hello"})
    assert created.status_code == 201
    with app.app_context():
        assert db.session.scalar(select(ApiToken)).last_used_at is not None
    editor.login("bob")
    assert "never" not in client.get("/settings/tokens").get_data(as_text=True).split("CI sync")[1]


def test_token_form_validates(client, editor):
    assert client.post("/settings/tokens", data={"name": "", "scope": "read"}).status_code == 400
    bad_scope = client.post("/settings/tokens", data={"name": "x", "scope": "admin"})
    assert bad_scope.status_code == 400
    bad_days = client.post(
        "/settings/tokens", data={"name": "x", "scope": "read", "expires_days": "0"}
    )
    assert bad_days.status_code == 400
    assert client.post("/settings/tokens", data={"name": "x"}, csrf=False).status_code == 400
    raw = _create(client, name="short", scope="read", expires_days="7")
    assert raw.startswith("nxw_")


def test_tokens_page_needs_login(client):
    assert client.get("/settings/tokens").status_code == 302


def test_revoke_own_and_admin_revokes_all(client, editor, app):
    bob_raw = _create(client, name="bob's", scope="read")
    with app.app_context():
        bob_id = db.session.scalar(select(ApiToken.id))
    assert client.get("/api/v1/pages", headers=bearer(bob_raw)).status_code == 200
    editor.logout()
    editor.register("carol")
    assert "bob&#39;s" not in client.get("/settings/tokens").get_data(as_text=True)
    assert client.post(f"/settings/tokens/{bob_id}/revoke").status_code == 303
    assert client.get("/api/v1/pages", headers=bearer(bob_raw)).status_code == 200  # not hers
    editor.logout()
    editor.login("alice")  # the admin
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert "bob&#39;s" in page and "All tokens" in page
    assert client.post(f"/settings/tokens/{bob_id}/revoke").status_code == 303
    assert_problem(client.get("/api/v1/pages", headers=bearer(bob_raw)), 401)
    assert "revoked" in client.get("/settings/tokens").get_data(as_text=True)


def test_cookie_alone_never_writes_and_read_tokens_cannot(client, editor, app):
    # bob is logged in (session cookie) but sends no token: refused, nothing saved.
    doc = assert_problem(put_page(client, "Sneaky", None, {"body": "x"}), 401)
    assert "Bearer" in doc["detail"]
    assert client.get("/api/v1/pages/Sneaky").status_code == 404
    read = make_token(app, "bob", "read")
    assert_problem(put_page(client, "Sneaky", read, {"body": "x"}), 403)
    assert client.get("/api/v1/pages/Sneaky").status_code == 404


def test_bad_expired_and_malformed_tokens_are_401(client, editor, app):
    editor.logout()
    for header in ("Bearer nxw_nope", "Basic Ym9iOnB3", "Bearer ", "Bearer x" * 100):
        response = client.get("/api/v1/pages", headers={"Authorization": header})
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    raw = make_token(app, "bob", "write")
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        token.expires_at = token.created_at - timedelta(seconds=1)
        db.session.commit()
    assert_problem(client.get("/api/v1/pages", headers=bearer(raw)), 401)


def test_deactivated_users_tokens_stop_working(client, editor, app):
    raw = make_token(app, "bob", "write")
    editor.logout()
    editor.login("alice")
    with app.app_context():
        bob_id = db.session.scalar(select(ApiToken.user_id))
    assert client.post(f"/admin/users/{bob_id}/deactivate").status_code in (302, 303)
    assert_problem(put_page(client, "X", raw, {"body": "x"}), 401)


def test_read_access_registered_needs_a_token_or_session(app_config):
    from wiki import create_app

    app = create_app(**{**app_config, "WIKI_READ_ACCESS": "registered"})
    client = app.test_client()
    client.post  # noqa: B018 (plain client: no CSRF needed for these GETs)
    assert_problem(client.get("/api/v1/pages"), 401)
    assert client.get("/api/openapi.json").status_code == 200  # the document is public
    from tests.conftest import AuthActions, CSRFClient

    app.test_client_class = CSRFClient
    client = app.test_client()
    AuthActions(client).register("alice")
    assert client.get("/api/v1/pages").status_code == 200  # a session may read
    raw = make_token(app, "alice", "read")
    assert app.test_client().get("/api/v1/pages", headers=bearer(raw)).status_code == 200


def test_rate_limit_per_token_is_429_with_retry_after(app_config):
    from tests.conftest import AuthActions, CSRFClient
    from wiki import create_app

    app = create_app(**{**app_config, "WIKI_API_RATE": "3 per minute"})
    app.test_client_class = CSRFClient
    client = app.test_client()
    AuthActions(client).register("alice")
    first, second = make_token(app, "alice", "read"), make_token(app, "alice", "read")
    for _ in range(3):
        assert client.get("/api/v1/pages", headers=bearer(first)).status_code == 200
    limited = client.get("/api/v1/pages", headers=bearer(first))
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    # Another token has its own budget.
    assert client.get("/api/v1/pages", headers=bearer(second)).status_code == 200


def test_api_saves_share_the_editors_save_limit(app_config):
    from tests.conftest import AuthActions, CSRFClient, save_page
    from wiki import create_app

    app = create_app(**{**app_config, "WIKI_SAVE_RATE": "2 per minute"})
    app.test_client_class = CSRFClient
    client = app.test_client()
    AuthActions(client).register("alice")
    raw = make_token(app, "alice", "write")
    assert save_page(client, "A", "one").status_code == 302
    assert put_page(client, "B", raw, {"body": "two"}).status_code == 201
    limited = put_page(client, "C", raw, {"body": "three"})
    assert_problem(limited, 429)
    assert "Retry-After" in limited.headers


def test_a_tokens_budget_counts_across_servers_on_redis(app, app_config, redis_db):
    """With Redis as the limit store, two app servers share each token's budget."""
    import uuid

    from tests.app_server import running
    from tests.conftest import REDIS_URL

    app.test_client_class = CSRFClient
    AuthActions(app.test_client()).register("alice")
    raw = make_token(app, "alice", "read")
    prefix = f"nexus-api-test-{uuid.uuid4().hex}"
    config = {
        **app_config,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "WIKI_API_RATE": "4 per minute",
    }
    try:
        with running(config, config) as (a, b):
            statuses = [
                server.client().get("/api/v1/pages", headers=bearer(raw)).status
                for server in (a, b, a, b, a)
            ]
            limited = b.client().get("/api/v1/pages", headers=bearer(raw))
        assert statuses == [200, 200, 200, 200, 429]
        assert limited.status == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.headers["content-type"] == "application/problem+json"
    finally:
        keys = list(redis_db.scan_iter(f"*{prefix}*"))
        if keys:
            redis_db.delete(*keys)
    assert keys, "the API limits were not counted in Redis"
