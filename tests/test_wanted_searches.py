"""Wanted pages from searches (#20 point 3): only searches several distinct people made, only
for logged-in editors, dismissable by admins; anonymous readers never see a query's text."""

from __future__ import annotations

import re

from tests.conftest import CSRFClient
from wiki.search import misses


def _search_as(app, client, query: str, address: str) -> None:
    response = client.get(
        "/search", query_string={"q": query}, environ_base={"REMOTE_ADDR": address}
    )
    assert response.status_code == 200


def _titles(response) -> list[str]:
    return re.findall(r'<span class="wanted-title">([^<]+)</span>', response.get_data(as_text=True))


def _flush(app) -> None:
    with app.app_context():
        assert misses.flush()


def test_threshold_editors_only_and_dismiss(app, client, editor):
    app.test_client_class = CSRFClient
    anonymous = app.test_client()
    # One person searching a secret many times, from one address: never listed.
    for _ in range(5):
        _search_as(app, anonymous, "my bank password hunter2", "10.0.0.1")
    # Two people so far for "Kafka streams": not yet.
    _search_as(app, client, "Kafka streams", "10.0.0.2")  # bob
    _search_as(app, anonymous, "kafka streams", "10.0.0.3")
    _flush(app)
    assert _titles(client.get("/special/wanted")) == []
    _search_as(app, anonymous, "Kafka Streams", "10.0.0.4")  # the third distinct searcher
    _flush(app)
    listed = client.get("/special/wanted").get_data(as_text=True)
    assert _titles(client.get("/special/wanted")) == ["Kafka streams"]
    assert "hunter2" not in listed
    assert "Dismiss" not in listed  # bob is an editor, not an admin

    for path in ("/special/wanted", "/search?q=kafka", "/recent", "/"):
        page = anonymous.get(path).get_data(as_text=True)
        assert "Kafka streams" not in page and "hunter2" not in page, path

    assert (
        client.post("/special/wanted/dismiss", data={"title": "Kafka streams"}).status_code == 403
    )
    client.post("/logout")
    client.post("/login", data={"username": "alice", "password": "password123"})
    assert "Dismiss" in client.get("/special/wanted").get_data(as_text=True)
    response = client.post("/special/wanted/dismiss", data={"title": "Kafka streams"})
    assert response.status_code == 302
    assert _titles(client.get("/special/wanted")) == []
    _search_as(app, anonymous, "kafka streams", "10.0.0.5")  # still counted, never listed
    _flush(app)
    assert _titles(client.get("/special/wanted")) == []
    refused = client.post("/special/wanted/dismiss", data={"title": "Kafka streams"}, csrf=False)
    assert refused.status_code == 400


def test_threshold_is_configurable(app_config, client, editor):
    from wiki import create_app

    app_config["WIKI_WANTED_MIN_SEARCHERS"] = 1
    app = create_app(**app_config)
    app.test_client_class = CSRFClient
    reader = app.test_client()
    reader.post("/login", data={"username": "bob", "password": "password123"})
    _search_as(app, reader, "Flux capacitor", "10.0.0.9")
    _flush(app)
    assert _titles(reader.get("/special/wanted")) == ["Flux capacitor"]
