"""Page views under gunicorn (2 sync workers) at 1k and 10k pages, against a bare route.

    .venv/bin/python bench/bench_page_views.py [--sizes 1k 10k] [--duration 15] [--workdir DIR]

For each corpus size, in ONE gunicorn (bench/bench_wsgi.py) on a fresh SQLite wiki: `wrk`
(2 threads, 8 connections) over 500 page URLs cycled by a Lua script, measuring in turn

* the bare route: a 10 KB template loaded from a file and compiled once (Flask's own
  template cache), the yardstick;
* anonymous views, served by the whole-page cache;
* anonymous views with the whole-page cache off (``/__nocache`` prefix, a config switch);
* logged-in views (a session cookie: visits, presence, drafts, permissions per request);
* logged-in views while another client saves one of those pages through the edit form once
  a second (the save latencies are printed too);
* before that, ``--saves`` edit-form saves one after another with nothing else running: each
  time is the POST's whole HTTP round trip (render, write, commit; the search index is
  updated by the worker's indexer thread right after — SEARCH_SYNC=background).

Every page was viewed once anonymously and once logged in before (a wiki's pages have been).
Prints requests/s, p50/p99 latency, and each ratio to the bare route of the same run.
Targets (#21): logged in >= 0.5x, anonymous >= 0.9x, cache off >= 0.3x.
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
sys.path.insert(0, ROOT)

from bench.corpus import CORPUS  # noqa: E402
from bench.serving import start_gunicorn, wrk  # noqa: E402

TARGETS = {"anonymous": 0.9, "anonymous, cache off": 0.3, "logged in": 0.5}


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


# One browser's User-Agent, sent by the client that logs in and by wrk with its cookie: the
# log-in session remembers the browser it started in (Flask-Login's session protection), and a
# cookie replayed from another one would be re-marked and re-sent on every response, a cost
# no real reader pays.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) nexus-bench"


class Browser:
    """A cookie-keeping HTTP client that can register and post forms with their CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, form: dict) -> int:
        data = urllib.parse.urlencode(form).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:  # e.g. the redirect to a Home not written
            return error.code

    def register(self, username: str) -> None:
        token = _csrf(self.get("/register"))
        password = "bench-password-1"
        form = {"username": username, "password": password, "confirm": password}
        self.post("/register", {**form, "csrf_token": token})
        assert "Log out" in self.get("/profile"), f"{username} is not logged in"

    def cookie_header(self) -> tuple[str, str]:
        """The headers that make wrk this logged-in browser: its cookies and User-Agent."""
        return (
            "Cookie: " + "; ".join(f"{c.name}={c.value}" for c in self.jar),
            "User-Agent: " + USER_AGENT,
        )

    def save(self, title: str) -> float:
        """Append a line to ``title`` through the edit form; seconds the POST took."""
        page = self.get("/edit/" + urllib.parse.quote(title))
        body = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)[1])
        base_rev = re.search(r'name="base_rev" type="hidden" value="(\d*)"', page)[1]
        form = {
            "csrf_token": _csrf(page),
            "body": body.lstrip("\n") + f"\nEdited at {time.time()}.\n",
            "summary": "bench",
            "base_rev": base_rev,
            "save": "Save",
        }
        started = time.perf_counter()
        self.post("/edit/" + urllib.parse.quote(title), form)
        return time.perf_counter() - started


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


def lua_script(tmp: str, name: str, paths: list[str]) -> str:
    """A wrk Lua script that cycles through ``paths``."""
    script = os.path.join(tmp, f"{name}.lua")
    quoted = ", ".join(f'"{p}"' for p in paths)
    with open(script, "w") as fh:
        fh.write(
            f"local paths = {{{quoted}}}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format('GET', paths[i])\nend\n"
        )
    return script


def _saving(browser: Browser, titles: list[str], stop: threading.Event, times: list) -> None:
    rng = random.Random(7)
    while not stop.is_set():
        started = time.monotonic()
        try:
            times.append(browser.save(rng.choice(titles)))
        except OSError as error:  # an HTTP error is a finding, not a crash of the bench
            times.append(float("nan"))
            print("save failed:", error, flush=True)
        stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))


