"""Rendering cannot starve readers (#20 point 7): previews are rate-limited per user, have a
shorter time limit than a save and a host-wide number of slots; huge diffs and blame are
for logged-in readers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import CSRFClient, save_page
from wiki import create_app

SLOW = "<a " * 20000  # takes the renderer many seconds


def _app(app_config, **extra):
    app = create_app(**{**app_config, **extra})
    app.test_client_class = CSRFClient
    return app


def _editor(app, name="bob"):
    client = app.test_client()
    form = {"username": name, "password": "password123", "confirm": "password123"}
    assert client.post("/register", data=form).status_code == 302
    return client


def _preview(client, body="# Hi"):
    return client.post("/preview", data={"body": body, "title": "Scratch"})


def test_previews_are_rate_limited_per_user(app_config):
    app = _app(app_config, WIKI_PREVIEW_RATE="3 per minute")
    bob, carol = _editor(app, "bob"), _editor(app, "carol")
    for _ in range(3):
        assert _preview(bob).status_code == 200
    limited = _preview(bob)
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert limited.mimetype == "text/plain" and "preview pauses" in limited.get_data(as_text=True)
    assert _preview(carol).status_code == 200  # another editor is not affected


def test_a_preview_gives_up_sooner_than_a_save(app_config):
    app = _app(app_config, WIKI_PREVIEW_TIMEOUT=1.0, WIKI_RENDER_TIMEOUT=10.0)
    response = _preview(_editor(app), SLOW)
    assert response.status_code == 413
    assert "took longer than 1 seconds" in response.get_data(as_text=True)


def test_previews_wait_for_a_render_slot_held_by_another_worker(app_config, tmp_path):
    app = _app(app_config, WIKI_RENDER_WAIT=0.3)
    bob = _editor(app)
    lock_path = app.config["WIKI_RENDER_SLOTS_FILE"]
    holder = subprocess.Popen(  # another worker process rendering a preview right now
        [
            sys.executable,
            "-c",
            "import fcntl,os,sys,time\n"
            f"fd=os.open({lock_path!r},os.O_RDWR|os.O_CREAT)\n"
            "fcntl.lockf(fd,fcntl.LOCK_EX,1,0,os.SEEK_SET)\n"
            "print('held',flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = _preview(bob)
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
        assert "preview is busy" in busy.get_data(as_text=True)
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert _preview(bob).status_code == 200


@pytest.fixture
def huge_page(app_config):
    app = _app(app_config, WIKI_ANON_DIFF_MAX_BYTES=100 * 1024)
    bob = _editor(app)
    assert save_page(bob, "Big", "line\n" * 30000).status_code == 302  # ~150 KB
    assert save_page(bob, "Big", "other\n" * 30000).status_code == 302
    assert save_page(bob, "Small", "one").status_code == 302
    assert save_page(bob, "Small", "two").status_code == 302
    return app, bob


def test_anonymous_readers_cannot_diff_or_blame_huge_pages(huge_page):
    app, bob = huge_page
    anonymous = app.test_client()
    for url in ("/diff/Big?from=1&to=2", "/blame/Big"):
        refused = anonymous.get(url)
        assert refused.status_code == 403, url
        assert "log in to compare or blame" in refused.get_data(as_text=True)
        assert bob.get(url).status_code == 200, url
    assert anonymous.get("/history/Big").status_code == 200
    assert anonymous.get("/diff/Small?from=1&to=2").status_code == 200
    assert anonymous.get("/blame/Small").status_code == 200
