"""Renaming a page linked from 1,000 pages while others save (issue #21's rename target).

    .venv/bin/python bench/bench_rename.py [--pages 10000] [--idle 15] [--database-url URL]

A fresh wiki (SQLite in a temporary directory unless ``--database-url`` names an empty,
migratable database): ``--pages`` pages written straight through the models, 1,000 of them
linking to ``Bench Target`` (bench/bench_links.py builds them). gunicorn (2 sync workers)
serves it; one client saves a 10 KB page through the API (PUT with ``base_rev``, the same
service as the edit form), one save after another. First ``--idle`` seconds of saves alone,
then the same while this process renames ``Bench Target`` with link rewriting
(``rename_page``, as the rename form calls it).

Prints: the rename's total time and its write transactions (count, longest — measured on
this process's connections from BEGIN to COMMIT of every transaction that wrote), and the
saves' p50/p95 idle and during the rename (each the PUT's whole HTTP round trip).
Targets: no write transaction > 1 s; total < 30 s; saves' p95 within 2x of idle.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import event, select  # noqa: E402

from bench.bench_links import TARGET, build_wiki  # noqa: E402
from bench.prose import page_lines  # noqa: E402
from bench.serving import start_gunicorn  # noqa: E402
from wiki import create_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.models import User  # noqa: E402
from wiki.pages.editing import save_edit  # noqa: E402
from wiki.structure.service import rename_page  # noqa: E402
from wiki.tokens.service import create_token  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
SAVED = "Bench Saves"


class WriteTransactions:
    """Durations of this process's transactions that wrote, from BEGIN to COMMIT/ROLLBACK."""

    def __init__(self, engine) -> None:
        self.durations: list[float] = []
        self.open: dict[int, tuple[float, bool]] = {}
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _begin(self, conn) -> None:
        self.open[id(conn)] = (time.perf_counter(), False)

    def _statement(self, conn, _cursor, statement, *_args) -> None:
        started = self.open.get(id(conn))
        if (
            started
            and not started[1]
            and statement.lstrip()[:6].upper()
            in (
                "INSERT",
                "UPDATE",
                "DELETE",
            )
        ):
            self.open[id(conn)] = (started[0], True)

    def _end(self, conn) -> None:
        started = self.open.pop(id(conn), None)
        if started and started[1]:
            self.durations.append(time.perf_counter() - started[0])


class Saver(threading.Thread):
    """One client saving the same 10 KB page through the API, a line changed each time."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.lines = page_lines(10_000, seed=5)
        self.timings: list[tuple[float, float]] = []  # (when it ended, milliseconds)
        self.failures: list[int] = []
        self.stopping = threading.Event()
        self.rev = 0

    def put(self) -> None:
        n = len(self.timings) % len(self.lines)
        self.lines[n] += " edit"
        body = json.dumps({"body": "\n".join(self.lines), "base_rev": self.rev or None})
        start = time.perf_counter()
        self.conn.request("PUT", "/api/v1/pages/Bench_Saves", body=body, headers=self.headers)
        response = self.conn.getresponse()
        data = json.loads(response.read())
        ended = time.perf_counter()
        if response.status in (200, 201):
            self.rev = data["revision"]
            self.timings.append((ended, (ended - start) * 1000))
        else:
            self.failures.append(response.status)
            time.sleep(float(response.getheader("Retry-After") or 1))

    def run(self) -> None:
        while not self.stopping.is_set():
            self.put()


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] if len(samples) > 1 else samples[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of saves alone")
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="nexus-bench-rename-")
    url = args.database_url or f"sqlite:///{tmp}/wiki.db"
    env = dict(
        os.environ,
        PATH=VENV_BIN + ":" + os.environ["PATH"],
        DATABASE_URL=url,
        SEARCH_INDEX_DIR=f"{tmp}/index",
        SECRET_KEY="bench",
        WIKI_API_RATE="10000000 per minute",
        WIKI_SAVE_RATE="10000000 per minute",
    )
    app = create_app(
        SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_DIR=f"{tmp}/index", SECRET_KEY="bench"
    )
    with app.app_context():
        user, _titles = build_wiki(args.pages)
        save_edit(TARGET, "The most linked page.", "", None, user)
        token = create_token(user, "bench", "write", 1)[1]
    server, base = start_gunicorn("wsgi:app", env, ROOT, "/login")
    try:
        saver = Saver(int(base.rsplit(":", 1)[1]), token)
        saver.put()  # creates the page: not counted
        saver.timings.clear()
        saver.start()
        time.sleep(args.idle)
        idle = [ms for _, ms in saver.timings]
        with app.app_context():
            writes = WriteTransactions(db.engine)
            user = db.session.scalar(select(User).where(User.username == "bench"))
            began = time.perf_counter()
            result = rename_page(TARGET, TARGET + " renamed", user)
            ended = time.perf_counter()
        saver.stopping.set()
        saver.join(60)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        if not args.database_url:
            shutil.rmtree(tmp, ignore_errors=True)
    during = [ms for at, ms in saver.timings if began <= at <= ended]
    longest = max(writes.durations)
    print(
        f"rename + rewrite of {len(result.rewritten):,} linking pages: {ended - began:.1f} s "
        f"(target < 30 s), {len(writes.durations)} write transactions, longest "
        f"{longest * 1000:.0f} ms (target <= 1,000 ms)"
    )
    print(
        f"saves alone          : {len(idle):4} saves, p50 {statistics.median(idle):6.1f} ms, "
        f"p95 {_p(idle, 95):6.1f} ms"
    )
    if during:
        ratio = _p(during, 95) / _p(idle, 95)
        print(
            f"saves during rename  : {len(during):4} saves, p50 {statistics.median(during):6.1f}"
            f" ms, p95 {_p(during, 95):6.1f} ms = {ratio:.2f}x idle (target <= 2x)"
        )
    if saver.failures:
        print(f"refused saves: {saver.failures}")


if __name__ == "__main__":
    main()
