"""The one job interface on its paths (issue 16): the host's job process, the app's own worker
thread and real Celery worker processes on a Redis broker; and a delivering process killed
between the commit and the send, whose event is delivered exactly once after a restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import redis
from sqlalchemy import select

from tests.collab_support import Receiver, save_as, scalar, scalars, users, wait_for
from wiki.jobs import listener, process, runner
from wiki.jobs.worker import Worker, worker_for
from wiki.notify.models import Delivery, Event

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# One Redis database per xdist worker (14, 13, ...): two Celery workers started by tests
# running at once would otherwise take each other's tasks and flush each other's queue.
_WORKER_NO = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
BROKER = os.environ.get("TEST_CELERY_BROKER_URL", f"redis://127.0.0.1:6379/{14 - _WORKER_NO}")


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _hook(client, auth, receiver) -> None:
    auth.login("alice")
    added = client.post(
        "/admin/webhooks",
        data={
            "url": receiver.url("/hook"),
            "events": ["page.saved"],
            "secret": "k",
            "format": "json",
        },
    )
    assert added.status_code == 302
    auth.logout()


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WIKI_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"}


@pytest.fixture
def thread_app_config(app_config):
    app_config.update(WIKI_JOBS_WORKER="thread", WIKI_JOBS_POLL_SECONDS=1)
    return app_config


def test_in_app_worker_thread_delivers_after_the_commit(thread_app_config, client, auth, receiver):
    app = client.application
    try:
        users(auth, "alice", "bob")
        _hook(client, auth, receiver)
        save_as(auth, client, "bob", "Topic", "text")
        wait_for(lambda: receiver.requests)
        body = json.loads(receiver.requests[0]["body"])
        assert body["event"] == "page.saved" and body["page"]["title"] == "Topic"
        wait_for(lambda: scalars(app, select(Delivery.status)) == ["sent"])
    finally:
        worker_for(app).stop()
    assert len(receiver.requests) == 1


def _job_process(app_config) -> subprocess.Popen:
    """``flask --app wsgi jobs work`` for the test app's database, once it listens."""
    return subprocess.Popen(
        [os.path.join(ROOT, ".venv", "bin", "flask"), "--app", "wsgi", "jobs", "work"],
        cwd=ROOT,
        env=_env(app_config),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_the_hosts_job_process_delivers_and_no_worker_thread_is_woken(
    thread_app_config, client, auth, receiver, monkeypatch
):
    """One job process per host (bin/gunicorn.conf.py starts it): a save wakes it through
    its socket, and no worker runs the job in a thread of its own."""
    app = client.application
    app.config["WIKI_JOBS_POLL_SECONDS"] = 600  # only a wake-up can deliver in time
    woken_threads = []
    monkeypatch.setattr(Worker, "wake", lambda self: woken_threads.append(self))
    users(auth, "alice", "bob")
    _hook(client, auth, receiver)
    runner = _job_process(thread_app_config)
    try:
        wait_for(lambda: os.path.exists(process.wake_path(app)) or runner.poll() is not None)
        assert runner.poll() is None
        save_as(auth, client, "bob", "Topic", "text")
        wait_for(lambda: receiver.requests)
        assert json.loads(receiver.requests[0]["body"])["page"]["title"] == "Topic"
        wait_for(lambda: scalars(app, select(Delivery.status)) == ["sent"])
        assert woken_threads == []
    finally:
        runner.send_signal(signal.SIGTERM)
        output = runner.communicate(timeout=30)[0].decode(errors="replace")
    assert runner.returncode == 0 and "Stopped." in output, output[-3000:]
    assert not os.path.exists(process.wake_path(app))  # it cleans up after itself
    worker_for(app).stop()


def test_a_second_job_process_refuses_to_start(thread_app_config, client):
    app = client.application
    stop = threading.Event()
    first = threading.Thread(target=process.work, args=(app,), kwargs={"stop": stop})
    first.start()
    try:
        wait_for(lambda: os.path.exists(process.wake_path(app)))
        with pytest.raises(RuntimeError, match="already listens"):
            process.work(app, stop=threading.Event())
        assert first.is_alive()  # the first one goes on
    finally:
        stop.set()
        first.join(10)
    assert not first.is_alive()


def test_a_job_due_again_at_once_runs_without_waiting_for_a_wake_up(app, monkeypatch):
    """A job that asks to run again at once (a full batch of deliveries) runs again at
    once; before, each further batch first waited up to a second for a wake-up."""
    runs, waits = [], []
    stop = threading.Event()
    here = threading.current_thread()

    def again() -> float | None:
        # JOBS is the process's: a job thread another test's app left running may call it.
        if threading.current_thread() is not here:
            return None
        runs.append(len(runs))
        if len(runs) == 3:
            stop.set()
        return 0.0

    real_drain = listener.Listener.drain

    def drain(self, *, wait: bool = True) -> int:
        if wait:
            waits.append(len(runs))
        return real_drain(self, wait=wait)

    monkeypatch.setitem(runner.JOBS, "test.again", again)
    monkeypatch.setattr(listener.Listener, "drain", drain)
    process.work(app, poll=30, stop=stop)
    assert runs == [0, 1, 2] and waits == []


def test_the_pacer_waits_the_gap_only_after_a_round_that_served_several(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(listener.time, "monotonic", lambda: now[0])
    waits: list[float] = []

    class Stop:
        def wait(self, timeout: float) -> bool:
            waits.append(round(timeout, 6))
            return False

        def is_set(self) -> bool:
            return False

    pacer = listener.Pacer(2.0)
    assert pacer.wait(Stop()) is False and waits == []  # the first round: at once
    pacer.began(1)
    now[0] = 100.5
    assert pacer.wait(Stop()) is False and waits == []  # it kept up: at once
    pacer.began(3)  # at 100.5, serving three wake-ups
    now[0] = 101.0
    assert pacer.wait(Stop()) is False and waits == [1.5]  # until 102.5


def test_wake_ups_faster_than_runs_share_one_run_after_the_gap(app, monkeypatch):
    """In the job process: a burst of wake-ups that came during a run is served by one run,
    and the run after that one begins JOBS_GAP after it; a single wake-up while the runner
    keeps up runs at once. (Rounds are timed where the pacer starts them: other jobs run
    before this test's, for as long as a loaded machine takes.)"""
    monkeypatch.setattr(process, "JOBS_GAP", 1.5)
    rounds: list[tuple[float, int]] = []  # (when it began, wake-ups served)
    real_began = listener.Pacer.began

    def began(self, served: int) -> None:
        real_began(self, served)
        rounds.append((time.monotonic(), served))

    monkeypatch.setattr(listener.Pacer, "began", began)
    release, stop = threading.Event(), threading.Event()

    def spy() -> None:
        if len(rounds) == 2:
            release.wait(30)  # the burst below comes in while this run works

    monkeypatch.setitem(runner.JOBS, "test.spy", spy)
    worker = threading.Thread(target=process.work, args=(app,), kwargs={"stop": stop})
    worker.start()
    try:
        wait_for(lambda: os.path.exists(process.wake_path(app)) and rounds)  # run at start
        woken = time.monotonic()
        assert process.wake(app)
        wait_for(lambda: len(rounds) == 2)
        assert rounds[1][0] - woken < 1.0 and rounds[1][1] == 1  # it kept up: no gap
        for _ in range(3):
            assert process.wake(app)
        release.set()
        wait_for(lambda: len(rounds) == 3)
        assert rounds[2][1] == 3  # one run for the three
        assert process.wake(app)  # after a run that served three: this one waits
        wait_for(lambda: len(rounds) == 4)
        assert rounds[3][0] - rounds[2][0] >= 1.5
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()


def test_a_dead_job_process_leaves_the_work_to_the_workers_thread(
    thread_app_config, client, auth, receiver
):
    app = client.application
    path = process.wake_path(app)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(path)
    dead.close()  # the file stays, nobody listens: as after a crash
    try:
        users(auth, "alice", "bob")
        _hook(client, auth, receiver)
        save_as(auth, client, "bob", "Topic", "text")
        wait_for(lambda: receiver.requests)
        assert worker_for(app)._thread is not None
    finally:
        worker_for(app).stop()
        os.unlink(path)


@pytest.fixture
def broker():
    client = redis.Redis.from_url(BROKER)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        client.close()
        pytest.skip(f"needs Redis at {BROKER} for the Celery broker")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def _env(app_config, **more) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=app_config["SECRET_KEY"],
        SEARCH_INDEX_DIR=app_config["SEARCH_INDEX_DIR"],
        WIKI_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
        PYTHONPATH=ROOT,
        **more,
    )
    return env


def test_celery_worker_process_delivers(app_config, broker, client, auth, receiver, tmp_path):
    """``celery -A wsgi.celery worker``, configured only by environment variables."""
    app_config["CELERY_BROKER_URL"] = BROKER
    app = client.application
    app.config["CELERY_BROKER_URL"] = BROKER
    users(auth, "alice", "bob")
    _hook(client, auth, receiver)
    save_as(auth, client, "bob", "Before", "committed while no worker runs")
    worker = subprocess.Popen(
        [
            os.path.join(ROOT, ".venv", "bin", "celery"),
            "-A",
            "wsgi.celery",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=_env(app_config, CELERY_BROKER_URL=BROKER),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: len(receiver.requests) == 1, timeout=60)
        save_as(auth, client, "bob", "After", "sent to the worker through Redis")
        wait_for(lambda: len(receiver.requests) == 2, timeout=60)
        titles = sorted(json.loads(r["body"])["page"]["title"] for r in receiver.requests)
        assert titles == ["After", "Before"]
        wait_for(lambda: scalars(app, select(Delivery.status)) == ["sent", "sent"])
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert "Traceback" not in output, output[-3000:]


def test_a_crash_between_commit_and_send_delivers_exactly_once(
    app_config, client, auth, receiver, tmp_path
):
    app = client.application
    users(auth, "alice", "bob")
    _hook(client, auth, receiver)
    config = {
        k: app_config[k]
        for k in (
            "SQLALCHEMY_DATABASE_URI",
            "SECRET_KEY",
            "SEARCH_INDEX_DIR",
            "WIKI_PASSWORD_HASH_METHOD",
        )
    }
    config.update(WIKI_WEBHOOK_ALLOW_HOSTS="127.0.0.1", WIKI_JOBS_LEASE_SECONDS=1, TESTING=True)

    def run(action: str, **extra):
        env = _env(app_config, NEXUS_TEST_CONFIG=json.dumps({**config, **extra}))
        # Output goes to a file, not a pipe: the render workers of a process killed with
        # os._exit keep a pipe open after it died.
        log = tmp_path / f"{action}.log"
        with open(log, "wb") as out:
            done = subprocess.run(
                [sys.executable, "-m", "tests.collab_proc", action],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=90,
            )
        done.output = log.read_text(errors="replace")[-2000:]
        return done

    # the process saves (commit), its worker claims the delivery and dies before sending
    crashed = run("save", WIKI_FAULT_EXIT_BEFORE_SEND=True)
    assert crashed.returncode == 70, crashed.output
    assert receiver.requests == []
    assert scalars(app, select(Delivery.status)) == ["sending"]
    assert scalar(app, select(Event.state).where(Event.kind == "page.saved")) == "done"
    # a restarted process picks it up once the dead claim's lease has passed
    restarted = run("work")
    assert restarted.returncode == 0, restarted.output
    again = run("work")
    assert again.returncode == 0
    (request,) = receiver.requests
    event_id = scalar(app, select(Event.uuid).where(Event.kind == "page.saved"))
    assert request["headers"]["x-nexus-delivery"] == event_id
    assert json.loads(request["body"])["page"]["title"] == "Crash test"
    assert scalars(app, select(Delivery.attempts)) == [2]


def test_a_hanging_endpoint_never_blocks_saves(thread_app_config, client, auth, receiver):
    """The worker thread is stuck on an endpoint that never answers: saves go on as usual."""
    app = client.application
    app.config["WIKI_WEBHOOK_TIMEOUT"] = 30  # blocking on it would take 30 s per save
    try:
        users(auth, "alice", "bob")
        auth.login("alice")
        client.post(
            "/admin/webhooks",
            data={"url": receiver.url("/hang"), "events": ["page.saved"], "format": "json"},
        )
        auth.logout()
        save_as(auth, client, "bob", "Topic", "first")
        wait_for(lambda: receiver.requests)  # the worker is now waiting on the endpoint
        started = time.monotonic()
        for n in range(3):
            save_as(auth, client, "bob", "Topic", f"edit {n}")
        assert time.monotonic() - started < 20.0
        assert len(scalars(app, select(Event.id))) == 4  # all recorded, delivery catches up
    finally:
        receiver.hang.set()
        worker_for(app).stop()
