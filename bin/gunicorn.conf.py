"""gunicorn settings shared by bin/serve (so `make run`, the Docker image and CI) and the
benchmarks: gunicorn starts this host's background processes with itself and stops them on
exit.

- The search indexer (``flask --app wsgi search follow``, wiki/search/indexer.py) indexes
  saves in a process of its own, so a worker's next request does not share a GIL with the
  last save's indexing.
- The job runner (``flask --app wsgi jobs work``, wiki/jobs/process.py) fans out
  notifications and sends deliveries once per host instead of in a thread of every worker.
  With CELERY_BROKER_URL set, Celery workers run the jobs and it is not started.

If either is not running, workers do its work in a thread of their own instead.
"""

import os
import subprocess
import sys

_background: list[subprocess.Popen] = []


def when_ready(server) -> None:
    commands = [["search", "follow"]]
    if not os.environ.get("CELERY_BROKER_URL"):
        commands.append(["jobs", "work"])
    for command in commands:
        _background.append(
            subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *command])
        )


def on_exit(server) -> None:
    for process in _background:
        if process.poll() is None:
            process.terminate()
    for process in _background:
        try:
            process.wait(20)  # the indexer finishes the sync under way
        except subprocess.TimeoutExpired:
            process.kill()
