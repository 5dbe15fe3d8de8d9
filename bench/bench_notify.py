"""Benchmark the costs issue 16 bounds, through the Flask test client on a file SQLite database.

1. A save of a page watched by 1,000 users against the same save of an unwatched page
   (target: p95 within 10 ms). The save writes one event row in its transaction; the fan-out
   to the watchers runs afterwards in the job worker, timed separately (it is off the request).
2. ``GET /notifications`` for a user with 10,000 entries (target: < 50 ms), and the header's
   unread count on its own.

Run from the repository root: ``.venv/bin/python bench/bench_notify.py`` (SQLite), or with
``--database-url postgresql://user@host/db`` for PostgreSQL (the database is dropped and made
again, so name a scratch one).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import delete, insert, select  # noqa: E402

from wiki import create_app  # noqa: E402
from wiki.db import begin_write  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.jobs.runner import run_jobs  # noqa: E402
from wiki.models import Page, User, now_utc  # noqa: E402
from wiki.notify.models import Notification, Watch  # noqa: E402
from wiki.notify.service import unread_count_of  # noqa: E402

RUNS = 60
WATCHERS = 1000
ENTRIES = 10_000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def show(name: str, values: list[float]) -> None:
    print(
        f"{name:>40}: p50 {statistics.median(values):6.1f} ms   p95 {pct(values, 0.95):6.1f} ms"
        f"   (n={len(values)})"
    )


def scratch_postgres(url: str) -> str:
    """Drop and create the database of ``url``; returns its psycopg URL."""
    from urllib.parse import urlsplit, urlunsplit

    from sqlalchemy import create_engine, text

    parts = urlsplit(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = parts.path.lstrip("/")
    admin = create_engine(
        urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return urlunsplit(parts)


def setup(tmp: str, database_url: str | None):
    app = create_app(
        TESTING=True,
        WTF_CSRF_ENABLED=False,
        SQLALCHEMY_DATABASE_URI=scratch_postgres(database_url)
        if database_url
        else f"sqlite:///{tmp}/bench.db",
        SEARCH_INDEX_DIR=f"{tmp}/ix",
        SECRET_KEY="bench",
        RATELIMIT_ENABLED=False,
        WIKI_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
        WIKI_JOBS_WORKER="manual",
    )
    with app.app_context():
        upgrade()
    client = app.test_client()
    client.post(
        "/register", data={"username": "admin", "password": "password123", "confirm": "password123"}
    )
    client.post("/logout")
    client.post(
        "/register",
        data={"username": "writer", "password": "password123", "confirm": "password123"},
    )
    for title in ("Watched", "Unwatched"):
        client.post(f"/edit/{title}", data={"body": "start\n", "base_rev": "", "save": "Save"})
    with app.app_context():
        hashed = db.session.scalar(select(User.password_hash).where(User.username == "admin"))
        now = now_utc()
        db.session.execute(
            insert(User),
            [
                {
                    "username": f"watcher{i}",
                    "username_key": f"watcher{i}",
                    "password_hash": hashed,
                    "role": "editor",
                    "active": True,
                    "is_system": False,
                    "created_at": now,
                }
                for i in range(WATCHERS)
            ],
        )
        page_id = db.session.scalar(select(Page.id).where(Page.title == "Watched"))
        db.session.execute(delete(Watch))  # the writer's own watches: "Unwatched" has none
        ids = db.session.scalars(select(User.id).where(User.username.like("watcher%"))).all()
        db.session.execute(
            insert(Watch),
            [
                {"user_id": uid, "page_id": page_id, "subpages": False, "created_at": now}
                for uid in ids
                if uid
            ],
        )
        db.session.commit()
        print(
            f"watchers of 'Watched': {db.session.query(Watch).filter_by(page_id=page_id).count()}"
        )
        db.session.remove()
    run_jobs(app)
    return app, client


def bench_saves(app, client) -> None:
    timings: dict[str, list[float]] = {"Watched": [], "Unwatched": []}
    cpu: dict[str, list[float]] = {"Watched": [], "Unwatched": []}
    revs = {"Watched": 1, "Unwatched": 1}
    fanout: list[float] = []
    for n in range(RUNS):
        for title in ("Unwatched", "Watched") if n % 2 else ("Watched", "Unwatched"):
            body = "start\n" + "".join(f"line {i}\n" for i in range(n + 1))
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.post(
                f"/edit/{title}", data={"body": body, "base_rev": str(revs[title]), "save": "Save"}
            )
            timings[title].append((time.perf_counter() - start) * 1000)
            cpu[title].append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 302, response.status_code
            revs[title] += 1
        start = time.perf_counter()
        run_jobs(app)
        fanout.append((time.perf_counter() - start) * 1000)
    show("save, page watched by 1,000 users", timings["Watched"])
    show("save, unwatched page", timings["Unwatched"])
    show("save, watched (web-process CPU)", cpu["Watched"])
    show("save, unwatched (web-process CPU)", cpu["Unwatched"])
    diff = pct(timings["Watched"], 0.95) - pct(timings["Unwatched"], 0.95)
    print(f"{'p95 difference':>40}: {diff:6.1f} ms   (target: within 10 ms)")
    show("fan-out job after both saves (off-request)", fanout)


def bench_notifications(app, client) -> None:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == "writer"))
        page_id = db.session.scalar(select(Page.id).where(Page.title == "Unwatched"))
        now = now_utc()
        # The write lock first: a transaction that read, then writes, is refused at once on
        # SQLite when the app's job thread committed in between (it fans out the saves).
        begin_write()
        db.session.execute(
            insert(Notification),
            [
                {
                    "user_id": uid,
                    "kind": "edit",
                    "page_id": page_id,
                    "actor_id": 1,
                    "from_rev": 1,
                    "to_rev": 2,
                    "edits": 1,
                    "text": f"entry {i}",
                    "created_at": now - timedelta(seconds=ENTRIES - i),
                    "updated_at": now - timedelta(seconds=ENTRIES - i),
                    "read": i % 3 == 0,
                }
                for i in range(ENTRIES)
            ],
        )
        db.session.commit()
        total = db.session.query(Notification).filter_by(user_id=uid).count()
        print(f"notifications of 'writer': {total}")
        counts = []
        for _ in range(RUNS):
            start = time.perf_counter()
            db.session.scalar(select(unread_count_of(uid)))
            counts.append((time.perf_counter() - start) * 1000)
        db.session.remove()
    for name, url in (
        ("GET /notifications, 10,000 entries", "/notifications"),
        ("GET /settings (same layout, baseline)", "/settings"),
    ):
        wall, cpu = [], []
        for _ in range(RUNS):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200
        show(name, wall)
        show(name + " (CPU)", cpu)
    show("header unread count (one query)", counts)


def main() -> None:
    database_url = None
    if "--database-url" in sys.argv:
        database_url = sys.argv[sys.argv.index("--database-url") + 1]
    print("database:", "PostgreSQL" if database_url else "SQLite (file)")
    with tempfile.TemporaryDirectory() as tmp:
        app, client = setup(tmp, database_url)
        bench_saves(app, client)
        bench_notifications(app, client)


if __name__ == "__main__":
    main()
