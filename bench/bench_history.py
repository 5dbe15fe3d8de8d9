"""Benchmark the history area through the Flask test client.

Run from the repository root: ``.venv/bin/python bench/bench_history.py [database_url]``
(default: a fresh SQLite file in a temporary directory; a PostgreSQL URL must point at an
empty, migrated database). Builds directly through the models (fast): a page with 5,000
revisions, one with 5, and one with two 500 KB revisions that differ everywhere. Then
prints p50/p95 in ms of history (first and last page), blame (warm cache), the 500 KB diff,
and the worker's RSS before and after viewing 2,000 different old revisions.

Targets (issue 4): history and blame under 50 ms and within 2x of the 5-revision page;
the 500 KB diff under 1 s; memory not growing with the number of revisions viewed.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from wiki import create_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.models import Page, RenderCache, Revision, User  # noqa: E402
from wiki.rendering.markdown import RENDERER_VERSION, render  # noqa: E402

LONG, SHORT = 5_000, 5
BODY_LINES = 60
HUGE_SIZE = 500_000
RUNS = 40
OLD_VIEWS = 2_000
WORDS = ["wiki", "page", "revision", "diff", "merge", "alpha", "beta", "gamma", "the", "a"]


def bodies(count: int) -> list[str]:
    """``count`` revisions of a 60-line page; each revision rewrites one line."""
    lines = [
        f"Line {k}: " + " ".join(WORDS[(k + j) % len(WORDS)] for j in range(8))
        for k in range(BODY_LINES)
    ]
    out = []
    for rev in range(1, count + 1):
        if rev > 1:
            lines[(rev * 7) % BODY_LINES] = f"Line {(rev * 7) % BODY_LINES} edited in r{rev}."
        out.append("# Benchmark page\n\n" + "\n".join(lines) + "\n")
    return out


def huge_body(seed: int) -> str:
    """About 500 KB of prose-like lines, every line unique to this seed."""
    rnd = random.Random(seed)
    lines: list[str] = []
    total = 0
    while total < HUGE_SIZE:
        line = f"{seed}:{len(lines)} " + " ".join(rnd.choice(WORDS) for _ in range(10))
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def build_page(title: str, bodies: list[str], author_id: int, cache_html: bool) -> None:
    """Insert a page and its revisions (and their render cache) in bulk."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    page = Page(title=title, title_key=title.lower(), current_rev=len(bodies))
    db.session.add(page)
    db.session.flush()
    rows, previous = [], 0
    for number, body in enumerate(bodies, 1):
        size = len(body.encode())
        rows.append(
            {
                "page_id": page.id,
                "number": number,
                "title": title,
                "body": body,
                "summary": f"edit {number}",
                "kind": "create" if number == 1 else "edit",
                "author_id": author_id,
                "created_at": start + timedelta(minutes=number),
                "size": size,
                "size_delta": size - previous,
            }
        )
        previous = size
    db.session.execute(insert(Revision), rows)
    if cache_html:
        ids = db.session.execute(
            select(Revision.id, Revision.body).where(Revision.page_id == page.id)
        ).all()
        html: dict[str, str] = {}
        caches = []
        for rev_id, body in ids:
            if body not in html:
                html[body] = render(body, existing=()).html
            caches.append(
                {"revision_id": rev_id, "renderer_version": RENDERER_VERSION, "html": html[body]}
            )
        db.session.execute(insert(RenderCache), caches)
    db.session.commit()


def build(app) -> None:
    with app.app_context():
        upgrade()
        user = User(username="bench", username_key="bench", password_hash="-", role="editor")
        db.session.add(user)
        db.session.commit()
        build_page("Long", bodies(LONG), user.id, True)
        build_page("Short", bodies(SHORT), user.id, True)
        build_page("Huge", [huge_body(1), huge_body(2)], user.id, False)


def timings(client, url: str, runs: int = RUNS) -> tuple[float, float, float]:
    """Wall-clock p50 and p95 and this process's CPU p50, in ms, of ``runs`` GETs.

    CPU time is printed too because the machine may be shared: it is what the worker spent.
    """
    assert client.get(url).status_code == 200, url  # warm-up, untimed
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    wall.sort()
    p95 = wall[min(len(wall) - 1, round(0.95 * (runs - 1)))]
    return statistics.median(wall), p95, statistics.median(cpu)


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def report(name: str, p50: float, p95: float, cpu: float, note: str = "") -> None:
    print(f"{name:<32} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  cpu p50 {cpu:7.1f} ms  {note}")


def memory(client, view: Callable[[int], str]) -> None:
    for number in range(1, 201):  # warm-up: caches, pools, first-use allocations
        assert client.get(view(number)).status_code == 200
    gc.collect()
    before = rss_kb()
    for number in range(201, 201 + OLD_VIEWS):
        assert client.get(view(number)).status_code == 200
    gc.collect()
    after = rss_kb()
    print(
        f"worker RSS viewing {OLD_VIEWS} old revisions: before {before / 1024:.1f} MB, "
        f"after {after / 1024:.1f} MB (growth {(after - before) / 1024:+.1f} MB)"
    )


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-history-")
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tmp}/wiki.db"
    app = create_app(SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_DIR=f"{tmp}/ix", SECRET_KEY="bench")
    started = time.perf_counter()
    build(app)
    print(f"built {LONG + SHORT + 2} revisions in {time.perf_counter() - started:.1f} s ({url})")
    client = app.test_client()
    last = -(-LONG // 50)
    results = {}
    for name, path in [
        ("history 5-rev page", "/history/Short"),
        ("history 5,000-rev page 1", "/history/Long"),
        (f"history 5,000-rev page {last}", f"/history/Long?page={last}"),
        ("blame 5-rev page", "/blame/Short"),
        ("blame 5,000-rev page", "/blame/Long"),
    ]:
        note = ""
        if path.startswith("/blame/"):
            start = time.perf_counter()
            client.get(path)
            note = f"(warm cache; cold {(time.perf_counter() - start) * 1000:.0f} ms)"
        results[name] = timings(client, path)
        report(name, *results[name], note)
    short_history, short_blame = results["history 5-rev page"], results["blame 5-rev page"]
    for name, (p50, _, cpu) in results.items():
        base = short_blame if name.startswith("blame") else short_history
        print(f"  {name:<30} {p50 / base[0]:.2f}x wall, {cpu / base[2]:.2f}x cpu of 5-rev page")
    for view in ("inline", "split"):
        report(
            f"diff 500 KB revisions ({view})",
            *timings(client, f"/diff/Huge?from=1&to=2&view={view}", 5),
        )
    report(
        "diff 500 KB rendered",
        *timings(client, "/diff/Huge?from=1&to=2&mode=rendered", 3),
        "(render cache warm)",
    )
    report("recent changes", *timings(client, "/recent"))
    report("diff 5,000-rev page, adjacent", *timings(client, "/diff/Long?from=2500&to=2501"))
    memory(client, lambda n: f"/wiki/Long?rev={n}")


if __name__ == "__main__":
    main()
