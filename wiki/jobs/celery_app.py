"""The Celery path of the job interface: ``celery -A wsgi.celery worker`` (add ``-B`` or run
``celery -A wsgi.celery beat`` for the periodic sweep that retries and sends daily digests)."""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_ready
from flask import Flask

from wiki.jobs.runner import run_jobs

SWEEP_SECONDS = 60.0


def celery_for(app: Flask) -> Celery:
    """The app's Celery object, made once; creating it connects to nothing."""
    celery = app.extensions.get("nexus_celery")
    if celery is not None:
        return celery
    broker = app.config.get("CELERY_BROKER_URL") or "memory://"
    celery = Celery(app.import_name, broker=broker, set_as_current=False)
    celery.conf.update(
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2,
        worker_hijack_root_logger=False,
        beat_schedule={"nexus-sweep": {"task": "nexus.run_jobs", "schedule": SWEEP_SECONDS}},
    )

    @celery.task(name="nexus.run_jobs")
    def run_jobs_task():
        delay = run_jobs(app)
        if delay is not None and delay < SWEEP_SECONDS:
            # A retry due before the next sweep: come back for it.
            run_jobs_task.apply_async(countdown=max(delay, 0.05))

    @worker_ready.connect(weak=False)
    def _recover(sender=None, **_):
        # Work left behind by a crashed process, or committed while no worker ran.
        run_jobs_task.delay()

    app.extensions["nexus_celery"] = celery
    return celery
