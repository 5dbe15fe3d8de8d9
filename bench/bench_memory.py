"""Worker memory over many mixed requests: flat after warm-up, caches within their budgets.

    .venv/bin/python bench/bench_memory.py [--size 1k] [--requests 100000]

One gunicorn (2 sync workers, bench/bench_wsgi.py) on a fresh SQLite wiki with the corpus
imported. `wrk` sends a mix, in rounds of ``--requests / 10``: page views anonymous and logged in
(500 pages), views with distinct junk query strings (``?x=N``, a flood of variants the cache
must ignore), old revisions (``?rev=1``), searches and the recent-changes page. After the first
round (warm-up: every cache filled), each worker's resident memory (``/proc/<pid>/status``
VmRSS) is read after every round. Prints RSS per worker per round and the growth from warm-up
to the end (target < 10 %); the page cache's budget is WIKI_PAGE_CACHE_BYTES (32 MB default).
"""

from __future__ import annotations

import argparse
import json
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
sys.path.insert(0, ROOT)

from bench.bench_page_views import CORPUS, VENV_BIN, Browser, lua_script, run  # noqa: E402
from bench.serving import JOB_RUNNER, SEARCH_INDEXER, part_of, start_gunicorn  # noqa: E402

WARM_ROUNDS = 3


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _children(master: int) -> dict[str, int]:
    """gunicorn's children by role: ``worker 1``, ``worker 2``, the search ``indexer`` and
    the ``jobs`` runner (bin/gunicorn.conf.py starts both beside the workers)."""
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    named, workers = {}, 0
    for pid in sorted(int(p) for p in out.split()):
        part = part_of(pid)
        if part == SEARCH_INDEXER:
            named["indexer"] = pid
        elif part == JOB_RUNNER:
            named["jobs"] = pid
        else:
            workers += 1
            named[f"worker {workers}"] = pid
    return named


def _caches(base: str, workers: int) -> dict[int, dict[str, list[int]]]:
    """Each worker's caches, {name: [bytes held, budget]}, by pid (bench_wsgi's /__caches;
    asked until ``workers`` different workers answered)."""
    seen: dict[int, dict] = {}
    for _ in range(50):
        with urllib.request.urlopen(base + "/__caches", timeout=10) as response:
            answer = json.load(response)
        seen[answer["pid"]] = answer["caches"]
        if len(seen) >= workers:
            break
    if workers == 1:
        return {0: next(iter(seen.values()))}
    return seen


def _shuffled_script(tmp: str, paths: list[str], seed: int) -> str:
    """A wrk Lua script cycling through a shuffled mix of request paths."""
    random.Random(seed).shuffle(paths)
    return lua_script(tmp, f"mix-{seed}", paths)


def _wrk_requests(url: str, script: str, count: int, headers: tuple = ()) -> int:
    """At least ``count`` requests (wrk runs by time, so in short slices); how many were sent."""
    done = 0
    while done < count:
        cmd = ["wrk", "-t2", "-c8", "-d3s", "-s", script]
        for header in headers:
            cmd += ["-H", header]
        out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
        line = next(x for x in out.splitlines() if "requests in" in x)
        done += int(line.split()[0])
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1k")
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="nexus-mem-")
    env = dict(os.environ, PATH=VENV_BIN + ":" + os.environ["PATH"])
    env.update(
        DATABASE_URL=f"sqlite:///{tmp}/wiki.db",
        SEARCH_INDEX_DIR=f"{tmp}/index",
        SECRET_KEY="bench",
    )
    corpus = os.path.join(CORPUS, args.size)
    run(["flask", "--app", "wsgi", "db", "upgrade"], env, capture_output=True)
    run(["flask", "--app", "wsgi", "import", corpus], env, capture_output=True)
    titles = [f[:-3] for f in sorted(os.listdir(corpus)) if f.endswith(".md")][:500]
    server, base = start_gunicorn("bench.bench_wsgi:app", env, ROOT, "/__bare")
    try:
        reader = Browser(base)
        reader.register("bench-memory")
        cookie = reader.cookie_header()
        views = [f"/wiki/{t}" for t in titles]
        junk = [f"/wiki/{titles[n % 50]}?x={n}" for n in range(2000)]
        old = [f"/wiki/{t}?rev=1" for t in titles[:100]]
        searches = [f"/search?q={w}" for w in ("django", "cache", "docker", "celery", "zzqx")]
        mix = views + junk + old + searches * 20 + ["/recent"] * 20
        rounds = 10
        per_round = args.requests // rounds
        print(f"{len(titles)} pages, {args.requests} requests in {rounds} rounds, half logged in")
        names = list(_children(server.pid))
        print(
            f"{'round':>5} {'requests':>9} "
            + " ".join(f"{name:>10}" for name in names)
            + "   MB held by each worker's caches"
        )
        history: list[list[float]] = []
        sent = 0
        for n in range(rounds):
            script = _shuffled_script(tmp, list(mix), seed=n)
            sent += _wrk_requests(base + "/", script, per_round // 2)
            sent += _wrk_requests(base + "/", script, per_round // 2, cookie)
            children = _children(server.pid)
            rss = [_rss_mb(children[name]) for name in names]
            history.append(rss)
            held = _caches(base, 2)
            cached = "  ".join(
                "+".join(f"{used / 2**20:.1f}" for used, _ in worker.values())
                for worker in held.values()
            )
            row = " ".join(f"{r:>8.1f}MB" for r in rss)
            print(f"{n + 1:>5} {sent:>9} {row}   {cached}", flush=True)
            if n == 0:
                legend = next(iter(held.values()))
                print(
                    "      (caches: "
                    + " + ".join(f"{k} (budget {v[1] / 2**20:.0f})" for k, v in legend.items())
                    + ")"
                )
        for start in (0, WARM_ROUNDS - 1):
            growth = [(b - a) / a * 100 for a, b in zip(history[start], rss, strict=True)]
            print(
                f"growth from round {start + 1} to the last: "
                + ", ".join(f"{name} {g:+.1f} %" for name, g in zip(names, growth, strict=True))
            )
        print(f"target: < 10 % after warm-up (the first {WARM_ROUNDS} rounds fill the caches)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
        time.sleep(0.5)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
