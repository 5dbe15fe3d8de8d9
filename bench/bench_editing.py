"""Benchmark editing through the Flask test client on a file SQLite database.

1. Merge-and-save: a 100 KB page (generated prose, generated code-heavy, then the corpus's
   largest real page, system-design-primer.md, 111 KB); each round someone else saves
   revision N+1 from N, then the timed request saves a non-overlapping change that is also
   based on N, so the server three-way merges, renders and commits (target: p95 < 100 ms).
   A plain save without a merge is timed too, for comparison, and the first save of each
   page (nothing of it rendered before).
2. Draft autosave: ``POST /draft/<title>`` with a 10 KB and a 100 KB body (target: p95 <
   20 ms), plus a throttled ("skipped") request. Between timed autosaves the drafts are
   aged by a few seconds outside the timing, so the 3 s throttle does not skip them.

Run from the repository root: ``.venv/bin/python bench/bench_editing.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.prose import page_lines  # noqa: E402
from wiki import create_app
from wiki.extensions import db  # noqa: E402
from wiki.models import Draft  # noqa: E402
from wiki.rendering import guard as render_guard  # noqa: E402

RUNS = 60
PRIMER = Path(__file__).resolve().parents[2] / "shared/corpus/10k/system-design-primer.md"


def text_line(lines: list[str], n: int) -> int:
    """The first line from ``n`` on that is not a code fence's ``` line: edits change text;
    appending words to a fence line would end the fence and re-render the rest of the page,
    which is what Markdown means, not a cost of saving."""
    while lines[n].lstrip().startswith(("```", "~~~")):
        n += 1
    return n


def code_page_lines(size: int) -> list[str]:
    """A page of headings, prose and highlighted Python (the wiki's own source), ``size`` long."""
    source = (Path(__file__).resolve().parents[1] / "wiki" / "rendering.py").read_text()
    snippets = [s for s in source.split("\n\n") if s.strip()]
    lines: list[str] = []
    i = 0
    while sum(len(line) + 1 for line in lines) < size:
        snippet = snippets[i % len(snippets)]
        lines += [f"## Step {i}", "", f"What step {i} does, and why.", "", "```python"]
        lines += [*snippet.splitlines(), "```", ""]
        i += 1
    return lines


class Samples:
    """Wall-clock and web-process CPU milliseconds of timed calls.

    CPU time is the steadier figure on a busy shared machine; it leaves out the Markdown
    render, which runs in the render guard's child process.
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.child: list[float] = []
        self.after: list[float] = []

    def time(self, fn, *args):
        wall, cpu, child = time.perf_counter(), time.process_time(), render_cpu()
        result = fn(*args)
        self.wall.append((time.perf_counter() - wall) * 1000)
        self.cpu.append((time.process_time() - cpu) * 1000)
        self.child.append((render_cpu() - child) * 1000)
        return result

    def __str__(self) -> str:
        w, c, r = (statistics.quantiles(v, n=100) for v in (self.wall, self.cpu, self.child))
        text = f"p50 {w[49]:6.1f} ms, p95 {w[94]:6.1f} ms wall; p95 CPU {c[94]:5.1f} ms"
        text += f" + render {r[94]:5.1f} ms" if max(self.child) else ""
        if self.after and max(self.after) >= 1:
            a = statistics.quantiles(self.after, n=100)
            text += f"; after the response p50 {a[49]:5.1f} ms, p95 {a[94]:5.1f} ms"
        return text


def render_cpu() -> float:
    """CPU seconds used so far by the render guard's worker process (Linux /proc)."""
    pool = render_guard._pool
    total = 0.0
    for process in (getattr(pool, "_processes", None) or {}).values():
        try:
            with open(f"/proc/{process.pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def make_app(tmp: str):
    app = create_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/wiki.db",
        SEARCH_INDEX_DIR=os.path.join(tmp, "ix"),
        SECRET_KEY="bench",
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
        WIKI_SAVE_RATE="100000 per minute",
    )
    with app.app_context():
        upgrade()
    return app


def login(app, name: str):
    client = app.test_client()
    data = {"username": name, "password": "password123", "confirm": "password123"}
    assert client.post("/register", data=data).status_code == 302
    return client


def form(**fields: str) -> bytes:
    """The url-encoded body a browser sends; encoded before timing, since the test
    client's pure-Python encoder costs more than the server's work on a 100 KB field."""
    return urlencode(fields).encode()


def post(client, url: str, data: bytes):
    return client.post(url, data=data, content_type="application/x-www-form-urlencoded")


def save(client, title: str, lines: list[str], base: int, timings: Samples | None = None) -> int:
    data = form(body="\n".join(lines) + "\n", summary="", base_rev=str(base), save="Save")
    timings = timings or Samples()
    response = timings.time(post, client, f"/edit/{title}", data)
    assert response.status_code == 302, response.status_code
    # What a server runs after sending the response (indexing a long page for search): the
    # saver does not wait for it, but the worker is busy meanwhile, so it is reported too.
    started = time.perf_counter()
    response.close()
    timings.after.append((time.perf_counter() - started) * 1000)
    return base + 1


def bench_saves(app, title: str, lines: list[str], what: str) -> None:
    alice, bob = login(app, f"alice-{title}"), login(app, f"bob-{title}")
    save(alice, f"{title}_warm-up", ["Starts the render worker."], 0)
    first = Samples()  # nothing of this page rendered before
    rev = save(alice, title, lines, 0, first)
    merged, plain = Samples(), Samples()
    for i in range(RUNS):
        n = text_line(lines, (i * 37) % (len(lines) - 40))
        m = text_line(lines, n + 10)
        theirs, mine = list(lines), list(lines)
        theirs[n] += f" (their edit {i})"
        mine[m] += f" (my edit {i})"
        base = rev
        rev = save(alice, title, theirs, base)
        rev = save(bob, title, mine, base, merged)  # based on the older revision: merged
        lines = [*theirs[:m], mine[m], *theirs[m + 1 :]]
        lines[text_line(lines, n + 5)] += "."
        rev = save(alice, title, lines, rev, plain)  # on the current revision: no merge
    size = len("\n".join(lines).encode()) // 1000
    print(f"{what}, {size} KB, {len(lines)} lines:")
    print(f"  merge-and-save:  {merged} ({RUNS} runs)")
    print(f"  plain save:      {plain} ({RUNS} runs)")
    print(f"  first save, nothing rendered before: {first.wall[0]:.1f} ms wall")


def age_drafts(app) -> None:
    with app.app_context():
        for draft in db.session.scalars(select(Draft)):
            draft.updated_at -= timedelta(seconds=5)
        db.session.commit()


def bench_drafts(app) -> None:
    carol = login(app, "carol")
    for size in (10_000, 100_000):
        body = "\n".join(page_lines(size, seed=size))
        timings = Samples()
        for i in range(RUNS):
            age_drafts(app)
            data = form(body=f"{body} {i}", summary="", base_rev="")
            response = timings.time(post, carol, f"/draft/Notes_{size}", data)
            assert response.get_json()["status"] == "saved", response.get_json()
        print(f"draft autosave, {size // 1000:>3} KB body:            {timings} ({RUNS} runs)")
    skipped = Samples()
    for i in range(RUNS):
        data = form(body=f"too soon {i}")
        response = skipped.time(post, carol, "/draft/Notes_10000", data)
        assert response.get_json()["status"] == "skipped"
    print(f"draft autosave, throttled (skipped):     {skipped} ({RUNS} runs)")


def main() -> None:
    # Wall-clock figures: on a shared machine, read them next to the load average.
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp)
        bench_saves(app, "Big", page_lines(100_000), "generated prose page")
        bench_saves(app, "Code", code_page_lines(100_000), "generated code-heavy page")
        if PRIMER.exists():  # real Markdown: headings, lists, code, tables, raw HTML
            bench_saves(app, "Primer", PRIMER.read_text().splitlines(), PRIMER.name)
        else:
            print(f"(corpus page {PRIMER} not found: skipped)")
        bench_drafts(app)
        with app.app_context():
            db.engine.dispose()
    print(f"load average after:  {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
