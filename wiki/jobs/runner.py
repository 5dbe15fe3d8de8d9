"""The one job interface: register a job, ask for the jobs to run soon, run them.

A job is a function run inside an app context that returns the seconds until it wants to run
again (``None``: only when asked). Jobs read their work from the database, so running one
twice, or on two processes at once, is harmless; asking them to run is only a wake-up call.
Where they run is configuration, never code: ``WIKI_JOBS_WORKER`` is ``thread`` (the app's own
worker thread, the default), ``celery`` (when ``CELERY_BROKER_URL`` is set) or ``manual``
(tests call :func:`run_jobs` themselves; the default under ``TESTING``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app

log = logging.getLogger(__name__)
JOBS: dict[str, Callable[[], float | None]] = {}


def job(name: str):
    """Register ``fn`` as the job ``name``."""

    def register(fn: Callable[[], float | None]):
        JOBS[name] = fn
        return fn

    return register


def worker_mode(app: Flask) -> str:
    """``celery``, ``thread`` or ``manual`` for this app (see the module docstring)."""
    if app.config.get("CELERY_BROKER_URL"):
        return "celery"
    explicit = app.config.get("WIKI_JOBS_WORKER")
    if explicit:
        return explicit
    return "manual" if app.testing else "thread"


def run_jobs(app: Flask | None = None) -> float | None:
    """Run every job once; returns the smallest delay any of them asked for.

    A failing job is logged and retried later; it never stops the others.
    """
    app = app or current_app._get_current_object()
    delays = []
    for name, fn in list(JOBS.items()):
        with app.app_context():
            try:
                delay = fn()
            except Exception:
                log.exception("job %s failed", name)
                delay = 30.0
        if delay is not None:
            delays.append(delay)
    return min(delays) if delays else None
