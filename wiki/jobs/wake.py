"""Waking the job worker after a commit that queued work (see :mod:`wiki.jobs.runner`)."""

from __future__ import annotations

import logging

from flask import Flask, current_app

from wiki.jobs.runner import worker_mode

log = logging.getLogger(__name__)


def kick(app: Flask | None = None) -> None:
    """Ask for the jobs to run soon. Never raises: the work waits in the database regardless."""
    app = app or current_app._get_current_object()
    mode = worker_mode(app)
    try:
        if mode == "thread":
            from wiki.jobs import process
            from wiki.jobs.worker import worker_for

            if not process.wake(app):  # no job process on this host: this process's thread
                worker_for(app).wake()
        elif mode == "celery":
            from wiki.jobs.celery_app import celery_for

            celery_for(app).send_task("nexus.run_jobs", retry=False)
    except Exception:  # a broker that is down must not fail the change that was committed
        log.exception("could not wake the job worker; the periodic sweep will run the jobs")
