"""The in-app worker: one daemon thread per process that runs the jobs when woken.

It starts on the first wake-up or request of a process (gunicorn forks after import, and a
thread does not survive a fork), then sweeps every ``WIKI_JOBS_POLL_SECONDS`` so work left by
a crashed process is picked up without anyone asking. While this host's job process runs
(wiki.jobs.process), a sweep only wakes it: every worker sweeping too made four more
processes fan out the same events, each taking the write lock that saves queue for.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask

from wiki.jobs import process
from wiki.jobs.runner import run_jobs

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def ensure_started(self) -> None:
        """Start the thread in this process if it is not running (cheap when it is)."""
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._stop.clear()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="nexus-jobs", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self.ensure_started()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        poll = float(self.app.config.get("WIKI_JOBS_POLL_SECONDS", 30))
        while not self._stop.is_set():
            woken = self._wake.is_set()  # by kick(): no job process listened then
            self._wake.clear()
            delay = None
            # A sweep while this host's job process runs only wakes it: it runs the jobs.
            if woken or not process.wake(self.app):
                try:
                    delay = run_jobs(self.app)
                except Exception:  # the loop must survive anything a job does
                    log.exception("job run failed")
                    delay = poll
            self._wake.wait(min(poll, delay) if delay is not None else poll)


def worker_for(app: Flask) -> Worker:
    worker = app.extensions.get("nexus_jobs_worker")
    if worker is None:
        worker = app.extensions.setdefault("nexus_jobs_worker", Worker(app))
    return worker
