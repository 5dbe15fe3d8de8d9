"""Benchmark links on a 10,000-page wiki: red-link lookup in page views, and backlinks.

Run: ``.venv/bin/python bench/bench_links.py [--pages 10000] [--database-url URL]``.
Builds a fresh wiki (SQLite in a temporary directory unless ``--database-url`` names an empty,
migratable database) with pages written straight through the models, each linking to a few
others and 1,000 of them to ``Bench Target``. Then it times, through the app:

- ``GET /wiki/Bench_Hub`` (200 wiki links, a quarter of them red) against
  ``GET /wiki/Bench_Plain`` (as much text, no links): target ratio of medians <= 1.5;
- ``GET /backlinks/Bench_Target`` (linked from 1,000 pages): target median < 100 ms;
- renaming ``Bench Target`` with link rewriting (1,000 revisions, in short batches; with
  saves going on: bench/bench_rename.py).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402

from bench.corpus import CORPUS as SHARED_CORPUS  # noqa: E402
from wiki import create_app  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.models import Link, Page, Revision, User  # noqa: E402
from wiki.pages.editing import save_edit  # noqa: E402
from wiki.structure import queries  # noqa: E402
from wiki.structure.service import rename_page  # noqa: E402

CORPUS = Path(SHARED_CORPUS) / "10k"
LINKERS = 1000
HUB_LINKS = 200
RUNS = 40
BATCH = 1000
TARGET = "Bench Target"


def corpus_pages(count: int) -> list[tuple[str, str]]:
    """(title, body) pairs from the tldr corpus, padded with generated pages if it is short."""
    files = sorted(CORPUS.glob("*.md"))[:count] if CORPUS.is_dir() else []
    pages = [
        (f.stem.replace("-", " ").capitalize(), f.read_text("utf-8", "replace")) for f in files
    ]
    pages += [
        (f"Generated page {n}", f"# Page {n}\n\nFiller text.\n") for n in range(len(pages), count)
    ]
    seen: set[str] = set()
    unique = []
    for title, body in pages:
        while title in seen:
            title += " (2)"
        seen.add(title)
        unique.append((title, body))
    return unique


def build_corpus(count: int, user_id: int) -> list[str]:
    """Insert ``count`` pages with one revision each and their links; returns the titles."""
    rng = random.Random(7)
    pages = corpus_pages(count)
    titles = [t for t, _ in pages]
    now = datetime.now(UTC)
    linkers = set(rng.sample(range(count), LINKERS))
    for start in range(0, count, BATCH):
        chunk = pages[start : start + BATCH]
        page_rows = [
            {
                "title": t,
                "title_key": t.lower(),
                "current_rev": 1,
                "created_at": now,
                "updated_at": now,
            }
            for t, _ in chunk
        ]
        db.session.execute(insert(Page), page_rows)
        ids = dict(
            db.session.execute(
                select(Page.title, Page.id).where(Page.title.in_([t for t, _ in chunk]))
            ).all()
        )
        revisions, links = [], []
        for offset, (title, body) in enumerate(chunk):
            n = start + offset
            targets = {titles[rng.randrange(count)] for _ in range(3)} - {title}
            if n in linkers:
                targets.add(TARGET)
            body += "\n\nSee also: " + ", ".join(f"[[{t}]]" for t in sorted(targets)) + "\n"
            revisions.append(
                {
                    "page_id": ids[title],
                    "number": 1,
                    "title": title,
                    "body": body,
                    "summary": "",
                    "kind": "import",
                    "author_id": user_id,
                    "size": len(body.encode()),
                    "size_delta": len(body.encode()),
                    "created_at": now,
                }
            )
            links += [{"source_id": ids[title], "target_title": t} for t in targets]
        db.session.execute(insert(Revision), revisions)
        db.session.execute(insert(Link), links)
        db.session.commit()
    return titles


def build_wiki(count: int) -> tuple[User, list[str]]:
    """In the app's context: migrate an empty database, add the admin "bench" and the corpus
    of :func:`build_corpus`; returns the user and the titles."""
    from flask_migrate import upgrade

    upgrade()
    user = User(username="bench", username_key="bench", password_hash="-", role="admin")
    db.session.add(user)
    db.session.commit()
    start = time.perf_counter()
    titles = build_corpus(count, user.id)
    if db.engine.dialect.name == "postgresql":
        # Autovacuum would analyze the bulk-loaded tables soon; do it now so the planner
        # sees 10,000 pages rather than an empty table.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(
        f"corpus: {len(titles):,} pages, {LINKERS:,} link to {TARGET} "
        f"({time.perf_counter() - start:.1f} s to build)",
        flush=True,
    )
    return user, titles


def timed(client, *paths: str, runs: int = RUNS) -> list[list[float]]:
    """Milliseconds per GET of each path, after one warm-up request each (filling caches).

    The paths take turns, so a busy machine slows them alike and their ratio stays fair.
    """
    for path in paths:
        assert client.get(path).status_code == 200, path
    samples: list[list[float]] = [[] for _ in paths]
    for _ in range(runs):
        for path, into in zip(paths, samples, strict=True):
            start = time.perf_counter()
            response = client.get(path)
            into.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-links-")
    app = create_app(
        SQLALCHEMY_DATABASE_URI=args.database_url or f"sqlite:///{tmp}/wiki.db",
        SEARCH_INDEX_DIR=f"{tmp}/search-index",
        SECRET_KEY="bench",
        RATELIMIT_STORAGE_URI="process-memory://",
    )
    with app.app_context():
        user, titles = build_wiki(args.pages)
        rng = random.Random(11)
        blue = rng.sample(titles, HUB_LINKS * 3 // 4)
        red = [f"Missing topic {n}" for n in range(HUB_LINKS - len(blue))]
        hub = "\n".join(f"- [[{t}]] is worth reading." for t in blue + red)
        plain = "\n".join(f"- item {n} is worth reading, really." for n in range(HUB_LINKS))
        save_edit(TARGET, "The most linked page.", "", None, user)
        save_edit("Bench Hub", hub, "", None, user)
        save_edit("Bench Plain", plain, "", None, user)
        target = db.session.scalar(select(Page).where(Page.title == TARGET))
        query_ms = []
        for _ in range(RUNS):
            start = time.perf_counter()
            found = queries.backlinks(TARGET, target)
            query_ms.append((time.perf_counter() - start) * 1000)
        assert len(found) == LINKERS, len(found)
    client = app.test_client()
    hub_ms, plain_ms = timed(client, "/wiki/Bench_Hub", "/wiki/Bench_Plain")
    (backlinks_ms,) = timed(client, "/backlinks/Bench_Target")
    ratio = statistics.median(hub_ms) / statistics.median(plain_ms)
    print(f"view, 200 wiki links : {summary(hub_ms)}")
    print(f"view, no links       : {summary(plain_ms)}")
    print(f"ratio (medians)      : {ratio:.2f}x   (target <= 1.5x)")
    print(f"backlinks query      : {summary(query_ms)}   ({LINKERS:,} linking pages)")
    print(f"GET /backlinks/…      : {summary(backlinks_ms)}   (target < 100 ms)")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "bench"))
        start = time.perf_counter()
        result = rename_page(TARGET, TARGET + " renamed", user)
        seconds = time.perf_counter() - start
    print(
        f"rename + rewrite     : {seconds:7.2f} s   ({len(result.rewritten):,} linking pages "
        "rewritten, in batches of short write transactions)"
    )


if __name__ == "__main__":
    main()
