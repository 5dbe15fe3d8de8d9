"""The JSON API under gunicorn (2 sync workers) on the 10k-page corpus, vs a bare route.

    .venv/bin/python bench/bench_api.py [--size 10k] [--duration 15] [--puts 100]

A fresh SQLite wiki under a temp dir, the corpus imported with `flask import`, a user with a
write token, gunicorn serving bench.bench_wsgi:app (the wiki plus /__bare, a 10 KB template).
1. `wrk` (8 connections) against /__bare and, in the same run, against
   GET /api/v1/pages/<title> cycling through 500 pages, with the Bearer token and without
   (target: >= 0.5x bare). Each route's ratio is given twice: by requests/s (what a quiet
   machine shows; wrk shares the two cores) and by the server's CPU time per request
   (gunicorn's master and workers, from /proc: it holds when other work loads the machine).
2. PUT /api/v1/pages/<title> of a 10 KB page, one client, sequential saves each changing one
   line with the right base_rev (target: p95 < 100 ms). Each timing is the whole HTTP round
   trip: token check, JSON validation, render, save, commit, search index.
The per-token rate limits are raised for the run (they are what a load test measures first).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# shared/ sits beside the checkout (../shared); a worktree deeper down can name it.
CORPUS = os.environ.get("NEXUS_CORPUS") or os.path.join(ROOT, "..", "shared", "corpus")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
sys.path.insert(0, ROOT)

from bench.prose import page_lines  # noqa: E402
from bench.serving import start_gunicorn, wrk  # noqa: E402

MAKE_TOKEN = """
from sqlalchemy import select
from wiki import create_app
from wiki.auth.accounts import create_user
from wiki.extensions import db
from wiki.models import User
from wiki.tokens.service import create_token
app = create_app()
with app.app_context():
    user = db.session.scalar(select(User).where(User.username == "bench"))
    if user is None:
        user = create_user("bench", "bench-password-1")
        db.session.commit()
    print(create_token(user, "bench", "write", 1)[1])
"""


def _run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def _lua(path: str, titles: list[str], token: str | None) -> None:
    header = f"wrk.headers['Authorization'] = 'Bearer {token}'\n" if token else ""
    paths = ", ".join(f'"/api/v1/pages/{urllib.parse.quote(t)}"' for t in titles)
    with open(path, "w") as fh:
        fh.write(
            header + f"local paths = {{{paths}}}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format('GET', paths[i])\nend\n"
        )


def _puts(base: str, token: str, runs: int) -> list[float]:
    """Sequential saves of one 10 KB page; milliseconds per save (the create not counted)."""
    lines = page_lines(10_000, seed=17)
    host = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    path = "/api/v1/pages/Bench_API_page"

    def put(body: str, base_rev: int) -> dict:
        payload = json.dumps({"body": body, "summary": "bench", "base_rev": base_rev})
        conn.request("PUT", path, body=payload, headers=headers)
        response = conn.getresponse()
        data = json.loads(response.read())
        if response.status not in (200, 201):
            raise SystemExit(f"PUT answered {response.status}: {data}")
        return data

    conn.request("GET", path, headers=headers)
    current = conn.getresponse()
    start_rev = json.loads(current.read())["revision"] if current.status == 200 else 0
    rev = put("\n".join(lines), start_rev)["revision"]
    timings = []
    for i in range(runs):
        n = (i * 7) % len(lines)
        lines[n] = lines[n] + f" edit {i}"
        start = time.perf_counter()
        rev = put("\n".join(lines), rev)["revision"]
        timings.append((time.perf_counter() - start) * 1000)
    conn.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="10k")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--puts", type=int, default=100)
    parser.add_argument(
        "--workdir", help="keep the imported wiki here and reuse it next time (the import is slow)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    tmp = args.workdir or tempfile.mkdtemp(prefix="nexus-bench-api-")
    os.makedirs(tmp, exist_ok=True)
    imported = os.path.exists(os.path.join(tmp, "wiki.db"))
    env = dict(os.environ, PATH=VENV_BIN + ":" + os.environ["PATH"])
    env.update(
        DATABASE_URL=f"sqlite:///{tmp}/wiki.db",
        SEARCH_INDEX_DIR=f"{tmp}/index",
        SECRET_KEY="bench",
        WIKI_API_RATE="10000000 per minute",
        WIKI_SAVE_RATE="10000000 per minute",
    )
    corpus = os.path.join(CORPUS, args.size)
    t0 = time.time()
    _run(["flask", "--app", "wsgi", "db", "upgrade"], env, capture_output=True)
    if not imported:
        _run(["flask", "--app", "wsgi", "import", corpus], env, capture_output=True)
    token = _run(
        [sys.executable, "-c", MAKE_TOKEN], env, capture_output=True, text=True
    ).stdout.split()[-1]
    print(f"[{args.size}] imported in {time.time() - t0:.1f}s", flush=True)
    titles = [f[:-3] for f in sorted(os.listdir(corpus)) if f.endswith(".md")]
    random.Random(42).shuffle(titles)
    titles = titles[:500]
    with_token, anonymous = os.path.join(tmp, "token.lua"), os.path.join(tmp, "anon.lua")
    _lua(with_token, titles, token)
    _lua(anonymous, titles, None)
    server, base = start_gunicorn("bench.bench_wsgi:app", env, ROOT, "/__bare")
    try:
        for title in titles:  # warm the render cache, as on a wiki whose pages were viewed
            urllib.request.urlopen(f"{base}/api/v1/pages/{urllib.parse.quote(title)}").read()
        bare = wrk(base + "/__bare", args.duration, server=server)
        api_token = wrk(base + "/", args.duration, with_token, server=server)
        api_anon = wrk(base + "/", args.duration, anonymous, server=server)
        puts = _puts(base, token, args.puts)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
        if not args.workdir:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{'route':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'CPU µs':>9}")
    for name, r in (
        ("bare 10 KB template", bare),
        ("GET /api/v1/pages/<t> (token)", api_token),
        ("GET /api/v1/pages/<t> (anonymous)", api_anon),
    ):
        print(
            f"{name:<34}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['non2xx']:>9}"
            f"{r['cpu_us']:>9.0f}"
        )
    for name, r in (("token", api_token), ("anonymous", api_anon)):
        print(
            f"GET page ({name}) / bare = {r['rps'] / bare['rps']:.2f} in requests/s, "
            f"{bare['cpu_us'] / r['cpu_us']:.2f} in server CPU per request (target >= 0.50)"
        )
    q = statistics.quantiles(puts, n=100)
    print(
        f"PUT 10 KB page at {args.size} pages, {len(puts)} saves: p50 {statistics.median(puts):.1f}"
        f" ms, p95 {q[94]:.1f} ms, max {max(puts):.1f} ms (target p95 < 100 ms)"
    )


if __name__ == "__main__":
    main()
