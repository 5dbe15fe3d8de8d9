"""Log-in limits stop guessing without locking the owner out, and count across workers
without Redis (#20 point 8). SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.app_server import running
from tests.conftest import CSRFClient
from wiki import create_app

PASSWORD = "password123"
ATTACKER, OWNER, OTHER = "203.0.113.7", "198.51.100.4", "192.0.2.9"


@pytest.fixture
def proxied(app_config):
    """An app behind one proxy, so tests can pick the client address."""
    app = create_app(**{**app_config, "WIKI_PROXY_HOPS": 1})
    app.test_client_class = CSRFClient
    client = app.test_client()
    client.post("/register", data={"username": "carol", "password": PASSWORD, "confirm": PASSWORD})
    client.post("/logout")
    return app


def _login(app, address: str, password: str, username: str = "carol") -> int:
    client = app.test_client()  # a fresh browser each time
    form = {"username": username, "password": password}
    return client.post("/login", data=form, headers={"X-Forwarded-For": address}).status_code


def test_a_guesser_cannot_lock_the_owner_out(proxied):
    for attempt in range(10):  # the account's limit: 10 failures in 15 minutes
        assert _login(proxied, ATTACKER, f"guess-{attempt}") == 200, attempt
    assert _login(proxied, ATTACKER, "guess-10") == 429
    assert _login(proxied, ATTACKER, PASSWORD) == 429  # the failing address stays refused
    assert _login(proxied, OWNER, PASSWORD) == 302  # the owner, from a clean address, gets in


def test_past_the_account_limit_each_new_address_gets_one_guess(proxied):
    for attempt in range(10):
        _login(proxied, ATTACKER, f"guess-{attempt}")
    assert _login(proxied, OTHER, "another-guess") == 200  # refused as wrong, and counted
    assert _login(proxied, OTHER, PASSWORD) == 429
    assert _login(proxied, OWNER, PASSWORD) == 302


def test_an_address_guessing_many_accounts_is_refused(proxied):
    for attempt in range(30):
        assert _login(proxied, ATTACKER, "wrong-pass", f"user{attempt}") == 200, attempt
    response = proxied.test_client().post(
        "/login",
        data={"username": "carol", "password": PASSWORD},
        headers={"X-Forwarded-For": ATTACKER},
    )
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 900
    assert "the limit is 30 per 15 minutes" in response.get_data(as_text=True)
    assert _login(proxied, OWNER, PASSWORD) == 302


def test_two_workers_share_one_budget_without_redis(app_config):
    config = {**app_config, "RATELIMIT_STORAGE_URI": "process-memory://"}
    with running(config, config) as (a, b):
        assert a.client().register("dave", PASSWORD).status == 302
        for attempt in range(10):
            status = (a, b)[attempt % 2].client().login("dave", "wrong-password").status
            assert status == 200, attempt
        assert a.client().login("dave", "wrong-password").status == 429
        assert b.client().login("dave", "wrong-password").status == 429
