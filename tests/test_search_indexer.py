"""The indexer thread (wiki.search.indexer, SEARCH_SYNC="background", the production default):
a save through the edit form answers without indexing, the process's indexer thread indexes
it just after, and saves arriving together are drained by one sync."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import save_page
from tests.search_support import titles
from wiki.extensions import db
from wiki.models import SearchStale
from wiki.search import indexer
from wiki.search import service as search_service


@pytest.fixture
def background(app, editor):
    app.config["SEARCH_SYNC"] = "background"
    yield app
    indexer.stop(app)


def _spy_syncs(monkeypatch) -> list[str]:
    """The names of the threads each search sync ran on."""
    ran: list[str] = []
    real = search_service.sync

    def spy():
        ran.append(threading.current_thread().name)
        real()

    monkeypatch.setattr(search_service, "sync", spy)
    return ran


def test_a_save_is_indexed_by_the_indexer_thread_not_the_request(background, client, monkeypatch):
    ran = _spy_syncs(monkeypatch)
    assert save_page(client, "Narwhal", "Whales with a tusk.").status_code == 302
    assert indexer.indexer_for(background).wait_idle(timeout=30)
    assert ran and set(ran) == {"search-indexer"}  # never on the request's thread
    with background.app_context():
        assert titles("tusk") == ["Narwhal"]
        assert db.session.scalar(select(func.count()).select_from(SearchStale)) == 0


def test_saves_together_are_drained_and_all_found(background, client):
    for n in range(8):
        assert save_page(client, f"Whale {n}", f"Species number{n} of whale.").status_code == 302
    assert indexer.indexer_for(background).wait_idle(timeout=60)
    with background.app_context():
        assert sorted(titles("whale")) == [f"Whale {n}" for n in range(8)]
        assert db.session.scalar(select(func.count()).select_from(SearchStale)) == 0


def test_request_mode_indexes_before_answering(app, client, editor, monkeypatch):
    ran = _spy_syncs(monkeypatch)
    assert save_page(client, "Beluga", "A white whale.").status_code == 302
    assert ran == [threading.current_thread().name]
    assert indexer.indexer_for(app).thread is None  # no thread was needed


def test_a_stopped_indexer_starts_no_thread(background, client):
    indexer.stop(background)
    assert save_page(client, "Orca", "Black and white.").status_code == 302
    assert indexer.indexer_for(background).thread is None
    with background.app_context():  # the stale row waits for the next sync anywhere
        assert db.session.scalar(select(func.count()).select_from(SearchStale)) == 1


def test_stopping_waits_for_the_sync_under_way_and_starts_none(background, client, monkeypatch):
    """Nothing of a stopped indexer runs on beside what comes next (a test's next app: its
    Whoosh writes moved the ``random`` state under a Hypothesis test)."""
    started, finish = threading.Event(), threading.Event()
    ran = _spy_syncs(monkeypatch)
    real = search_service.sync

    def slow_sync():
        started.set()
        finish.wait(5)
        real()

    monkeypatch.setattr(search_service, "sync", slow_sync)
    assert save_page(client, "Narwhal", "Whales with a tusk.").status_code == 302
    assert started.wait(10)  # a sync is under way in the indexer thread
    thread = indexer.indexer_for(background).thread
    threading.Timer(0.2, finish.set).start()
    indexer.stop(background)
    assert not thread.is_alive()  # stop() returned once the sync under way had ended
    assert ran == ["search-indexer"]  # and no sync began after stop()


_EXIT_AFTER_A_KICK = """
import json, sys
from wiki import create_app
from wiki.search import indexer
app = create_app(**json.loads(sys.argv[1]))
indexer.kick(app)  # a save's wake-up, then the process ends at once (a worker stopping)
"""


def test_a_process_ending_normally_lets_its_indexer_catch_up(background, app_config, client):
    indexer.stop(background)  # this process leaves the save's stale row for another
    assert save_page(client, "Narwhal", "Whales with a tusk.").status_code == 302
    config = {**app_config, "SEARCH_SYNC": "background"}
    done = subprocess.run(
        [sys.executable, "-c", _EXIT_AFTER_A_KICK, json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with background.app_context():
        assert db.session.scalar(select(func.count()).select_from(SearchStale)) == 0
        assert titles("tusk") == ["Narwhal"]


# -- this host's indexer process (`flask --app wsgi search follow`) ---------------------------

_FOLLOWER = """
import json, sys
from wiki import create_app
from wiki.search import indexer
indexer.follow(create_app(**json.loads(sys.argv[1])), poll=60)
"""


@pytest.fixture
def follower(background, app_config):
    """A real follower process for the test app's wiki, stopped with SIGTERM after."""
    path = indexer.wake_path(background)
    process = subprocess.Popen(
        [sys.executable, "-c", _FOLLOWER, json.dumps({**app_config, "SEARCH_SYNC": "background"})],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the follower did not start listening"
        time.sleep(0.05)
    yield process
    if process.poll() is None:
        process.terminate()
        process.wait(30)


def _eventually_found(app, word: str, expected: list[str], within: float = 30) -> None:
    deadline = time.monotonic() + within
    while True:
        with app.app_context():
            found = titles(word)
            search_service.close()  # reopen: the follower wrote new segments
        if found == expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert found == expected


def _stale_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SearchStale))


