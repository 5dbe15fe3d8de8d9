"""Rate limits with ``RATELIMIT_STORAGE_URI`` on Redis count across app instances, and the
429 page says when to try again. (Log-in failures are counted in the database, with or
without Redis: tests/test_login_limits.py.)

Each cross-instance test starts two app servers as separate processes (nothing shared but
the database and Redis) with a key prefix of its own, so parallel runs never meet in Redis.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.app_server import running
from tests.conftest import REDIS_URL, CSRFClient
from wiki import create_app

PASSWORD = "password123"


@pytest.fixture
def redis_prefix(redis_db):
    prefix = f"nexus-test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(redis_db.scan_iter(f"*{prefix}*"))
    if keys:
        redis_db.delete(*keys)


@pytest.fixture
def two_servers(app_config, redis_prefix):
    prefix = redis_prefix
    config = {
        **app_config,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "WIKI_SAVE_RATE": "4 per minute",
    }
    with running(config, config) as servers:
        yield servers


def _login_status(server, username: str, password: str = "wrong-password") -> int:
    return server.client().login(username, password).status


def test_failed_logins_for_one_account_count_across_servers(two_servers):
    a, b = two_servers
    assert a.client().register("carol", PASSWORD).status == 302
    for attempt in range(10):  # the account's limit: 10 failures in 15 minutes
        assert _login_status((a, b)[attempt % 2], "carol") == 200, attempt
    assert _login_status(a, "carol", PASSWORD) == 429  # even the right password waits
    assert _login_status(b, "carol", PASSWORD) == 429
    assert _login_status(b, "someone-else") == 200  # other accounts are not blocked


def test_failed_logins_from_one_address_count_across_servers(two_servers):
    a, b = two_servers
    for attempt in range(30):  # the address's limit: 30 failures in 15 minutes
        assert _login_status((a, b)[attempt % 2], f"user{attempt}") == 200, attempt
    assert _login_status(a, "user-a") == 429
    assert _login_status(b, "user-b") == 429


def test_registrations_and_saves_count_across_servers(two_servers, redis_db, redis_prefix):
    a, b = two_servers
    for number in range(20):  # 20 registrations an hour from one address
        response = (a, b)[number % 2].client().register(f"newcomer{number}", PASSWORD)
        assert response.status == 302, number
    assert a.client().register("one-more-a", PASSWORD).status == 429
    assert b.client().register("one-more-b", PASSWORD).status == 429

    on_a = a.client()
    assert on_a.login("newcomer0", PASSWORD).status == 302
    on_b = b.client(cookies=on_a.cookies)  # the same session, served by the other server
    for number in range(4):  # WIKI_SAVE_RATE is 4 per minute here
        response = (on_a, on_b)[number % 2].save_page("Busy page", f"Version {number}.\n")
        assert response.status == 302, (number, response.status)
    assert on_b.save_page("Busy page", "One too many.\n").status == 429
    assert on_a.save_page("Busy page", "One too many.\n").status == 429
    assert list(redis_db.scan_iter(f"*{redis_prefix}*")), "the limits were not counted in Redis"


def test_429_page_says_when_to_retry(client):
    for attempt in range(30):
        client.post("/login", data={"username": f"user{attempt}", "password": "wrong-password"})
    response = client.post("/login", data={"username": "user", "password": "wrong-password"})
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    text = response.get_data(as_text=True)
    assert "the limit is 30 per 15 minutes" in text
    assert re.search(r"Try again in (1[0-5]|[1-9]) minutes, after \d\d:\d\d UTC\.", text), text

    as_json = client.post(
        "/login",
        data={"username": "user", "password": "wrong-password"},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 429
    assert "Try again in" in as_json.get_json()["message"]
    assert int(as_json.headers["Retry-After"]) > 0


def _fail_login(client, address: str) -> int:
    form = {"username": f"someone-{uuid.uuid4().hex[:8]}", "password": "wrong-password"}
    return client.post("/login", data=form, headers={"X-Forwarded-For": address}).status_code


def test_behind_a_load_balancer_limits_count_per_client_address(app_config):
    """WIKI_PROXY_HOPS=1: the client address comes from the balancer's X-Forwarded-For, so
    one client's failures do not lock everybody else out."""
    app = create_app(**{**app_config, "WIKI_PROXY_HOPS": 1})
    app.test_client_class = CSRFClient
    client = app.test_client()
    for attempt in range(30):
        assert _fail_login(client, "203.0.113.7") == 200, attempt
    assert _fail_login(client, "203.0.113.7") == 429
    assert _fail_login(client, "198.51.100.4") == 200


def test_without_a_proxy_forwarded_for_cannot_dodge_the_limit(client):
    for attempt in range(30):
        assert _fail_login(client, f"203.0.113.{attempt}") == 200, attempt
    assert _fail_login(client, "198.51.100.4") == 429
