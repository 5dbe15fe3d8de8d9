"""A wiki process for the crash and worker tests: ``python -m tests.collab_proc save|work``.

Configuration comes as JSON in ``NEXUS_TEST_CONFIG`` (create_app overrides). ``save`` logs in
as bob and saves a page through the app (its in-app worker thread then delivers, or the
process dies where the fault setting says); ``work`` starts the in-app worker and waits until
no delivery is left to send.
"""

from __future__ import annotations

import json
import os
import sys
import time

from sqlalchemy import func, select

from wiki import create_app
from wiki.extensions import db
from wiki.jobs.worker import worker_for
from wiki.notify.models import Delivery, Event


def _left(app) -> int:
    with app.app_context():
        try:
            events = db.session.scalar(select(func.count(Event.id)).where(Event.state == "new"))
            deliveries = db.session.scalar(
                select(func.count(Delivery.id)).where(Delivery.status.in_(("pending", "sending")))
            )
            return events + deliveries
        finally:
            db.session.remove()


def main(action: str) -> int:
    config = json.loads(os.environ["NEXUS_TEST_CONFIG"])
    app = create_app(**config, WTF_CSRF_ENABLED=False, WIKI_JOBS_WORKER="thread")
    if action == "save":
        client = app.test_client()
        client.post("/login", data={"username": "bob", "password": "password123"})
        saved = client.post(
            "/edit/Crash_test",
            data={"body": "saved before the crash", "base_rev": "", "save": "Save"},
        )
        assert saved.status_code == 302, saved.status_code
    else:
        worker_for(app).wake()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _left(app):
        time.sleep(0.1)
    worker_for(app).stop()
    return 0 if not _left(app) else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
