"""Importing the benchmark corpus (1k and 10k pages), including search indexing.

    .venv/bin/python bench/bench_import.py [--sizes 1k 10k] [--batch-size 200]

For each size, in a child process of its own (so peak RSS is that import's alone): a fresh
SQLite wiki under a temp dir (create_app with overrides + flask_migrate.upgrade), then
plan_import + run_import of ../shared/corpus/<size> as nexus-bot. Prints pages/s, seconds, the
CPU seconds of this process and of the render worker (wall time depends on what else the
machine runs; the load average is printed too), peak RSS, and RSS after 10 %, 50 % and 100 % of
the files to show memory stays flat.
Target (issue 7): 10k pages in under 120 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
sys.path.insert(0, ROOT)


def rss_mib() -> float:
    """Current resident set size of this process (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def render_worker_cpu_s() -> float:
    """CPU seconds of render_guard's child processes (they are not our children, so
    getrusage cannot see them; /proc can)."""
    from wiki.rendering import guard as render_guard

    pool = render_guard._pool  # private, read only for this measurement
    total = 0.0
    for pid in getattr(pool, "_processes", None) or {}:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def one(size: str, batch_size: int) -> dict:
    from flask_migrate import upgrade

    from wiki import create_app
    from wiki.auth.accounts import system_user
    from wiki.content.importing import plan_import, run_import
    from wiki.extensions import db

    folder = os.path.join(CORPUS, size)
    with tempfile.TemporaryDirectory(prefix="nexus-bench-import-") as tmp:
        app = create_app(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/wiki.db",
            SEARCH_INDEX_DIR=os.path.join(tmp, "index"),
            SECRET_KEY="bench",
        )
        with app.app_context():
            upgrade()
            user = system_user()
            db.session.commit()
            usage = resource.getrusage(resource.RUSAGE_SELF)
            cpu_before = usage.ru_utime + usage.ru_stime
            start = time.perf_counter()
            plan = plan_import(__import__("pathlib").Path(folder))
            total, done, samples = len(plan.files), [0], {}

            def progress(n: int) -> None:
                done[0] += n
                for mark in (10, 50, 100):
                    if mark not in samples and done[0] * 100 >= total * mark:
                        samples[mark] = round(rss_mib(), 1)

            report = run_import(plan, user, progress=progress, batch_size=batch_size)
            seconds = time.perf_counter() - start
            usage = resource.getrusage(resource.RUSAGE_SELF)
            main_cpu = usage.ru_utime + usage.ru_stime - cpu_before
            render_cpu = render_worker_cpu_s()
            db.engine.dispose()
    return {
        "size": size,
        "pages": len(report.created),
        "rejected": len(report.rejected),
        "seconds": round(seconds, 1),
        "pages_per_s": round(len(report.created) / seconds, 1),
        "main_cpu_s": round(main_cpu, 1),
        "render_cpu_s": round(render_cpu, 1),
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "rss_mib_at_pct": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1k", "10k"])
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one(args.child, args.batch_size)))
        return
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--child", size, "--batch-size", str(args.batch_size)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        print(
            f"import {result['size']:>4}: {result['pages']} pages "
            f"({result['rejected']} rejected) in {result['seconds']} s "
            f"= {result['pages_per_s']} pages/s; CPU: main {result['main_cpu_s']} s, "
            f"render worker {result['render_cpu_s']} s; load avg {result['load_avg_1m']}; "
            f"peak RSS {result['peak_rss_mib']} MiB; RSS at 10/50/100 %: {result['rss_mib_at_pct']}"
        )


if __name__ == "__main__":
    main()
