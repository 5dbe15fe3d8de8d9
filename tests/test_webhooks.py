"""Outgoing webhooks (issue 16) against a real HTTP server started by the tests: the JSON
contract, the HMAC signature, Discord/Slack shapes, the idempotency key, refused targets,
and endpoints that hang, fail or redirect (retried with backoff, never blocking a save)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import select

from tests.collab_support import Receiver, drain, save_as, scalar, scalars, users
from tests.openapi_docs import document, fence
from wiki.jobs.runner import run_jobs
from wiki.notify.models import Delivery, Webhook

SECRET = "s3cret"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "WIKI_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
        "WIKI_BASE_URL": "https://wiki.example.org",
        "WIKI_WEBHOOK_TIMEOUT": 0.5,
        "WIKI_DELIVERY_BACKOFF_SECONDS": 0.2,
        "WIKI_DELIVERY_MAX_ATTEMPTS": 3,
    }


@pytest.fixture
def admin(client, auth):
    users(auth, "alice", "bob")
    auth.login("alice")
    return auth


def _add(client, url, events=("page.saved",), fmt="json", secret=SECRET):
    return client.post(
        "/admin/webhooks",
        data={"url": url, "events": list(events), "secret": secret, "format": fmt},
    )


def test_json_delivery_is_signed_and_sent_once(client, admin, receiver):
    app = client.application
    assert (
        _add(client, receiver.url("/hook"), events=("page.saved", "comment.created")).status_code
        == 302
    )
    admin.logout()
    save_as(admin, client, "bob", "Topic", "text", summary="first")
    drain(app)
    drain(app)  # running the jobs again sends nothing twice
    (request,) = receiver.requests
    body = json.loads(request["body"])
    assert set(body) == {"id", "event", "at", "actor", "page", "revision", "summary"}
    assert body["event"] == "page.saved" and body["actor"] == "bob" and body["revision"] == 1
    assert body["page"] == {"title": "Topic", "url": "https://wiki.example.org/wiki/Topic"}
    assert body["summary"] == "first"
    expected = hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["x-nexus-signature"] == f"sha256={expected}"
    assert request["headers"]["x-nexus-delivery"] == body["id"]
    assert request["headers"]["content-type"] == "application/json"
    (status,) = scalars(app, select(Delivery.status))
    assert status == "sent"
    admin.login("alice")
    page = client.get("/admin/webhooks").get_data(as_text=True)
    assert "delivery-sent" in page


def test_discord_and_slack_shapes(client, admin, receiver):
    app = client.application
    _add(client, receiver.url("/discord"), fmt="discord")
    _add(client, receiver.url("/slack"), fmt="slack")
    admin.logout()
    save_as(admin, client, "bob", "Topic", "text", summary="<b>hi</b>")
    drain(app)
    (discord,) = receiver.json_bodies("/discord")
    assert discord["content"] == "bob edited Topic: <b>hi</b>"
    (embed,) = discord["embeds"]
    assert embed["title"] == "Topic" and embed["url"] == "https://wiki.example.org/wiki/Topic"
    assert discord["allowed_mentions"] == {"parse": []}  # an @everyone in a summary pings nobody
    (slack,) = receiver.json_bodies("/slack")
    assert slack["text"].startswith("bob edited Topic: &lt;b&gt;hi&lt;/b&gt;")
    assert "<https://wiki.example.org/wiki/Topic|open>" in slack["text"]
    assert slack["blocks"][0]["text"]["type"] == "mrkdwn"


def test_chat_messages_say_what_an_edit_did_to_the_api(client, admin, receiver):
    app = client.application
    _add(client, receiver.url("/hook"))
    _add(client, receiver.url("/discord"), fmt="discord")
    admin.logout()
    old = document(4)
    save_as(admin, client, "bob", "Books API", fence(old), summary="first")
    drain(app)
    assert receiver.json_bodies("/discord")[0]["content"] == (
        "bob edited Books API: first (API: 4 changes)"
    )
    # The JSON body keeps the contract's fields: the note is for people, in chat messages.
    assert set(receiver.json_bodies("/hook")[0]) == {
        "id",
        "event",
        "at",
        "actor",
        "page",
        "revision",
        "summary",
    }


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:9/hook",
        "http://[::1]:9/hook",
        "http://10.0.0.5/hook",
        "ftp://example.org/hook",
        "http://127.0.0.1:1/../",
    ],
)
def test_unsafe_targets_are_refused(client, admin, url, app_config):
    app = client.application
    if "127.0.0.1" in url:  # allowed host, but it is the wiki itself
        app.config["WIKI_BASE_URL"] = "http://127.0.0.1:1"
    response = _add(client, url)
    assert response.status_code == 400
    assert scalar(app, select(Webhook.id)) is None


def test_link_local_is_refused_at_send_time_too(client, admin, receiver):
    """A target allowed when added but refused now (the setting changed) is never contacted."""
    app = client.application
    _add(client, receiver.url("/hook"))
    app.config["WIKI_WEBHOOK_ALLOW_HOSTS"] = ""
    admin.logout()
    save_as(admin, client, "bob", "Topic", "text")
    drain(app)
    assert receiver.requests == []
    (error,) = scalars(app, select(Delivery.last_error))
    assert "loopback" in error


def test_hanging_failing_and_redirecting_endpoints(client, admin, receiver):
    app = client.application
    for path in ("/hang", "/fail", "/redirect"):
        _add(client, receiver.url(path))
    admin.logout()
    started = time.monotonic()
    save_as(admin, client, "bob", "Topic", "text")
    assert time.monotonic() - started < 10.0  # the save never waits for an endpoint
    run_jobs(app)  # one pass: one attempt each
    rows = {
        hook: (status, attempts, last_status)
        for hook, status, attempts, last_status in scalar_rows(app)
    }
    assert rows["/hang"][0] == "pending" and rows["/hang"][1] == 1  # timed out, will retry
    assert rows["/fail"][2] == 500
    assert rows["/redirect"][2] == 302
    assert not [r for r in receiver.requests if "169.254" in r["path"]]  # not followed
    # retried with backoff, then given up after the last attempt
    receiver.hang.set()
    for _ in range(40):
        drain(app)
        time.sleep(0.1)
    rows = {hook: (status, attempts) for hook, status, attempts, _ in scalar_rows(app)}
    assert rows["/fail"] == ("dead", 3) and rows["/redirect"] == ("dead", 3)
    assert rows["/hang"][0] == "sent"


def scalar_rows(app):
    from wiki.extensions import db

    with app.app_context():
        try:
            rows = db.session.execute(
                select(Webhook.url, Delivery.status, Delivery.attempts, Delivery.last_status).join(
                    Webhook, Webhook.id == Delivery.target_id
                )
            ).all()
            return [("/" + url.rsplit("/", 1)[1], s, a, ls) for url, s, a, ls in rows]
        finally:
            db.session.remove()


def test_send_test_button(client, admin, receiver):
    app = client.application
    _add(client, receiver.url("/hook"))
    hook_id = scalar(app, select(Webhook.id))
    assert client.post(f"/admin/webhooks/{hook_id}/test").status_code == 302
    drain(app)
    (ping,) = receiver.json_bodies()
    assert ping["event"] == "ping" and receiver.requests[0]["headers"]["x-nexus-event"] == "ping"
    assert "delivery-sent" in client.get("/admin/webhooks").get_data(as_text=True)
    assert client.post(f"/admin/webhooks/{hook_id}/delete").status_code == 302
    assert scalar(app, select(Webhook.id)) is None
