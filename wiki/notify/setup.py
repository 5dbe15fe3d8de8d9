"""Per-app wiring of notifications: wake the jobs after a commit that queued events, start
the in-app worker in each process, and the template helpers (header count, watch state)."""

from __future__ import annotations

from flask import Flask, current_app
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from wiki.jobs import runner, wake
from wiki.notify import events, service

_listening = False


def _after_commit(session: Session) -> None:
    # A flag left by a rolled-back change only causes a harmless extra wake-up.
    if session.info.pop(events.KICK_FLAG, False):
        wake.kick()


def setup(app: Flask) -> None:
    global _listening
    import wiki.notify.jobs  # noqa: F401  (registers the notification jobs with the runner)

    if not _listening:  # one listener for every app's sessions
        sa_event.listen(Session, "after_commit", _after_commit)
        _listening = True

    @app.before_request
    def _start_worker():
        if runner.worker_mode(current_app) == "thread":
            from wiki.jobs.worker import worker_for

            worker_for(current_app._get_current_object()).ensure_started()

    @app.template_global()
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return service.unread_count(current_user.id)

    @app.template_global()
    def watching_page(page) -> bool:
        if not current_user.is_authenticated or page is None or page.id is None:
            return False
        return service.is_watching(current_user.id, page.id) is not None

    @app.template_global()
    def my_watched_pages():
        return service.watched_pages(current_user.id) if current_user.is_authenticated else []