def test_a_save_wakes_the_hosts_follower_process_not_a_thread(background, follower, client):
    assert save_page(client, "Narwhal", "Whales with a tusk.").status_code == 302
    assert indexer.indexer_for(background).thread is None  # this worker indexed nothing
    _eventually_found(background, "tusk", ["Narwhal"])
    deadline = time.monotonic() + 30  # the follower clears the row just after its commit
    while _stale_rows(background) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _stale_rows(background) == 0
    follower.terminate()
    assert follower.wait(30) == 0
    assert not os.path.exists(indexer.wake_path(background))  # it cleans up after itself


def test_a_follower_catches_up_with_saves_made_while_none_ran(background, app_config, client):
    indexer.stop(background)  # no thread either: the stale row waits
    assert save_page(client, "Beluga", "A white whale.").status_code == 302
    with background.app_context():
        assert db.session.scalar(select(func.count()).select_from(SearchStale)) == 1
    stop = threading.Event()
    runner = threading.Thread(target=indexer.follow, args=(background,), kwargs={"stop": stop})
    runner.start()
    try:
        _eventually_found(background, "white", ["Beluga"])
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()


def test_a_stopping_follower_first_indexes_what_is_left(background, client):
    """gunicorn stops the follower after its workers: their last saves are indexed then,
    not at the next start."""
    indexer.stop(background)
    assert save_page(client, "Dugong", "A sea cow.").status_code == 302
    assert _stale_rows(background) == 1
    stop = threading.Event()
    stop.set()  # asked to stop before its loop ran once: only its last sync runs
    indexer.follow(background, stop=stop)
    assert _stale_rows(background) == 0
    _eventually_found(background, "cow", ["Dugong"])


def _follower_thread(app) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    runner = threading.Thread(target=indexer.follow, args=(app,), kwargs={"stop": stop})
    runner.start()
    return runner, stop


def test_saves_faster_than_syncs_share_one_sync_after_the_gap(background, client, monkeypatch):
    """Once a sync served more than one save, the next starts FOLLOW_GAP after it began:
    the saves of a burst wait for one commit."""
    monkeypatch.setattr(indexer, "FOLLOW_GAP", 2.0)
    starts: list[float] = []
    release = threading.Event()
    real = search_service.sync

    def slow_sync():
        starts.append(time.monotonic())
        if len(starts) == 2:  # the first save's sync: the next saves come in meanwhile
            release.wait(30)
        real()

    monkeypatch.setattr(search_service, "sync", slow_sync)
    fish = ["anchovy", "herring", "sprat", "sardine", "mackerel", "capelin"]

    def save(n: int) -> None:
        assert save_page(client, f"Seal {n}", f"Pinniped eats {fish[n]}.").status_code == 302

    runner, stop = _follower_thread(background)
    try:
        while not os.path.exists(indexer.wake_path(background)) or not starts:
            time.sleep(0.01)  # listening, and its sync at start has begun
        save(0)
        while len(starts) < 2:
            time.sleep(0.01)
        for n in (1, 2, 3):
            save(n)
        release.set()
        _eventually_found(background, "sardine", ["Seal 3"])
        assert len(starts) == 3  # the three saves that came during a sync: one more
        for n in (4, 5):  # that one served three: these wait for the gap, together
            save(n)
        _eventually_found(background, "capelin", ["Seal 5"])
        assert len(starts) == 4 and starts[3] - starts[2] >= 2.0
    finally:
        stop.set()
        runner.join(10)
    with background.app_context():
        assert len(titles("pinniped")) == 6


def test_a_save_the_indexer_can_keep_up_with_is_synced_without_waiting_for_the_gap(
    background, client, monkeypatch
):
    monkeypatch.setattr(indexer, "FOLLOW_GAP", 60.0)
    ran = _spy_syncs(monkeypatch)
    runner, stop = _follower_thread(background)
    try:
        while not os.path.exists(indexer.wake_path(background)) or not ran:
            time.sleep(0.01)  # listening, and its sync at start has begun
        for name in ("Walrus", "Manatee"):  # one at a time, each after the last is indexed
            assert save_page(client, name, f"{name} whiskers.").status_code == 302
            _eventually_found(background, name.lower(), [name], within=10)
        assert len(ran) == 3  # at start and one per save, well within the 60 s gap
    finally:
        stop.set()
        runner.join(10)


def test_a_second_follower_refuses_to_start(background, follower):
    with pytest.raises(RuntimeError, match="already listens"):
        indexer.follow(background, stop=threading.Event())
    assert follower.poll() is None  # the first one goes on


def test_a_dead_followers_socket_falls_back_to_the_workers_thread(background, client):
    path = indexer.wake_path(background)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(path)
    dead.close()  # the file stays, nobody listens: as after a crash
    assert os.path.exists(path)
    assert save_page(client, "Orca", "Black and white.").status_code == 302
    assert indexer.indexer_for(background).wait_idle(timeout=30)
    assert indexer.indexer_for(background).thread is not None
    with background.app_context():
        assert titles("black") == ["Orca"]
