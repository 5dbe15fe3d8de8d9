"""Load and fault run: 50 simulated users against gunicorn (4 workers), SQLite and PostgreSQL.

    .venv/bin/python bench/bench_load.py [--duration 60] [--users 50] [--db sqlite postgres]
                                         [--no-faults] [--no-db-restart]

For each database: a scratch wiki (SQLite file under a temp dir, or a scratch PostgreSQL
database that is dropped afterwards, with ``SEARCH_BACKEND=postgres``), 50 users and 30
pages seeded, gunicorn started on a loopback port. Then two runs of ``--duration`` seconds
each: *steady*, and *faults* (one worker killed with SIGKILL halfway, which gunicorn
replaces; on PostgreSQL the server is also restarted once, at 70 %). Afterwards it checks,
straight in the database: every acknowledged save (302) is in the history exactly once and
its line is still in the current text, no refused save is, revision numbers are gapless, and
``flask --app wsgi search check`` passes. Errors within a few seconds of a fault count as
"during outage"; any other 5xx or dropped request fails the run.

Restarting PostgreSQL (``pg_ctlcluster … restart``) briefly affects every database of the
local cluster; ``--no-db-restart`` skips it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.load_checks import check_history, summarize, verdict  # noqa: E402
from bench.load_users import WORDS, run_users  # noqa: E402
from bench.serving import (  # noqa: E402
    DATABASE_SERVER,
    WEB_WORKERS,
    cpu_by_part,
    free_port,
    part_of,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PG_ADMIN = "postgresql://root@127.0.0.1:5432/postgres"
PASSWORD = "load-password"
PAGES = [f"Load page {n:02d}" for n in range(1, 31)]
HOT = PAGES[:8]  # the pages everyone edits: merges and conflicts are part of the test
KILL_AT, RESTART_AT, OUTAGE_GRACE = 0.5, 0.7, 5.0


def _body(n: int) -> str:
    lines = [
        f"Line {i}: {WORDS[(n + i) % len(WORDS)]} {WORDS[(n * 7 + i) % len(WORDS)]}"
        for i in range(20)
    ]
    return "\n".join(lines) + "\n"


def seed(config: dict, users: int) -> None:
    """Migrate, then create the users and pages in-process (no rate limit, no HTTP)."""
    from flask_migrate import upgrade

    from wiki import create_app
    from wiki.auth.accounts import create_user
    from wiki.extensions import db
    from wiki.pages.editing import save_edit
    from wiki.search import service as search_service

    app = create_app(**config)
    with app.app_context():
        upgrade()
        admin = create_user("loadadmin", PASSWORD)
        for n in range(users):
            create_user(f"loaduser{n}", PASSWORD)
        db.session.commit()
        for n, title in enumerate(PAGES):
            save_edit(title, _body(n), "seed", None, admin)
        search_service.close()
        db.session.remove()
        db.engine.dispose()


class Gunicorn:
    def __init__(self, env: dict, workers: int, log_path: str):
        self.port = free_port()
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                os.path.join(VENV_BIN, "gunicorn"),
                "--config",  # bin/serve's settings: its search indexer process too
                os.path.join(ROOT, "bin", "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
                "wsgi:app",
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login", timeout=5)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start; see " + log_path)

    def workers(self) -> list[int]:
        """The web workers: gunicorn's children but the search indexer and the job runner
        (bin/gunicorn.conf.py starts them before the workers)."""
        path = f"/proc/{self.process.pid}/task/{self.process.pid}/children"
        with open(path) as fh:
            children = [int(pid) for pid in fh.read().split()]
        return [pid for pid in children if part_of(pid) == WEB_WORKERS]

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        self.log.close()


def _faults(server: Gunicorn, duration: float, postgres: bool, restart: bool, events: list):
    """A callable that starts a thread killing one worker at KILL_AT of the run and
    restarting PostgreSQL at RESTART_AT."""

    def act() -> None:
        start = time.time()
        time.sleep(duration * KILL_AT)
        victim = server.workers()[0]
        os.kill(victim, signal.SIGKILL)
        events.append((f"SIGKILL worker {victim}", time.time(), time.time()))
        if postgres and restart:
            time.sleep(max(0.0, start + duration * RESTART_AT - time.time()))
            began = time.time()
            version = sorted(os.listdir("/etc/postgresql"))[-1]
            command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
            subprocess.run(command, check=True, capture_output=True)
            events.append(("PostgreSQL restart", began, time.time()))

    return lambda: threading.Thread(target=act, daemon=True).start()


LOAD_CLIENT = "load client"


def _cpu_now(server: Gunicorn) -> dict[str, float]:
    """CPU seconds so far of each part of the server (bench.serving.cpu_by_part) and of
    this process (the simulated users)."""
    return {**cpu_by_part(server.process), LOAD_CLIENT: time.process_time()}


def _search_check(env: dict) -> bool:
    done = subprocess.run(
        [os.path.join(VENV_BIN, "flask"), "--app", "wsgi", "search", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    return done.returncode == 0


def _run_scenario(kind: str, scenario: str, env: dict, tmp: str, args) -> dict:
    """One timed run against a fresh gunicorn; the checks afterwards; its summary row."""
    server = Gunicorn(env, args.workers, os.path.join(tmp, f"gunicorn-{scenario}.log"))
    events: list = []
    cpu_at_start: dict[str, float] = {}
    faults = None
    if scenario == "faults":
        restart = kind == "postgres" and not args.no_db_restart
        faults = _faults(server, args.duration, kind == "postgres", restart, events)

    def on_start() -> None:
        cpu_at_start.update(_cpu_now(server))
        if faults is not None:
            faults()

    try:
        record, started = run_users(
            server.port,
            args.users,
            PAGES,
            HOT,
            args.duration,
            PASSWORD,
            tag=scenario,
            on_start=on_start,
        )
        elapsed = time.time() - started
        cpu_now = _cpu_now(server)
    finally:
        server.stop()
    history = check_history(env["DATABASE_URL"], record)
    row = summarize(kind, scenario, record, elapsed, events, OUTAGE_GRACE, history)
    # CPU per request, by part: the cost of the mix, which hardly moves when other work
    # shares the cores. "CPU ms/req" is the wiki's own (workers, render children, search
    # indexer, job runner); on PostgreSQL the database server's comes on top, and the load
    # client's (these 50 users' threads) runs on the same two cores too.
    per_request = {
        part: (cpu_now[part] - cpu_at_start.get(part, 0.0)) * 1000 / max(1, row["requests"])
        for part in cpu_now
        if part != DATABASE_SERVER or kind == "postgres"  # SQLite runs inside the workers
    }
    wiki_parts = [p for p in per_request if p not in (DATABASE_SERVER, LOAD_CLIENT)]
    row["CPU ms/req"] = f"{sum(per_request[p] for p in wiki_parts):.1f}"
    row["DB CPU ms/req"] = f"{per_request[DATABASE_SERVER]:.1f}" if kind == "postgres" else "-"
    row["client CPU ms/req"] = f"{per_request[LOAD_CLIENT]:.1f}"
    row["CPU ms/req by part"] = {p: round(ms, 2) for p, ms in sorted(per_request.items())}
    row["search check"] = "pass" if _search_check(env) else "FAIL"
    row["verdict"] = verdict(row)
    return row


def run_database(kind: str, args) -> list[dict]:
    tmp = tempfile.mkdtemp(prefix=f"nexus-load-{kind}-")
    env = dict(
        os.environ,
        PATH=VENV_BIN + ":" + os.environ["PATH"],
        SECRET_KEY="load-bench",
        SEARCH_INDEX_DIR=os.path.join(tmp, "index"),
    )
    scratch = f"nexus_load_{os.getpid()}"
    if kind == "postgres":
        _pg(f'CREATE DATABASE "{scratch}"')
        env.update(
            DATABASE_URL=PG_ADMIN.rsplit("/", 1)[0] + "/" + scratch, SEARCH_BACKEND="postgres"
        )
    else:
        env.update(DATABASE_URL=f"sqlite:///{tmp}/wiki.db", SEARCH_BACKEND="whoosh")
    config = {
        "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
        "SECRET_KEY": "load-bench",
        "SEARCH_INDEX_DIR": env["SEARCH_INDEX_DIR"],
        "SEARCH_BACKEND": env["SEARCH_BACKEND"],
    }
    rows = []
    try:
        seed(config, args.users)
        scenarios = ["steady"] + ([] if args.no_faults else ["faults"])
        for scenario in scenarios:
            row = _run_scenario(kind, scenario, env, tmp, args)
            rows.append(row)
            print(f"[{kind} {scenario}] {row}", flush=True)
    finally:
        if kind == "postgres":
            _pg(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        if args.keep:
            print(f"[{kind}] scratch folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


def _pg(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(
        PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    for attempt in range(30):  # right after a restart the server may still be starting
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
            break
        except Exception:
            if attempt == 29:
                raise
            time.sleep(1)
    engine.dispose()


COLUMNS = [
    "db",
    "run",
    "requests",
    "req/s",
    "p50 ms",
    "p95 ms",
    "reads p95",
    "CPU ms/req",
    "DB CPU ms/req",
    "client CPU ms/req",
    "saves acked",
    "merged",
    "conflicts",
    "429",
    "5xx",
    "dropped",
    "during outage",
    "acked lost/dup",
    "refused leaked",
    "gapless",
    "search check",
]


def print_table(rows: list[dict]) -> None:
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in COLUMNS]
    print()
    print("  ".join(c.rjust(w) for c, w in zip(COLUMNS, widths, strict=True)))
    for row in rows:
        print("  ".join(str(row.get(c, "")).rjust(w) for c, w in zip(COLUMNS, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--db", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--no-faults", action="store_true", help="only the steady run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs)")
    parser.add_argument(
        "--no-db-restart", action="store_true", help="do not restart the local PostgreSQL cluster"
    )
    args = parser.parse_args()
    rows = []
    for kind in args.db:
        rows += run_database(kind, args)
    print_table(rows)
    failed = [r for r in rows if r["verdict"] != "ok"]
    for row in failed:
        print(f"FAILED {row['db']} {row['run']}: {row['verdict']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
