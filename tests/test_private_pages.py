"""Logged-in pages that show private data are ``no-store`` (#20 point 9)."""

from __future__ import annotations

from tests.conftest import save_page


def test_private_pages_are_never_stored(client, editor):
    save_page(client, "Essay", "start")
    for url in ("/edit/Essay", "/profile", "/draft/Essay/token"):
        response = client.get(url, headers={"Accept": "application/json"})
        assert response.headers["Cache-Control"] == "no-store", url
    assert client.get("/wiki/Essay").headers["Cache-Control"] == "private, no-cache"


def test_admin_pages_are_never_stored(client, auth):
    auth.register("alice")
    assert client.get("/admin/users").headers["Cache-Control"] == "no-store"
