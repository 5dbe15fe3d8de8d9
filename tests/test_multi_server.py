"""Several app servers behind a load balancer keep no state of their own.

Two app servers (separate processes, each with its own ``SEARCH_INDEX_DIR`` to prove it is
unused) share one PostgreSQL database with ``SEARCH_BACKEND=postgres`` and Redis for rate
limits. One browser session is served by both, as a round-robin balancer would: whatever
one server does, the other shows at once. Needs TEST_DATABASE_URL and Redis; skipped with
the reason otherwise (CI sets WIKI_REQUIRE_ALL_BACKENDS, which turns skips into failures).
"""

from __future__ import annotations

import html
import urllib.parse
import uuid

import pytest

from tests.app_server import running
from tests.conftest import REDIS_URL, TEST_DATABASE_URL, _truncate_all

PASSWORD = "password123"
TITLE = "Shared page"
PATH = "Shared_page"


@pytest.fixture
def servers(migrated, redis_db, tmp_path):
    if not TEST_DATABASE_URL:
        pytest.skip("several app servers need one PostgreSQL database: set TEST_DATABASE_URL")
    _truncate_all(migrated["postgres"])
    # A key prefix of its own instead of flushing the Redis database: parallel test runs
    # share it.
    prefix = f"nexus-multi-{uuid.uuid4().hex}"
    common = {
        "SQLALCHEMY_DATABASE_URI": migrated["postgres"],
        "SEARCH_BACKEND": "postgres",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "SECRET_KEY": "one-secret-for-all-servers",
        "WIKI_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    configs = [{**common, "SEARCH_INDEX_DIR": str(tmp_path / f"ix-{n}")} for n in "ab"]
    with running(*configs) as pair:
        yield pair
    keys = list(redis_db.scan_iter(f"*{prefix}*"))
    if keys:
        redis_db.delete(*keys)


def _page_text(response) -> str:
    return html.unescape(response.text)


def test_a_save_on_one_server_is_at_once_everywhere_on_the_other(servers):
    a, b = servers
    on_a = a.client()
    assert on_a.register("alice", PASSWORD).status == 302
    on_b = b.client(cookies=on_a.cookies)  # the same browser, sent to the other server

    saved = on_a.save_page(TITLE, "Wombats dig burrows.\n\nSee [[Other page]].", "first")
    assert saved.status == 302
    view = on_b.get(f"/wiki/{PATH}")
    assert view.status == 200 and "Wombats dig burrows." in _page_text(view)
    assert "alice" in view.text  # B knows who is logged in: the session is the cookie
    assert on_b.get(f"/raw/{PATH}").text == "Wombats dig burrows.\n\nSee [[Other page]]."
    found = on_b.get("/search?q=wombats")
    assert found.status == 200 and TITLE in _page_text(found)
    assert TITLE in _page_text(on_b.get("/search/suggest?q=Shar"))

    edited = on_b.save_page(TITLE, "Wombats dig long burrows.\n", "second, on B")
    assert edited.status == 302
    history = _page_text(on_a.get(f"/history/{PATH}"))
    assert "first" in history and "second, on B" in history
    assert "long" in _page_text(on_a.get(f"/diff/{PATH}?from=1&to=2"))
    assert _page_text(on_a.get("/search?q=long")).count(TITLE) >= 1


def test_files_and_drafts_are_shared(servers):
    a, b = servers
    on_a = a.client()
    assert on_a.register("alice", PASSWORD).status == 302
    on_b = b.client(cookies=on_a.cookies)
    assert on_a.save_page(TITLE, "Has a file.").status == 302

    on_a.get(f"/files/{PATH}")  # the upload form's CSRF token
    assert on_a.upload(f"/files/{PATH}", "notes.txt", b"uploaded to A\n").status == 302
    served = on_b.get(f"/files/{PATH}/notes.txt")
    assert served.status == 200 and served.body == b"uploaded to A\n"
    assert "notes.txt" in on_b.get(f"/files/{PATH}").text

    on_a.get(f"/edit/{PATH}")
    autosave = on_a.post(f"/draft/{PATH}", {"body": "Typed on A, not saved.", "base_rev": "1"})
    assert autosave.json()["status"] == "saved"
    editor = on_b.get(f"/edit/{PATH}")
    assert 'id="draft-offer"' in editor.text
    restored = on_b.get(f"/edit/{PATH}?draft=1")
    assert "Typed on A, not saved." in _page_text(restored)
    assert on_b.get(f"/draft/{PATH}").json()["body"] == "Typed on A, not saved."


def test_failed_logins_split_over_both_servers_reach_the_limit(servers):
    a, b = servers
    assert a.client().register("alice", PASSWORD).status == 302
    for attempt in range(10):
        response = (a, b)[attempt % 2].client().login("alice", "wrong-password")
        assert response.status == 200, attempt
    for server in (a, b):
        blocked = server.client().login("alice", PASSWORD)
        assert blocked.status == 429
        assert "Try again in" in _page_text(blocked)


def test_the_servers_share_no_files(servers, tmp_path):
    """Nothing above needed the servers' own folders: the Whoosh folders stay empty."""
    a, b = servers
    on_a = a.client()
    assert on_a.register("alice", PASSWORD).status == 302
    assert on_a.save_page(TITLE, "Quolls.").status == 302
    query = urllib.parse.urlencode({"q": "quolls"})
    assert TITLE in _page_text(b.client().get(f"/search?{query}"))
    for name in ("ix-a", "ix-b"):
        folder = tmp_path / name
        assert not folder.exists() or not any(folder.iterdir()), name
