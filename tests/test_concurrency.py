"""Saves racing on one page: revision numbers stay unique and gapless, and every
acknowledged save (a 302 to the page view) is in history exactly once.

Real threads against a file SQLite database and PostgreSQL; each thread has its own test
client (so each request gets its own app context, session and connection), all logged in
with copies of one session cookie.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from tests.conftest import save_page
from wiki.extensions import db
from wiki.models import Draft, Page, Revision

THREADS = 20


def _session_clones(app, client, count: int) -> list:
    """Test clients sharing ``client``'s logged-in session cookie."""
    # One request first, so the once-every-5-minutes "last seen" write (auth's
    # note_activity) is not part of the race: this file measures saves.
    client.get("/")
    cookie = client.get_cookie("session")
    clones = []
    for _ in range(count):
        clone = app.test_client()
        clone.set_cookie("session", cookie.value)
        clones.append(clone)
    return clones


def _race(clients, work) -> list:
    """Run ``work(i, client)`` in one thread per client, all released at once."""
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def run(i: int, c) -> None:
        barrier.wait()
        try:
            results[i] = work(i, c)
        except Exception as error:  # surfaced by the assertions below
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a save never finished"
    return results


def _history(app, title: str) -> list[Revision]:
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == title))
        revisions = db.session.scalars(
            select(Revision).where(Revision.page_id == page.id).order_by(Revision.number)
        ).all()
        assert page.current_rev == revisions[-1].number
        db.session.expunge_all()
        return list(revisions)


def _acknowledged(response, title_path: str) -> bool:
    return response.status_code == 302 and response.headers["Location"].endswith(
        f"/wiki/{title_path}"
    )


def test_non_overlapping_racing_saves_all_land_merged(app, client, editor):
    # Changes to adjacent lines overlap (as in diff3), so two untouched lines separate them.
    lines = [f"line {i}" for i in range(3 * THREADS)]
    assert save_page(client, "Race", "\n".join(lines) + "\n").status_code == 302

    def work(i, c):
        mine = list(lines)
        mine[3 * i + 1] = f"line {3 * i + 1} edited by thread {i}"
        return save_page(c, "Race", "\n".join(mine) + "\n", base_rev=1, summary=f"thread {i}")

    results = _race(_session_clones(app, client, THREADS), work)
    assert all(not isinstance(r, Exception) for r in results), results
    assert all(_acknowledged(r, "Race") for r in results), [r.status_code for r in results]
    history = _history(app, "Race")
    assert [r.number for r in history] == list(range(1, THREADS + 2))
    summaries = sorted(r.summary for r in history[1:])
    assert summaries == sorted(f"thread {i}" for i in range(THREADS))
    final = client.get("/raw/Race").get_data(as_text=True)
    for i in range(THREADS):
        assert f"line {3 * i + 1} edited by thread {i}\n" in final


def test_overlapping_racing_saves_are_gapless_and_each_acknowledged_once(app, client, editor):
    assert save_page(client, "Hot", "intro\nthe contested line\noutro\n").status_code == 302

    def work(i, c):
        # Each thread reads the editor first (its base_rev races too), then saves.
        body = f"intro\nthe contested line, version {i}\noutro\n"
        return save_page(c, "Hot", body, summary=f"thread {i}")

    results = _race(_session_clones(app, client, THREADS), work)
    assert all(not isinstance(r, Exception) for r in results), results
    codes = [r.status_code for r in results]
    assert set(codes) <= {302, 409}, codes
    acknowledged = {f"thread {i}" for i, r in enumerate(results) if _acknowledged(r, "Hot")}
    refused = {f"thread {i}" for i, r in enumerate(results) if r.status_code == 409}
    assert acknowledged, "at least the first save must land"
    history = _history(app, "Hot")
    assert [r.number for r in history] == list(range(1, len(history) + 1))
    summaries = [r.summary for r in history[1:]]
    assert sorted(summaries) == sorted(acknowledged)
    assert not refused & set(summaries)
    for i, r in enumerate(results):
        if r.status_code == 409:  # the refused writer still has their text
            assert f"the contested line, version {i}".encode() in r.data


def test_racing_first_saves_of_a_new_page_create_it_once(app, client, editor):
    def work(i, c):
        return save_page(c, "Brand New", f"created by thread {i}\n", base_rev="", summary=f"t{i}")

    results = _race(_session_clones(app, client, 8), work)
    assert all(not isinstance(r, Exception) for r in results), results
    codes = [r.status_code for r in results]
    assert set(codes) <= {302, 409} and codes.count(302) >= 1, codes
    history = _history(app, "Brand New")
    assert [r.number for r in history] == list(range(1, len(history) + 1))
    assert len(history) == codes.count(302)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Page.id))) == 1


def test_racing_autosaves_from_several_tabs_keep_one_draft(app, client, editor):
    def work(i, c):
        data = {"body": f"tab {i} text", "base_rev": ""}
        return c.post("/draft/Tabs", data=data, headers={"Accept": "application/json"})

    results = _race(_session_clones(app, client, 6), work)
    assert all(not isinstance(r, Exception) for r in results), results
    assert [r.status_code for r in results] == [200] * 6
    statuses = sorted(r.get_json()["status"] for r in results)
    assert statuses == ["saved"] + ["skipped"] * 5  # one accepted per 3 s per editor
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Draft.id))) == 1
