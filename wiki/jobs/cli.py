"""``flask --app wsgi jobs work``: this host's job runner (see wiki.jobs.process)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from wiki.jobs import process
from wiki.jobs.runner import worker_mode

jobs_cli = AppGroup("jobs", help="Background jobs: notifications, e-mail and webhook deliveries.")


@jobs_cli.command("work")
@click.option(
    "--poll",
    type=click.FloatRange(min=1.0),
    default=None,
    help="Seconds between runs when nothing wakes it (default: WIKI_JOBS_POLL_SECONDS, 30).",
)
def jobs_work(poll: float | None) -> None:
    """Run this host's background jobs until stopped (SIGTERM or Ctrl+C).

    The web workers of this host wake it after each change that queued work, instead of
    running the jobs in a thread of their own. bin/serve starts one beside gunicorn. With
    CELERY_BROKER_URL set, Celery workers run the jobs instead (celery -A wsgi.celery worker).
    """
    app = current_app._get_current_object()
    if worker_mode(app) == "celery":
        raise click.ClickException(
            "CELERY_BROKER_URL is set: Celery workers run the jobs (celery -A wsgi.celery worker)."
        )
    click.echo("Running background jobs as they come …")
    try:
        process.work(app, poll=poll)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo("Stopped.")
