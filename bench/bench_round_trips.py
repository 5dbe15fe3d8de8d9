"""What each request of the load run costs the database: statements, and CPU on both sides.

    .venv/bin/python bench/bench_round_trips.py [--db sqlite postgres] [--requests 300]

In-process (Flask's test client, one thread, no HTTP), on a wiki seeded as ``bench_load.py``
seeds it (30 pages, 8 of them hot), logged in as one of its users. For each kind of request
the load run makes (page view, raw text, search, history, recent changes, edit form, and an
edit form followed by its save), ``--requests`` of them one after another, then a second's
pause so the process's search indexer and job runner threads finish what they were given.
Per request it prints:

* the statements the request sent (its own thread; on SQLite wiki.db's own BEGIN counts as
  one), and those the indexer and job runner sent for it (other threads);
* the CPU time of this process (user + system, every thread: the request, the indexer, the
  job runner; not the render children, which are processes);
* on PostgreSQL, the CPU time of the local server's processes (the whole cluster: run it on
  a quiet one). psycopg's BEGIN and COMMIT are round trips that are not statements here;
  they show in this figure.

Kinds run in the order above; each follows 20 unmeasured requests of the same kind (caches
warm, statements prepared). The page views hit caches that only saves invalidate, as in a
quiet wiki; the load run's views are dearer.
"""

from __future__ import annotations

import argparse
import html
import os
import random
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.bench_load import HOT, PAGES, PASSWORD, _pg, seed  # noqa: E402
from bench.load_users import BASE_RE, BODY_RE, WORDS  # noqa: E402
from bench.serving import database_server_cpu_seconds  # noqa: E402

PG_SERVER = "postgresql://root@127.0.0.1:5432"
WARM_UP = 20


def _path(title: str) -> str:
    return urllib.parse.quote(title.replace(" ", "_"))


def _kinds(client, rnd: random.Random) -> dict:
    def save():
        title = rnd.choice(HOT)
        form = client.get(f"/edit/{_path(title)}").get_data(as_text=True)
        lines = html.unescape(BODY_RE.search(form)[1]).lstrip("\n").split("\n")
        lines.insert(rnd.randint(0, len(lines)), f"marker {rnd.getrandbits(32):08x}")
        data = {"body": "\n".join(lines), "summary": "bench", "save": "Save"}
        data["base_rev"] = BASE_RE.search(form)[1]
        return client.post(f"/edit/{_path(title)}", data=data)

    return {
        "view": lambda: client.get(f"/wiki/{_path(rnd.choice(PAGES))}"),
        "raw": lambda: client.get(f"/raw/{_path(rnd.choice(PAGES))}"),
        "search": lambda: client.get(
            "/search?" + urllib.parse.urlencode({"q": " ".join(rnd.sample(WORDS, 2))})
        ),
        "history": lambda: client.get(f"/history/{_path(rnd.choice(HOT))}"),
        "recent": lambda: client.get("/recent"),
        "edit form": lambda: client.get(f"/edit/{_path(rnd.choice(HOT))}"),
        "edit form + save": save,
    }


def measure(db: str, requests: int) -> list[dict]:
    tmp = tempfile.mkdtemp(prefix="nexus-round-trips-")
    scratch = f"nexus_round_trips_{os.getpid()}"
    if db == "postgres":
        _pg(f'CREATE DATABASE "{scratch}"')
        url, backend = f"{PG_SERVER}/{scratch}", "postgres"
    else:
        url, backend = f"sqlite:///{tmp}/wiki.db", "whoosh"
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "round-trips",
        "SEARCH_INDEX_DIR": os.path.join(tmp, "index"),
        "SEARCH_BACKEND": backend,
    }
    try:
        seed(config, 1)
        return _run(config, db, requests)
    finally:
        if db == "postgres":
            _pg(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def _run(config: dict, db_name: str, requests: int) -> list[dict]:
    from sqlalchemy import event

    from wiki import create_app
    from wiki.extensions import db

    app = create_app(**config, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    client = app.test_client()
    login = {"username": "loaduser0", "password": PASSWORD}
    if client.post("/login", data=login).status_code != 302:
        raise SystemExit("could not log in")
    here = threading.get_ident()
    counts = {"own": 0, "others": 0}

    def count(*_args) -> None:
        counts["own" if threading.get_ident() == here else "others"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    rows = []
    try:
        for kind, request in _kinds(client, random.Random(1)).items():
            for _ in range(WARM_UP):
                request()
            time.sleep(1.0)
            counts.update(own=0, others=0)
            cpu, server = time.process_time(), database_server_cpu_seconds()
            for _ in range(requests):
                status = request().status_code
                if status >= 400:
                    raise SystemExit(f"{kind}: HTTP {status}")
            time.sleep(1.0)  # the indexer and the job runner finish what the requests gave
            rows.append(
                {
                    "db": db_name,
                    "request": kind,
                    "statements": counts["own"] / requests,
                    "other threads": counts["others"] / requests,
                    "app CPU ms": 1000 * (time.process_time() - cpu) / requests,
                    "PG server CPU ms": (
                        1000 * (database_server_cpu_seconds() - server) / requests
                        if db_name == "postgres"
                        else None
                    ),
                }
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
        with app.app_context():
            db.engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--requests", type=int, default=300, help="measured per kind")
    args = parser.parse_args()
    rows = [row for db in args.db for row in measure(db, args.requests)]
    print(f"\nper request, {args.requests} of each kind:")
    header = ("statements", "+ others", "app CPU ms", "PG CPU ms")
    print(f"{'db':9} {'request':17} " + " ".join(f"{h:>11}" for h in header))
    for row in rows:
        server = row["PG server CPU ms"]
        print(
            f"{row['db']:9} {row['request']:17} {row['statements']:11.1f} "
            f"{row['other threads']:11.1f} {row['app CPU ms']:11.2f} "
            f"{'-' if server is None else f'{server:.2f}':>11}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
