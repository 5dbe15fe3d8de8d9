"""The anonymous whole-page cache never shows a stale page after a change."""

from tests.conftest import CSRFClient, save_page


def _anonymous(app):
    app.test_client_class = CSRFClient
    return app.test_client()


def test_anonymous_view_sees_edits_at_once(app, client, editor):
    save_page(client, "Cached", "first text")
    reader = _anonymous(app)
    assert b"first text" in reader.get("/wiki/Cached").data
    assert b"first text" in reader.get("/wiki/Cached").data  # served from the cache
    save_page(client, "Cached", "second text")
    assert b"second text" in reader.get("/wiki/Cached").data


def test_red_link_turns_blue_for_cached_anonymous_view(app, client, editor):
    save_page(client, "Linker", "see [[Target]]")
    reader = _anonymous(app)
    assert b"wikilink missing" in reader.get("/wiki/Linker").data
    save_page(client, "Target", "here")
    assert b"wikilink missing" not in reader.get("/wiki/Linker").data


def test_flash_after_logout_is_not_hidden_by_the_cache(app, client, editor):
    save_page(client, "Home", "welcome")
    _anonymous(app).get("/")  # cache the anonymous home page
    response = client.post("/logout", follow_redirects=True)
    assert b"You are logged out." in response.data


def test_logged_in_views_are_not_served_from_the_anonymous_cache(app, client, editor):
    save_page(client, "Mine", "text")
    _anonymous(app).get("/wiki/Mine")
    assert b"Log out" in client.get("/wiki/Mine").data
