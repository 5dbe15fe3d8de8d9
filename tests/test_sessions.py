"""Server-side sessions (#20 point 1): log-out, password change, deactivation and "log out
others" end sessions and remember cookies on the server. SQLite and PostgreSQL."""

from __future__ import annotations

import time

from flask_login import current_user
from sqlalchemy import func, select, update

from tests.conftest import CSRFClient
from wiki.auth.models import UserSession
from wiki.auth.sessions import SessionUser
from wiki.extensions import db
from wiki.models import User

PASSWORD = "password123"


def _login(client, username="alice", password=PASSWORD, remember=True, agent="Firefox/1"):
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, headers={"User-Agent": agent})


def _cookies(client) -> dict[str, str]:
    return {
        name: client.get_cookie(name).value
        for name in ("session", "remember_token")
        if client.get_cookie(name) is not None
    }


def _replay(app, cookies: dict[str, str]) -> CSRFClient:
    app.test_client_class = CSRFClient
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def _logged_in(client) -> bool:
    return client.get("/profile").status_code == 200


def _session_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UserSession))


def test_logout_clears_the_remember_cookie_and_refuses_old_cookies(app, client, auth):
    auth.register("alice")
    auth.logout()
    assert _login(client).status_code == 302
    stolen = _cookies(client)
    assert set(stolen) == {"session", "remember_token"}
    response = client.post("/logout")
    assert response.status_code == 302
    cleared = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared[0]
    assert not _logged_in(client)
    assert not _logged_in(_replay(app, stolen))  # session + remember cookie: refused
    assert not _logged_in(_replay(app, {"remember_token": stolen["remember_token"]}))
    assert _session_rows(app) == 0


def test_remember_cookie_alone_logs_in_while_the_session_lives(app, client, auth):
    auth.register("alice")
    auth.logout()
    _login(client)
    assert _logged_in(_replay(app, {"remember_token": _cookies(client)["remember_token"]}))


def test_password_change_ends_every_other_session(app, client, auth):
    auth.register("alice")
    auth.logout()
    _login(client, agent="Laptop")
    laptop = _cookies(client)
    phone = _replay(app, {})
    _login(phone, agent="Phone")
    assert _logged_in(_replay(app, laptop))
    response = phone.post(
        "/profile",
        data={"current": PASSWORD, "password": "new-password-1", "confirm": "new-password-1"},
    )
    assert response.status_code == 302
    assert _logged_in(phone)  # the session that changed it stays
    assert not _logged_in(_replay(app, laptop))
    assert not _logged_in(_replay(app, {"remember_token": laptop["remember_token"]}))
    assert _session_rows(app) == 1


def test_profile_lists_sessions_and_logs_out_the_others(app, client, auth):
    auth.register("alice")
    auth.logout()
    _login(client, agent="Mozilla/5.0 (X11; Linux) Firefox/130")
    other = _replay(app, {})
    _login(other, agent="Mozilla/5.0 (iPhone) Safari/17")
    page = client.get("/profile").get_data(as_text=True)
    assert "Firefox/130" in page and "iPhone" in page and "this browser" in page
    assert "Log out all other sessions" in page
    assert client.get("/profile").headers["Cache-Control"] == "no-store"
    assert client.post("/profile/sessions/end").status_code == 302
    assert not _logged_in(other)
    assert _logged_in(client)
    assert "iPhone" not in client.get("/profile").get_data(as_text=True)


def test_deactivation_and_admin_logout_end_sessions(app, client, auth):
    auth.register("alice")  # admin
    auth.logout()
    bob = _replay(app, {})
    bob.post("/register", data={"username": "bob", "password": PASSWORD, "confirm": PASSWORD})
    bob_cookies = _cookies(bob)
    _login(client)
    with app.app_context():
        from wiki.auth.accounts import find_user

        bob_id = find_user("bob").id
    assert client.post(f"/admin/users/{bob_id}/logout").status_code == 302
    assert not _logged_in(_replay(app, bob_cookies))
    _login(bob, "bob")
    assert _logged_in(bob)
    assert client.post(f"/admin/users/{bob_id}/deactivate").status_code == 302
    assert not _logged_in(bob)
    client.post(f"/admin/users/{bob_id}/activate")
    assert not _logged_in(bob)  # reactivation does not bring old sessions back


