"""Benchmark the page tree beside a page (wiki/pages/navigation.py) on a 10,000-page wiki.

Run: ``.venv/bin/python bench/bench_page_tree.py [--top 2000] [--children 4]``.
Builds a fresh SQLite wiki in a temporary directory with ``--top`` top-level pages, each with
``--children`` sub-pages (10,000 pages by default), written straight through the models.
Then it prints the median and p95 of ``page_tree()`` for a top-level page (the widest level:
every top-level title and their children are read, up to tree.LIMIT) and for a sub-page, and
of a logged-in ``GET /wiki/<sub-page>`` (which renders the tree) through the test client.
No target from the issue: the figures show what the tree adds to a page view.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from wiki import create_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.models import Page  # noqa: E402
from wiki.pages.navigation import page_tree  # noqa: E402

RUNS = 50


def build(top: int, children: int) -> None:
    now = datetime.now(UTC)
    titles = []
    for n in range(top):
        titles.append(f"Topic {n:05d}")
        titles += [f"Topic {n:05d}/Part {k}" for k in range(children)]
    rows = [
        {"title": t, "title_key": t.lower(), "current_rev": 0, "created_at": now, "updated_at": now}
        for t in titles
    ]
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Page), rows[start : start + 2000])
    db.session.commit()


def stats(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    return f"median {statistics.median(samples):.2f} ms, p95 {p95:.2f} ms"


def time_it(fn) -> list[float]:
    fn()
    out = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=2000)
    parser.add_argument("--children", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.db",
            SEARCH_INDEX_DIR=f"{tmp}/index",
            SECRET_KEY="bench",
            WTF_CSRF_ENABLED=False,
            RATELIMIT_ENABLED=False,
            WIKI_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
        )
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            build(args.top, args.children)
            total = args.top * (1 + args.children)
            print(f"{total} pages ({args.top} top-level, {args.children} sub-pages each), SQLite")
            top = f"Topic {args.top // 2:05d}"
            sub = f"{top}/Part 1"
            print(f"page_tree(top-level page): {stats(time_it(lambda: page_tree(top)))}")
            print(f"page_tree(sub-page):       {stats(time_it(lambda: page_tree(sub)))}")
        client = app.test_client()
        client.post(
            "/register",
            data={"username": "alice", "password": "password123", "confirm": "password123"},
        )
        client.post(f"/edit/{sub.replace(' ', '_')}", data={"body": "# Part\n\ntext", "save": "1"})
        path = f"/wiki/{sub.replace(' ', '_')}"
        assert client.get(path).status_code == 200
        print(f"GET {path} logged in (tree included): {stats(time_it(lambda: client.get(path)))}")


if __name__ == "__main__":
    main()
