"""The whole-page cache never shows a stale page after a change, and a page kept for one
reader shows another reader only what is theirs."""

import re

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


def test_a_flash_message_is_shown_once_and_never_kept(app, client, editor):
    save_page(client, "Flashed", "text")
    assert "Saved revision 1" in client.get("/wiki/Flashed").get_data(as_text=True)
    assert "Saved revision 1" not in client.get("/wiki/Flashed").get_data(as_text=True)
    other = _reader(app, "carol")
    assert "Saved revision 1" not in other.get("/wiki/Flashed").get_data(as_text=True)


def test_logged_in_views_are_not_served_from_the_anonymous_cache(app, client, editor):
    save_page(client, "Mine", "text")
    _anonymous(app).get("/wiki/Mine")
    assert b"Log out" in client.get("/wiki/Mine").data


# -- logged-in readers share shells; what shows the reader is theirs (page_cache slots) -----


def _reader(app, name: str):
    """A new client logged in as ``name`` (registered on first use)."""
    client = _anonymous(app)
    if client.post("/login", data={"username": name, "password": "password123"}).status_code != 302:
        form = {"username": name, "password": "password123", "confirm": "password123"}
        assert client.post("/register", data=form).status_code == 302
    return client


def _token(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html)[1]


def _store_size(app) -> int:
    from wiki.pages import page_cache

    return len(page_cache.store_of(app).entries)


def test_a_shared_shell_shows_each_reader_their_own_name_token_and_watch(app, client, editor):
    save_page(client, "Shared", "text for all")
    carol, dave = _reader(app, "carol"), _reader(app, "dave")
    assert carol.post("/watch/Shared").status_code == 302
    first = carol.get("/wiki/Shared").get_data(as_text=True)
    kept = _store_size(app)
    second = dave.get("/wiki/Shared").get_data(as_text=True)
    assert _store_size(app) == kept  # dave's page came from carol's shell
    assert ">carol</a>" in first and ">dave</a>" in second and "carol" not in second
    assert 'aria-pressed="true">Unwatch' in first and 'aria-pressed="false">Watch' in second
    assert _token(first) != _token(second)
    # each token is the reader's own: dave's form posts pass, carol's token is refused for him
    assert dave.post("/watch/Shared", data={"csrf_token": _token(second)}).status_code == 302
    assert dave.post("/unwatch/Shared", data={"csrf_token": _token(first)}).status_code == 400


def test_changed_since_and_presence_are_per_reader(app, client, editor):
    save_page(client, "Busy", "one")
    carol, dave = _reader(app, "carol"), _reader(app, "dave")
    carol.get("/wiki/Busy"), dave.get("/wiki/Busy")
    save_page(client, "Busy", "two")
    dave.get("/wiki/Busy")  # dave saw revision 2; carol did not
    assert "Changed since your last visit (1 edit)" in carol.get("/wiki/Busy").get_data(
        as_text=True
    )
    assert "Changed since your last visit" not in dave.get("/wiki/Busy").get_data(as_text=True)
    assert carol.post("/draft/Busy", data={"body": "draft", "base_rev": "2"}).status_code == 200
    assert "carol</strong> is editing" in dave.get("/wiki/Busy").get_data(as_text=True)
    assert "is editing" not in carol.get("/wiki/Busy").get_data(as_text=True)


def test_roles_get_their_own_shells(app, client, editor):
    save_page(client, "Roles", "text")
    admin = _reader(app, "alice")
    assert "Delete page" in admin.get("/wiki/Roles").get_data(as_text=True)
    page = client.get("/wiki/Roles").get_data(as_text=True)  # bob, an editor
    assert "Delete page" not in page and "Rename or move" in page
    assert "Rename or move" not in _anonymous(app).get("/wiki/Roles").get_data(as_text=True)


def test_cache_off_and_on_show_a_logged_in_reader_the_same_page(app, client, editor):
    save_page(client, "Same", "# Title\n\ntext [[Same/Child]]")
    save_page(client, "Same/Child", "child")
    assert "Saved revision 1" in client.get("/wiki/Same").get_data(as_text=True)
    assert "flashes" not in client.get("/wiki/Same").get_data(as_text=True)  # shown once
    pages = []
    for cached in (False, True, True):
        app.config["WIKI_PAGE_CACHE"] = cached
        html = client.get("/wiki/Same").get_data(as_text=True)
        pages.append(html.replace(_token(html), "TOKEN"))
    assert pages[0] == pages[1] == pages[2]
    assert "TOKEN" in pages[0] and ">bob</a>" in pages[0]


def test_page_text_cannot_forge_a_slot_mark(app, client, editor):
    from wiki.pages import page_cache

    forged = page_cache._SLOT_MARK.replace(page_cache._NONCE, "0" * 16).format("_user_nav.html", "")
    save_page(client, "Forged", f"before {forged} after {page_cache._CSRF_MARK[:5]}")
    html = _anonymous(app).get("/wiki/Forged").get_data(as_text=True)
    assert html.count("Log in</a>") == 1


def test_an_anonymous_page_kept_whole_holds_no_csrf_token(app, client, editor):
    """Anonymous pages are kept whole and served to everyone: nothing in them may be one
    reader's (a CSRF token would be the first reader's)."""
    save_page(client, "Public", "text")
    html = _anonymous(app).get("/wiki/Public").get_data(as_text=True)
    assert "csrf" not in html.lower()
    assert "csrf" in client.get("/wiki/Public").get_data(as_text=True).lower()  # logged in: yes