def test_page_views_do_not_write_last_seen_every_time(app, client, auth):
    auth.register("alice")
    with app.app_context():
        first = db.session.scalar(select(UserSession.last_seen_at))
    client.get("/profile")
    client.get("/")
    with app.app_context():
        assert db.session.scalar(select(UserSession.last_seen_at)) == first


def test_cookies_from_before_server_sessions_are_refused(app, client, auth):
    auth.register("alice")
    with client.session_transaction() as sess:
        sess["_user_id"] = "1"  # what a cookie issued by the old code carried
    assert not _logged_in(client)


def test_cli_reset_password_and_deactivate_end_sessions(app, client, auth):
    auth.register("alice")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset-password", "alice", "--password", "new-pass-123"])
    assert result.exit_code == 0 and "1 session(s) ended" in result.output
    assert not _logged_in(client)
    _login(client, password="new-pass-123")
    assert _logged_in(client)
    result = runner.invoke(args=["users", "deactivate", "alice"])
    assert result.exit_code == 0
    assert not _logged_in(client)


def test_a_read_gets_the_session_row_and_a_write_the_whole_user(app, client, auth):
    """Reads are served from the session query's row (no ORM user, no password hash); the
    ``User`` is loaded when something asks for more, and writes get it at once."""
    auth.register("alice")
    cookie = client.get_cookie("session").value
    with app.test_request_context("/wiki/Home", headers={"Cookie": f"session={cookie}"}):
        reader = current_user._get_current_object()
        assert isinstance(reader, SessionUser)
        assert (reader.username, reader.is_admin, reader.is_active) == ("alice", True, True)
        assert "password_hash" not in vars(reader)
        assert reader.check_password(PASSWORD)  # from the User, loaded on demand
        assert isinstance(reader.user, User) and reader.user.session_token == reader.get_id()
    with app.test_request_context(
        "/logout", method="POST", headers={"Cookie": f"session={cookie}"}
    ):
        assert isinstance(current_user._get_current_object(), User)


def test_a_deactivated_reader_is_logged_out_on_the_next_read(app, client, auth):
    auth.register("alice")
    auth.logout()
    auth.register("bob")
    assert _logged_in(client)
    with app.app_context():
        db.session.execute(update(User).where(User.username == "bob").values(active=False))
        db.session.commit()
    assert "Log out" not in client.get("/recent").get_data(as_text=True)
    assert not _logged_in(client)


def test_a_session_cookie_is_checked_once_per_worker_and_still_expires(
    app, client, auth, monkeypatch
):
    """wiki.auth.cookies: a cookie that passed is not checked again, but Flask's age limit
    still applies to it, and a tampered cookie is refused every time."""
    from itsdangerous import URLSafeTimedSerializer

    from wiki.auth import cookies

    auth.register("alice")
    assert _logged_in(client)  # shows the welcome message: the cookie changes once more
    checks = []
    real = URLSafeTimedSerializer.loads
    monkeypatch.setattr(
        URLSafeTimedSerializer,
        "loads",
        lambda self, *a, **k: checks.append(1) or real(self, *a, **k),
    )
    assert _logged_in(client)
    first = len(checks)
    assert _logged_in(client) and _logged_in(client)
    assert len(checks) == first  # remembered: not checked again
    cookie = client.get_cookie("session").value
    forged = _replay(app, {"session": cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")})
    assert not _logged_in(forged) and not _logged_in(forged)
    # Past PERMANENT_SESSION_LIFETIME the remembered cookie is refused, as Flask refuses it.
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(cookies.time, "time", lambda: later)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    client.delete_cookie("remember_token")
    assert not _logged_in(client)
