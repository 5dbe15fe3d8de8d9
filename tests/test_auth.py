"""Accounts: register, log in/out, roles, CSRF, ?next=, rate limits, profile, admin page."""

import pytest

from wiki.auth.next_url import safe_next


def test_register_makes_first_user_admin_then_editors(client, auth, app):
    assert auth.register("alice").status_code == 302
    auth.logout()
    assert auth.register("bob").status_code == 302
    from wiki.auth.accounts import find_user

    with app.app_context():
        assert find_user("alice").role == "admin"
        assert find_user("BOB").role == "editor"


def test_username_unique_case_insensitively(client, auth):
    auth.register("alice")
    auth.logout()
    response = auth.register("ALICE")
    assert response.status_code == 200
    assert b"That username is taken" in response.data


def test_login_logout_and_same_message_for_unknown_user(client, auth):
    auth.register("alice")
    auth.logout()
    wrong = auth.login("alice", "wrong-password")
    unknown = auth.login("nobody", "wrong-password")
    assert b"Unknown username or wrong password." in wrong.data
    assert b"Unknown username or wrong password." in unknown.data
    ok = auth.login("alice")
    assert ok.status_code == 302
    assert b"Log out" in client.get("/pages").data
    page = client.get("/login")
    assert page.status_code == 302  # already logged in
    auth.logout()
    assert client.get("/profile").status_code == 302


def test_session_cookie_flags(client, auth):
    response = auth.register("alice")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_400_and_saves_nothing(client, editor, app):
    response = client.post(
        "/edit/Home", data={"body": "hacked", "save": "Save", "base_rev": ""}, csrf=False
    )
    assert response.status_code == 400
    assert b"security token" in response.data
    assert client.get("/wiki/Home").status_code == 404


def test_deactivated_user_cannot_log_in(client, auth, runner):
    auth.register("alice")
    auth.logout()
    result = runner.invoke(args=["users", "deactivate", "alice"])
    assert result.exit_code == 0, result.output
    assert auth.login("alice").status_code == 200


def test_cli_create_promote_reset(runner, auth, client):
    result = runner.invoke(args=["users", "create", "carol", "--password", "longpassword"])
    assert result.exit_code == 0, result.output
    assert "admin" in result.output  # first account
    runner.invoke(args=["users", "create", "dave", "--password", "longpassword"])
    assert "admin" in runner.invoke(args=["users", "promote", "dave"]).output
    result = runner.invoke(args=["users", "reset-password", "dave", "--password", "newpassword1"])
    assert result.exit_code == 0
    assert auth.login("dave", "newpassword1").status_code == 302
    assert runner.invoke(args=["users", "promote", "nobody"]).exit_code != 0


def test_profile_password_change_needs_current(client, auth):
    auth.register("alice")
    bad = client.post(
        "/profile", data={"current": "nope", "password": "newpassword1", "confirm": "newpassword1"}
    )
    assert b"not your current password" in bad.data
    good = client.post(
        "/profile",
        data={"current": "password123", "password": "newpassword1", "confirm": "newpassword1"},
    )
    assert good.status_code == 302
    auth.logout()
    assert auth.login("alice", "newpassword1").status_code == 302


def test_admin_page_promote_deactivate(client, auth, app):
    auth.register("alice")
    auth.logout()
    auth.register("bob")
    assert client.get("/admin/users").status_code == 403
    auth.logout()
    auth.login("alice")
    page = client.get("/admin/users")
    assert page.status_code == 200 and b"bob" in page.data
    from wiki.auth.accounts import find_user

    with app.app_context():
        bob_id = find_user("bob").id
    assert client.post(f"/admin/users/{bob_id}/promote").status_code == 302
    assert client.post(f"/admin/users/{bob_id}/deactivate").status_code == 302
    with app.app_context():
        bob = find_user("bob")
        assert bob.role == "admin" and not bob.active
    assert client.post(f"/admin/users/{bob_id}/explode").status_code == 404


def test_anonymous_admin_page_redirects_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "value",
    [
        "//evil.com",
        "/%09/evil.com",
        "https:evil.com",
        "/\\evil.com",
        "/ok\r\nLocation: http://evil.com",
        "/%0d%0aSet-Cookie:x=1",
        "http://evil.com/",
        "/%2F/evil.com",
        "/%252F%252Fevil.com",
        "javascript:alert(1)",
    ],
)
def test_next_stays_on_site(value):
    assert safe_next(value) == "/"


def test_next_allows_local_paths():
    assert safe_next("/wiki/Django?rev=2") == "/wiki/Django?rev=2"


def test_login_redirects_only_within_site(client, auth):
    auth.register("alice")
    auth.logout()
    response = client.post(
        "/login?next=//evil.com", data={"username": "alice", "password": "password123"}
    )
    assert response.headers["Location"] == "/"
    response = auth.logout()
    response = client.post(
        "/login?next=/wiki/Python", data={"username": "alice", "password": "password123"}
    )
    assert response.headers["Location"] == "/wiki/Python"


def test_failed_logins_per_account_are_limited(client, auth):
    auth.register("alice")
    auth.logout()
    for _ in range(10):
        assert auth.login("alice", "wrong-password").status_code == 200
    limited = auth.login("alice", "password123")
    assert limited.status_code == 429
    assert b"Too many attempts" in limited.data


def test_registration_closed(app_config):
    from tests.conftest import CSRFClient
    from wiki import create_app

    app = create_app(**app_config, WIKI_REGISTRATION="closed")
    app.test_client_class = CSRFClient
    client = app.test_client()
    assert client.get("/register").status_code == 403
