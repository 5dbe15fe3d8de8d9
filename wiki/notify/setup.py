"""Per-app wiring of notifications: wake the jobs after a commit that queued events, and start
the in-app worker in each process. (What pages show of notifications is gathered by their
views; the header's unread count comes with the session, see wiki.auth.sessions.load.)"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from wiki.jobs import runner, wake
from wiki.notify import events

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
