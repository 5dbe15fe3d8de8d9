"""This host's job runner as a process of its own: ``flask --app wsgi jobs work``.

With the in-app worker (``WIKI_JOBS_WORKER=thread``), every web process had a job thread,
and after each save each of them woke: four workers looked for the same new events, took
the database's write lock in turn to find another had fanned them out, and did so on the
GIL of a worker serving the next request. One process per host does each job once and
shares no GIL with a request: ``bin/serve`` starts it beside gunicorn (as it starts the
search indexer). Workers wake it through a datagram socket (:mod:`wiki.jobs.listener`);
when none listens (not started, or died) they fall back to their own thread, so the jobs
always run. Work is read from the database, so nothing is lost if this process dies.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time

from flask import Flask

from wiki.jobs import listener
from wiki.jobs.runner import run_jobs

DEFAULT_POLL = 30.0
# While saves wake it faster than it runs, runs are JOBS_GAP apart (listener.Pacer): each run
# fans out every event since the last one, and its fixed queries (events to fan out, digests
# due, deliveries due) are paid once a second instead of once a save.
JOBS_GAP = 1.0


def wake_path(app: Flask) -> str:
    """The job process's socket: in the instance folder, one per database (two wikis of a
    host, or a benchmark beside ``make run``, never wake each other's runner)."""
    database = app.config["SQLALCHEMY_DATABASE_URI"].encode()
    return os.path.join(app.instance_path, f"jobs-{hashlib.sha1(database).hexdigest()[:12]}.wake")


def wake(app: Flask) -> bool:
    """Whether this host's job process listens and was woken (never blocks)."""
    return listener.wake(wake_path(app))


def work(app: Flask, *, poll: float | None = None, stop: threading.Event | None = None) -> None:
    """Run the jobs until SIGTERM/SIGINT (or ``stop``): when a worker wakes this process
    (at most once every JOBS_GAP seconds while wake-ups come faster than runs), when a job
    asked to run again (a retry due), and every ``poll`` seconds (default
    ``WIKI_JOBS_POLL_SECONDS``), which picks up work whose wake-up was lost.

    :raises RuntimeError: another job process already listens at :func:`wake_path`.
    """
    poll = poll or float(app.config.get("WIKI_JOBS_POLL_SECONDS", DEFAULT_POLL))
    inbox = listener.Listener(wake_path(app), timeout=min(poll, 1.0))  # a stop within 1 s
    stop = listener.stop_on_signals(stop)
    with inbox:
        due = time.monotonic()  # run once at start: work queued while none ran
        pacer = listener.Pacer(JOBS_GAP)
        while not stop.is_set():
            # Due already (a job asked to run again at once): no waiting for a wake-up.
            woken = 0 if time.monotonic() >= due else inbox.drain()
            if woken or time.monotonic() >= due:
                if woken and pacer.wait(stop):
                    break
                pacer.began(woken + inbox.drain(wait=False))  # one run serves them all
                delay = run_jobs(app)
                due = time.monotonic() + (poll if delay is None else min(poll, delay))
