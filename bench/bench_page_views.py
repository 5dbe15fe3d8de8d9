"""Anonymous page views under gunicorn (2 sync workers) at 1k and 10k pages, vs a bare route.

    .venv/bin/python bench/bench_page_views.py [--sizes 1k 10k] [--duration 15]

For each corpus size: a fresh SQLite wiki under a temp dir, the corpus imported with
`flask import`, gunicorn started on a loopback port, then `wrk` (8 connections) against a spread
of pages (a Lua script cycling through 500 page URLs) and against /__bare in the same run.
Prints requests/s, p50 and p99 latency, and the ratio (target: page views >= 0.6x bare).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
sys.path.insert(0, ROOT)

from bench.serving import start_gunicorn, wrk  # noqa: E402


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def bench_size(size: str, duration: int) -> list[tuple]:
    tmp = tempfile.mkdtemp(prefix=f"nexus-bench-{size}-")
    env = dict(os.environ, PATH=VENV_BIN + ":" + os.environ["PATH"])
    env.update(
        DATABASE_URL=f"sqlite:///{tmp}/wiki.db",
        SEARCH_INDEX_DIR=f"{tmp}/index",
        SECRET_KEY="bench",
    )
    corpus = os.path.join(CORPUS, size)
    t0 = time.time()
    run(["flask", "--app", "wsgi", "db", "upgrade"], env, capture_output=True)
    run(["flask", "--app", "wsgi", "import", corpus], env, capture_output=True)
    print(f"[{size}] imported in {time.time() - t0:.1f}s", flush=True)
    titles = [f[:-3] for f in sorted(os.listdir(corpus)) if f.endswith(".md")]
    random.Random(42).shuffle(titles)
    script = os.path.join(tmp, "paths.lua")
    with open(script, "w") as fh:
        paths = ", ".join(f'"/wiki/{t}"' for t in titles[:500])
        fh.write(
            f"local paths = {{{paths}}}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format('GET', paths[i])\nend\n"
        )
    server, base = start_gunicorn("bench.bench_wsgi:app", env, ROOT, "/__bare")
    try:
        # Warm the render cache once (a real wiki's pages have been viewed before).
        for title in titles[:500]:
            urllib.request.urlopen(f"{base}/wiki/{title}", timeout=30).read()
        bare = wrk(base + "/__bare", duration)
        pages = wrk(base + "/", duration, script)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    return [(size, "bare 10 KB template", bare), (size, "page view", pages)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1k", "10k"])
    parser.add_argument("--duration", type=int, default=15)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    rows = []
    for size in args.sizes:
        rows += bench_size(size, args.duration)
    print(f"\n{'corpus':<7}{'route':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for size, name, r in rows:
        print(
            f"{size:<7}{name:<22}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['non2xx']:>9}"
        )
    for size in args.sizes:
        bare = next(r for s, n, r in rows if s == size and n.startswith("bare"))
        page = next(r for s, n, r in rows if s == size and n == "page view")
        print(f"{size}: page views / bare = {page['rps'] / bare['rps']:.2f} (target >= 0.60)")


if __name__ == "__main__":
    main()
