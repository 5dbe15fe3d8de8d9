"""Search and suggestion speed at 10,000 pages while another client saves a page every second.

    .venv/bin/python bench/bench_search_writes.py [--backend whoosh|postgres]
        [--database-url postgresql://root@127.0.0.1:5432/<scratch db>] [--reset]
        [--workdir DIR] [--seconds 60]

The wiki is built as in ``bench/bench_search.py`` (the 10k corpus imported; with
``--workdir`` a SQLite wiki is kept and reused, and so is a PostgreSQL database that holds
pages already, after its migrations run; ``--reset`` empties it and imports again).
Then, for ``--seconds``:

- a writer thread (its own app and test client, logged in as an editor; renders run in
  the render guard's worker process) POSTs an edit of a different page every
  second, each adding a unique word, and reports when each save was acknowledged (302);
- the main thread times searches (the bench/queries.py mix) and suggestions through its own
  test client (the whole request), p50/p95 of wall time and of the thread's CPU time (on a
  machine shared with other tenants the wall time also holds waits for a core and for the
  GIL, which the writer's and the indexer's threads hold part of the time); and after each
  acknowledged save, searches for its unique word until it is found: the index lag.
- the CPU time of the writer thread per save (the whole request, not its render, which runs
  in the render guard's worker process) and of the indexer threads, and the whole process's.

As in production (bin/serve), the host's indexer runs as a process of its own (``flask
search follow``), which the saves wake; ``--no-follower`` leaves indexing to a thread of this
process instead (the fallback when no indexer process runs), for comparison.

Afterwards ``flask search check`` runs at once and must report the index up to date.
Targets: search p95 < 30 ms, suggestions p95 < 10 ms, index lag <= 2 s.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.bench_search import make_app, prepare  # noqa: E402
from bench.corpus import CORPUS  # noqa: E402
from bench.queries import COMMON_QUERIES, SUGGEST_PREFIXES  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.models import Page  # noqa: E402
from wiki.search import indexer  # noqa: E402
from wiki.text.titles import title_to_path  # noqa: E402


def cuts(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {q[49]:6.1f} ms  p95 {q[94]:6.1f} ms  max {max(samples):6.1f} ms"


def cpu_cuts(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return f"CPU p50 {q[49]:6.1f} ms  p95 {q[94]:6.1f} ms"


def thread_cpu(thread: threading.Thread) -> float:
    """CPU seconds ``thread`` has used so far (0 when it has ended)."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident or 0))
    except (OSError, AttributeError):
        return 0.0


def has_pages(app, args) -> bool:
    """Whether the wiki was built by an earlier run (then it is reused, as with --workdir;
    --reset builds it again)."""
    if not args.database_url:
        return os.path.exists(os.path.join(args.workdir or "", "wiki.db")) and bool(args.workdir)
    with app.app_context():
        try:
            return bool(db.session.scalar(select(Page.id).limit(1)))
        except Exception:  # no tables yet
            db.session.rollback()
            return False
        finally:
            db.session.remove()


def writer(args, tmp: str, seconds: float, acks: queue.Queue, cpu: list[float]) -> None:
    """Save one page a second through HTTP (test client), reporting (word, ack time) and
    appending each save's CPU time (this thread's) to ``cpu``."""
    app = make_app(args, tmp)
    client = app.test_client()
    client.post(
        "/register",
        data={"username": "writer", "password": "password123", "confirm": "password123"},
    )
    client.post("/login", data={"username": "writer", "password": "password123"})  # a rerun
    with app.app_context():
        titles = list(db.session.scalars(select(Page.title).order_by(Page.id).limit(5000)))
    deadline = time.time() + seconds
    n = 0
    while time.time() < deadline:
        start = time.time()
        title = titles[(n * 37) % len(titles)]
        path = title_to_path(title)
        with app.app_context():
            rev = db.session.scalar(select(Page.current_rev).where(Page.title == title))
            db.session.rollback()
        body = client.get(f"/raw/{path}").get_data(as_text=True)
        # Letters only, so that no other save's word shares a part with it.
        word = "quokka" + "".join(chr(97 + int(d)) for d in str(time.time_ns()))
        data = {"body": f"{body}\n\n{word}\n", "summary": "bench", "base_rev": str(rev)}
        data["save"] = "Save"
        cpu_start = time.thread_time()
        response = client.post(f"/edit/{path}", data=data)
        response.close()  # runs what the server runs after sending the response
        cpu.append(time.thread_time() - cpu_start)
        if response.status_code == 302 and "/wiki/" in response.headers["Location"]:
            acks.put((word, time.time()))
        n += 1
        time.sleep(max(0.0, 1.0 - (time.time() - start)))
    acks.put(None)


def start_follower(app, args, tmp: str) -> subprocess.Popen:
    """This wiki's indexer process, listening (as bin/serve starts one beside gunicorn)."""
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SEARCH_INDEX_DIR=app.config["SEARCH_INDEX_DIR"],
        SEARCH_BACKEND=args.backend,
        SECRET_KEY="bench",
    )
    follower = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "search", "follow"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    path = indexer.wake_path(app)
    for _ in range(600):
        if os.path.exists(path):
            return follower
        time.sleep(0.1)
    follower.kill()
    sys.exit("the search follower did not start")