def bench_size(
    size: str, duration: int, saves_n: int, workdir: str | None = None
) -> tuple[list[tuple], dict]:
    tmp = (
        os.path.join(workdir, size) if workdir else tempfile.mkdtemp(prefix=f"nexus-bench-{size}-")
    )
    os.makedirs(tmp, exist_ok=True)
    imported = os.path.exists(f"{tmp}/imported")
    env = dict(os.environ, PATH=VENV_BIN + ":" + os.environ["PATH"])
    env.update(
        DATABASE_URL=f"sqlite:///{tmp}/wiki.db",
        SEARCH_INDEX_DIR=f"{tmp}/index",
        SECRET_KEY="bench",
        WIKI_SAVE_RATE="10000 per minute",
    )
    corpus = os.path.join(CORPUS, size)
    t0 = time.time()
    run(["flask", "--app", "wsgi", "db", "upgrade"], env, capture_output=True)
    if not imported:  # a --workdir keeps its imported wiki for the next run
        run(["flask", "--app", "wsgi", "import", corpus], env, capture_output=True)
        open(f"{tmp}/imported", "w").close()
        print(f"[{size}] imported in {time.time() - t0:.1f}s", flush=True)
    titles = [f[:-3] for f in sorted(os.listdir(corpus)) if f.endswith(".md")]
    random.Random(42).shuffle(titles)
    titles = titles[:500]
    paths = [f"/wiki/{t}" for t in titles]
    plain = lua_script(tmp, "plain", paths)
    nocache = lua_script(tmp, "nocache", ["/__nocache" + p for p in paths])
    server, base = start_gunicorn("bench.bench_wsgi:app", env, ROOT, "/__bare")
    rows = []
    saves: list[float] = []
    try:
        reader, saver = Browser(base), Browser(base)
        stamp = int(time.time())  # a --workdir's wiki has the users of earlier runs
        reader.register(f"bench-reader-{stamp}")
        saver.register(f"bench-saver-{stamp}")
        cookie = reader.cookie_header()
        # Pages viewed before, logged in and out (visits, caches): three rounds, so that both
        # workers (which keep their own views) have most of them, as in a wiki in use.
        for _ in range(3):
            for path in paths:
                urllib.request.urlopen(base + path, timeout=60).read()
                reader.get(path)
        bare = wrk(base + "/__bare", duration, server=server)
        rows.append((size, "bare 10 KB template", bare))
        rows.append((size, "anonymous", wrk(base + "/", duration, plain, server=server)))
        rows.append(
            (size, "anonymous, cache off", wrk(base + "/", duration, nocache, server=server))
        )
        rows.append((size, "logged in", wrk(base + "/", duration, plain, cookie, server=server)))
        idle = [saver.save(title) for title in titles[:saves_n]]
        stop = threading.Event()
        thread = threading.Thread(target=_saving, args=(saver, titles, stop, saves))
        thread.start()
        try:
            during = wrk(base + "/", duration, plain, cookie, server=server)
            rows.append((size, "logged in, 1 save/s", during))
        finally:
            stop.set()
            thread.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
        if not workdir:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows, {"idle": idle, "during logged-in views": saves}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1k", "10k"])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--saves", type=int, default=100, help="sequential edit-form saves")
    parser.add_argument("--workdir", help="keep each size's imported wiki here for later runs")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    rows, saves = [], {}
    for size in args.sizes:
        found, saves[size] = bench_size(size, args.duration, args.saves, args.workdir)
        rows += found
    # "CPU µs": the server's CPU time per request (workers, master, search indexer), which
    # hardly moves when other work shares the cores; "x bare (CPU)" compares those.
    head = f"{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'x bare':>8}"
    head += f"{'CPU µs':>9}{'x bare (CPU)':>14}"
    print(f"\n{'corpus':<7}{'route':<24}{head}")
    for size, name, r in rows:
        bare = next(r for s, n, r in rows if s == size and n.startswith("bare"))
        print(
            f"{size:<7}{name:<24}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}"
            f"{r['non2xx']:>9}{r['rps'] / bare['rps']:>8.2f}"
            f"{r['cpu_us']:>9.0f}{bare['cpu_us'] / r['cpu_us']:>14.2f}"
            + (f"  (target >= {TARGETS[name]})" if name in TARGETS else "")
        )
    for size, phases in saves.items():
        for phase, times in phases.items():
            ok = sorted(t * 1000 for t in times if t == t)
            if ok:
                p95 = ok[min(len(ok) - 1, int(len(ok) * 0.95))]
                print(
                    f"{size}: edit-form saves, {phase}: {len(ok)} ok, {len(times) - len(ok)} "
                    f"failed, p50 {statistics.median(ok):.0f} ms, p95 {p95:.0f} ms"
                    + ("  (target p95 < 100 ms)" if phase == "idle" else "")
                )


if __name__ == "__main__":
    main()
