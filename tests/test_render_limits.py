"""Rendering cannot starve readers (#20 point 7): previews are rate-limited per user, have a
shorter time limit than a save and a host-wide number of slots; huge diffs and blame are
for logged-in readers, who get them bounded: a diff is computed once per worker and shown up
to a budget, a blame page by page and worked out over several requests, and computing
either for huge revisions holds a render slot (503 + Retry-After when none frees up)."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from tests.conftest import CSRFClient, save_page
from wiki import create_app, slots
from wiki.extensions import db
from wiki.history import service as history_service
from wiki.history import views as history_views
from wiki.models import BlameCache, Page, Revision, now_utc

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


# -- diffs and blame of huge revisions, for logged-in readers -------------------------------


def _page_with(app, title: str, bodies: list[str]) -> None:
    """A page with these revisions, written directly: a 1 MB save would spend its time on
    rendering, which these tests are not about."""
    with app.app_context():
        page = Page(title=title, title_key=title.lower(), current_rev=0)
        db.session.add(page)
        db.session.flush()
        for body in bodies:
            page.current_rev += 1
            size = len(body.encode())
            db.session.add(
                Revision(
                    page_id=page.id,
                    number=page.current_rev,
                    title=title,
                    body=body,
                    summary="",
                    kind="edit",
                    size=size,
                    size_delta=0,
                    created_at=now_utc(),
                )
            )
        db.session.commit()


@pytest.fixture
def megabyte_pages(app_config):
    """Two 1 MB revisions with 15,000 of their 30,000 lines changed, and a small page."""
    app = _app(app_config, WIKI_RENDER_WAIT=0.2)
    reader = _editor(app)
    rng = random.Random(20)
    old = [f"line {k} {'x' * 25}\n" for k in range(30_000)]
    new = list(old)
    for k in rng.sample(range(30_000), 15_000):
        new[k] = f"changed {k} {'y' * 25}\n"
    _page_with(app, "Big", ["".join(old), "".join(new)])
    _page_with(app, "Small", ["one\n", "two\n"])
    return app, reader


@pytest.fixture
def diff_runs(monkeypatch):
    """How many times a source diff was computed."""
    runs = []
    compute = history_service.diff_revisions

    def counted(*args, **kwargs):
        runs.append(args[1:])
        return compute(*args, **kwargs)

    monkeypatch.setattr(history_service, "diff_revisions", counted)
    return runs


def _table(html: str) -> str:
    return html[html.index('<div class="diff-wrap">') : html.index("</table>")]


def test_a_huge_diff_is_computed_once_then_served_from_the_cache(megabyte_pages, diff_runs):
    app, reader = megabyte_pages
    first = reader.get("/diff/Big?from=1&to=2")
    assert first.status_code == 200 and len(diff_runs) == 1
    again = reader.get("/diff/Big?from=1&to=2")
    assert again.status_code == 200 and len(diff_runs) == 1  # from this worker's cache
    assert _table(again.get_data(as_text=True)) == _table(first.get_data(as_text=True))
    assert 'class="delta-plus">+15,000<' in again.get_data(as_text=True)
    assert reader.get("/diff/Big?from=1&to=2&view=split").status_code == 200
    assert len(diff_runs) == 2  # another way of showing it is another entry


def test_a_too_large_diff_shows_its_start_and_points_to_the_raw_revisions(megabyte_pages):
    app, reader = megabyte_pages
    for url in ("/diff/Big?from=1&to=2", "/diff/Big?from=1&to=2&full=1&view=split"):
        response = reader.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert "This diff is too large to show in full" in html, url
        assert 'href="/raw/Big?rev=1"' in html and 'href="/raw/Big?rev=2"' in html
        rows = html.count("<tr") - html.count('<tr class="diff-skip"')
        assert rows <= history_service.DIFF_MAX_LINES, url
        assert len(response.data) < 2_000_000, url  # 1 MB revisions, not 6 MB of diff
    small = reader.get("/diff/Small?from=1&to=2").get_data(as_text=True)
    assert "too large to show in full" not in small and "<ins>two</ins>" in small


def test_a_too_large_rendered_diff_shows_its_start(app, client, editor, monkeypatch):
    monkeypatch.setattr(history_service, "DIFF_MAX_LINES", 2)
    save_page(client, "Blocks", "one\n\ntwo\n\nthree\n")
    save_page(client, "Blocks", "one\n\n2\n\n3\n\nfour\n")
    for view in ("inline", "split"):
        response = client.get(f"/diff/Blocks?from=1&to=2&mode=rendered&view={view}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, view
        assert "This diff is too large to show in full" in html, view
        assert "<p>one</p>" in html and "<p>four</p>" not in html, view


def test_a_busy_render_slot_refuses_huge_diffs_but_not_small_or_cached_ones(
    megabyte_pages, diff_runs
):
    app, reader = megabyte_pages
    assert reader.get("/diff/Big?from=1&to=2").status_code == 200
    with app.test_request_context(), slots.render_slot():  # a long render holds the only slot
        busy = reader.get("/diff/Big?from=1&to=2&view=split")
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
        assert "busy with other large pages" in busy.get_data(as_text=True)
        assert reader.get("/diff/Big?from=1&to=2").status_code == 200  # cached: no slot
        assert reader.get("/diff/Small?from=1&to=2").status_code == 200  # small: no slot
        assert reader.get("/blame/Big").status_code == 503  # not cached yet
        assert reader.get("/blame/Small").status_code == 200
    assert len(diff_runs) == 2  # the refused one computed nothing
    assert reader.get("/diff/Big?from=1&to=2&view=split").status_code == 200


def _blamed_lines(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="ln" id="L(\d+)">', html)]


def test_a_blame_is_shown_a_page_of_lines_at_a_time(app, client, editor, monkeypatch):
    monkeypatch.setattr(history_views, "BLAME_PER_PAGE", 2)
    save_page(client, "Lines", "a\nb\nc\nd\ne\n")
    first = client.get("/blame/Lines").get_data(as_text=True)
    assert _blamed_lines(first) == [1, 2] and "Lines 1–2 of 5" in first
    assert 'href="/blame/Lines?page=2"' in first and "Earlier lines" not in first
    last = client.get("/blame/Lines?page=3").get_data(as_text=True)
    assert _blamed_lines(last) == [5] and "r1</a>" in last  # each page names its revisions
    assert 'href="/blame/Lines?page=2"' in last and "Later lines" not in last
    assert client.get("/blame/Lines?page=4").status_code == 404
    assert client.get("/blame/Lines?page=x").status_code == 400


def test_a_long_history_is_blamed_over_several_requests(app, client, editor, monkeypatch):
    monkeypatch.setattr(history_service, "REPLAY_SECONDS", 0.0)  # one revision per request
    for k in range(3):
        save_page(client, "Story", "".join(f"line {j}\n" for j in range(k + 1)))
    for done in (1, 2):
        pending = client.get("/blame/Story")
        assert pending.status_code == 503 and pending.headers["Retry-After"] == "1"
        html = pending.get_data(as_text=True)
        assert f"up to revision {done} of 3" in html and 'http-equiv="refresh"' in html
    blamed = client.get("/blame/Story")
    assert blamed.status_code == 200 and _blamed_lines(blamed.get_data(as_text=True)) == [1, 2, 3]
    with app.app_context():
        kept = db.session.scalars(
            select(Revision.number).join(BlameCache, BlameCache.revision_id == Revision.id)
        ).all()
    assert sorted(kept) == [1, 2, 3]  # each request kept where it got to


def test_the_api_diff_of_huge_revisions_is_bounded_cached_and_slotted(megabyte_pages, diff_runs):
    app, reader = megabyte_pages
    url = "/api/v1/pages/Big/diff?from=1&to=2"
    with app.test_request_context(), slots.render_slot():
        busy = reader.get(url)
        assert busy.status_code == 503 and busy.mimetype == "application/problem+json"
        assert int(busy.headers["Retry-After"]) > 0
    first = reader.get(url)
    doc = first.get_json()
    assert first.status_code == 200 and doc["added"] == 15_000 and doc["lines_left_out"] > 0
    shown = sum(len(hunk["lines"]) for hunk in doc["hunks"])
    assert shown + doc["lines_left_out"] > history_service.DIFF_MAX_LINES >= shown
    assert reader.get(url).data == first.data and len(diff_runs) == 1  # from the cache
    small = reader.get("/api/v1/pages/Small/diff?from=1&to=2").get_json()
    assert small["lines_left_out"] == 0 and small["added"] == 1