def stop_follower(follower: subprocess.Popen | None) -> float | None:
    """Stop it; the CPU seconds it used (from /proc, user + system)."""
    if follower is None:
        return None
    with open(f"/proc/{follower.pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    follower.terminate()
    follower.wait(30)
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["whoosh", "postgres"], default="whoosh")
    parser.add_argument("--database-url")
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--corpus", default=os.path.join(CORPUS, "10k"))
    parser.add_argument("--workdir")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--no-follower", action="store_true", help="index in a thread instead")
    args = parser.parse_args()
    if args.backend == "postgres" and not args.database_url:
        parser.error("--backend postgres needs --database-url")
    print(f"{os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f} (a machine shared with others)")
    with tempfile.TemporaryDirectory(prefix="nexus-bench-writes-") as scratch:
        tmp = args.workdir or scratch
        os.makedirs(tmp, exist_ok=True)
        app = make_app(args, tmp)
        if not has_pages(app, args) or args.reset:
            prepare(app, args)
        else:
            with app.app_context():
                upgrade()
        follower = None if args.no_follower else start_follower(app, args, tmp)
        client = app.test_client()
        for q in COMMON_QUERIES:  # warm the backend (opens the index, caches)
            client.get(f"/search?q={quote(q)}")
        acks: queue.Queue = queue.Queue()
        save_cpu: list[float] = []
        proc = threading.Thread(
            target=writer, args=(args, tmp, args.seconds, acks, save_cpu), daemon=True
        )
        indexers_before = {t: thread_cpu(t) for t in threading.enumerate()}
        process_start, wall_start = time.process_time(), time.perf_counter()
        proc.start()
        search_ms: list[float] = []
        suggest_ms: list[float] = []
        search_cpu: list[float] = []
        suggest_cpu: list[float] = []
        lags: list[float] = []
        pending: list[tuple[str, float]] = []
        indexer_cpu: dict[threading.Thread, float] = {}
        n, done = 0, False
        while not done or pending:
            try:
                item = acks.get_nowait()
                if item is None:
                    done = True
                else:
                    pending.append(item)
            except queue.Empty:
                if not proc.is_alive() and not done:  # the writer died: stop after the probes
                    print("  the writer stopped early")
                    done = True
            for word, acked in list(pending):
                if "1 result" in client.get(f"/search?q={word}").get_data(as_text=True):
                    lags.append(time.time() - acked)
                    pending.remove((word, acked))
                elif time.time() - acked > 30:
                    lags.append(float("inf"))
                    pending.remove((word, acked))
            q = COMMON_QUERIES[n % len(COMMON_QUERIES)]
            start, cpu_start = time.perf_counter(), time.thread_time()
            client.get(f"/search?q={quote(q)}")
            search_ms.append((time.perf_counter() - start) * 1000)
            search_cpu.append((time.thread_time() - cpu_start) * 1000)
            prefix = SUGGEST_PREFIXES[n % len(SUGGEST_PREFIXES)]
            start, cpu_start = time.perf_counter(), time.thread_time()
            client.get(f"/search/suggest?q={quote(prefix)}")
            suggest_ms.append((time.perf_counter() - start) * 1000)
            suggest_cpu.append((time.thread_time() - cpu_start) * 1000)
            n += 1
            indexers = [t for t in threading.enumerate() if t.name == "search-indexer"]
            for t in indexers:  # the last reading of each indexer thread, while it lives
                indexers_before.setdefault(t, 0.0)
                indexer_cpu[t] = thread_cpu(t) - indexers_before[t]
        proc.join()
        process_cpu = time.process_time() - process_start
        follower_cpu = stop_follower(follower)
        wall = time.perf_counter() - wall_start
        check = app.test_cli_runner().invoke(args=["search", "check"])
        backend = args.backend
        print(f"{backend}: {len(lags)} saves acknowledged during {args.seconds:.0f} s")
        print(f"  search  ({len(search_ms)} requests): {cuts(search_ms)}   target p95 < 30 ms")
        print(f"  suggest ({len(suggest_ms)} requests): {cuts(suggest_ms)}   target p95 < 10 ms")
        print(f"  search  CPU of the request's thread: {cpu_cuts(search_cpu)}")
        print(f"  suggest CPU of the request's thread: {cpu_cuts(suggest_cpu)}")
        if save_cpu:
            per_save = statistics.mean(save_cpu) * 1000
            print(f"  writer thread CPU per save (its request): mean {per_save:.1f} ms")
        print(
            f"  indexer threads CPU: {sum(indexer_cpu.values()):.2f} s; whole process CPU "
            f"{process_cpu:.1f} s in {wall:.1f} s"
        )
        if follower_cpu is not None:
            print(f"  indexer process (search follow) CPU: {follower_cpu:.2f} s")
        if lags:
            worst = max(range(len(lags)), key=lags.__getitem__)
            print(
                f"  index lag after the save's ack: p50 {statistics.median(lags):.2f} s  "
                f"max {lags[worst]:.2f} s (save {worst + 1} of {len(lags)})   target <= 2 s"
            )
        last = check.output.strip().splitlines()[-1] if check.output.strip() else ""
        print(f"  search check right after: exit {check.exit_code}: {last}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
