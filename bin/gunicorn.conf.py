"""gunicorn settings shared by bin/serve (so `make run`, the Docker image and CI) and the
benchmarks: gunicorn starts this host's search indexer with itself and stops it on exit.

The indexer (``flask --app wsgi search follow``, wiki/search/indexer.py) indexes saves in a
process of its own, so a worker's next request does not share a GIL with the last save's
indexing. If it is not running, workers index in a thread of their own instead.
"""

import subprocess
import sys

_follower: subprocess.Popen | None = None


def when_ready(server) -> None:
    global _follower
    _follower = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "search", "follow"]
    )


def on_exit(server) -> None:
    if _follower is not None and _follower.poll() is None:
        _follower.terminate()
        try:
            _follower.wait(20)  # it finishes the sync under way
        except subprocess.TimeoutExpired:
            _follower.kill()
