"""Absolute URLs come from WIKI_BASE_URL, else only from a trusted Host (#20 point 4)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.conftest import CSRFClient, save_page
from wiki import create_app
from wiki.security import external_url

A = "{http://www.w3.org/2005/Atom}"


def _feed_urls(response) -> list[str]:
    root = ET.fromstring(response.data)
    urls = [root.findtext(f"{A}id")] + [link.get("href") for link in root.iter(f"{A}link")]
    return urls + [e.findtext(f"{A}id") for e in root.iter(f"{A}entry")]


@pytest.fixture
def feed_client(app_config):
    def make(**config):
        app = create_app(**{**app_config, **config})
        app.test_client_class = CSRFClient
        client = app.test_client()
        client.post(
            "/register",
            data={"username": "alice", "password": "password123", "confirm": "password123"},
        )
        assert save_page(client, "Quolls", "Spotted.").status_code == 302
        return app, client

    return make


def test_atom_feed_ignores_a_forged_host(feed_client):
    _, client = feed_client()
    response = client.get("/recent.atom", headers={"Host": "evil.example"})
    assert response.status_code == 200
    urls = _feed_urls(response)
    assert urls and not any("evil.example" in url for url in urls), urls


def test_atom_feed_uses_wiki_base_url(feed_client):
    _, client = feed_client(WIKI_BASE_URL="https://wiki.example.org/")
    response = client.get("/recent.atom", headers={"Host": "evil.example"})
    urls = _feed_urls(response)
    links = [link.get("href") for link in ET.fromstring(response.data).iter(f"{A}link")]
    assert "https://wiki.example.org/recent.atom" in links
    assert any(link.startswith("https://wiki.example.org/diff/Quolls") for link in links)
    assert not any("evil.example" in url for url in urls)


def test_trusted_hosts_allow_the_request_host_and_refuse_others(feed_client):
    app, client = feed_client(WIKI_TRUSTED_HOSTS="wiki.example.org, localhost")
    response = client.get("/recent.atom", headers={"Host": "wiki.example.org"})
    assert "http://wiki.example.org/recent.atom" in _feed_urls(response)
    assert client.get("/recent.atom", headers={"Host": "evil.example"}).status_code == 400


def test_external_url_outside_a_request(feed_client):
    app, _ = feed_client(WIKI_BASE_URL="https://wiki.example.org/base")
    with app.app_context():
        assert external_url("pages.view", title="A B") == "https://wiki.example.org/base/wiki/A_B"
    app, _ = feed_client()
    with app.app_context():
        assert external_url("pages.view", title="A B") == "/wiki/A_B"
