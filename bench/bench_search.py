"""Search through HTTP on the 10,000-page corpus, for the Whoosh or the PostgreSQL backend.

    .venv/bin/python bench/bench_search.py [--backend whoosh|postgres]
        [--database-url postgresql://root@127.0.0.1:5432/<scratch db>] [--reset]
        [--corpus ../shared/corpus/10k] [--runs 10]

A fresh wiki (SQLite file under a temp dir, or the given PostgreSQL database, which must be
empty or is emptied with --reset) imports the corpus with ``wiki.content.importing``, then, through
the Flask test client (the whole request: routing, session, query, template):

- search: 20 one- and two-word queries, ``--runs`` times each, p50/p95 (target p95 < 40 ms);
- suggest: 12 prefixes, ``--runs`` times each (target p95 < 15 ms);
- save: 60 edits of different pages by a logged-in editor, each including its render, commit
  and index update (target p95 < 100 ms);
- full reindex: ``flask search reindex`` with its progress bar (target < 60 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from bench.corpus import CORPUS  # noqa: E402
from bench.queries import COMMON_QUERIES, SUGGEST_PREFIXES  # noqa: E402
from wiki import create_app  # noqa: E402
from wiki.auth.accounts import system_user  # noqa: E402
from wiki.content.importing import plan_import, run_import  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.models import Page  # noqa: E402
from wiki.search import indexing  # noqa: E402
from wiki.search import service as search_service  # noqa: E402
from wiki.text.titles import title_to_path  # noqa: E402

QUERIES = COMMON_QUERIES + ["tar", "http server"]
PREFIXES = SUGGEST_PREFIXES
SAVES = 60


def cuts(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {q[49]:6.1f} ms  p95 {q[94]:6.1f} ms  max {max(samples):6.1f} ms"


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def make_app(args, tmp: str):
    uri = args.database_url or f"sqlite:///{tmp}/wiki.db"
    return create_app(
        SQLALCHEMY_DATABASE_URI=uri,
        SEARCH_INDEX_DIR=os.path.join(tmp, "index"),
        SEARCH_BACKEND=args.backend,
        SECRET_KEY="bench",
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
        WIKI_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
        # Saves index before their response, so the save figure includes the index update
        # (by default an indexer process does it after the response).
        SEARCH_SYNC="request",
    )


def prepare(app, args) -> None:
    with app.app_context():
        if args.reset and db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        user = system_user()
        db.session.commit()
        if not any(Path(args.corpus).glob("*.md")):
            raise SystemExit(f"no Markdown pages in {args.corpus}: pass --corpus")
        plan = plan_import(Path(args.corpus))
        start = time.perf_counter()
        report = run_import(plan, user)
        seconds = time.perf_counter() - start
        backend = search_service.backend_name()
        print(f"import: {len(report.created)} pages in {seconds:.1f} s ({backend} backend)")
        start = time.perf_counter()
        indexing.optimize_after_import()  # as `flask import` does
        print(f"search optimize after the import: {time.perf_counter() - start:.1f} s")


def bench_search(client, runs: int, quiet: bool = False) -> dict[str, str]:
    """Time the queries; returns each query's result count line."""
    samples: list[float] = []
    counts: dict[str, str] = {}
    for q in QUERIES:
        url = f"/search?q={quote(q)}"
        response = client.get(url)  # warm-up, and the hit count
        assert response.status_code == 200, (q, response.status_code)
        mine = [timed(lambda u=url: client.get(u)) for _ in range(runs)]
        samples += mine
        html = response.get_data(as_text=True)
        count = html.split('class="search-count" role="status">', 1)[-1].split("<", 1)[0]
        note = " (corrected)" if "Showing results for" in html else ""
        counts[q] = count.strip()
        if not quiet:
            print(f"  {q!r:22} {count.strip()[:30]:30}{note:12} {cuts(mine)}")
    print(f"search  ({len(samples)} requests): {cuts(samples)}   target p95 < 40 ms")
    return counts


def bench_suggest(client, runs: int) -> None:
    samples = []
    for prefix in PREFIXES:
        url = f"/search/suggest?q={quote(prefix)}"
        client.get(url)
        samples += [timed(lambda u=url: client.get(u)) for _ in range(runs)]
    example = client.get("/search/suggest?q=gi").json["suggestions"]
    print(f"suggest ({len(samples)} requests): {cuts(samples)}   target p95 < 15 ms")
    print(f"  e.g. 'gi' -> {[s['title'] for s in example]}")


def bench_saves(app, client) -> None:
    client.post(
        "/register",
        data={"username": "bencher", "password": "password123", "confirm": "password123"},
    )
    with app.app_context():
        pages = db.session.execute(
            select(Page.title, Page.current_rev).order_by(Page.id).limit(SAVES * 50)
        ).all()[::50]
        bodies = {}
        for title, _ in pages:
            bodies[title] = client.get(f"/raw/{title_to_path(title)}").get_data(as_text=True)
    samples = []
    for n, (title, rev) in enumerate(pages):
        body = bodies[title] + f"\n\nBenchmark edit {n}: zanzibar{n}.\n"
        data = {"body": body, "summary": "bench", "base_rev": str(rev), "save": "Save"}
        url = f"/edit/{title_to_path(title)}"
        start = time.perf_counter()
        response = client.post(url, data=data)
        samples.append((time.perf_counter() - start) * 1000)
        # Closing the response runs what the server runs after sending it (index merges).
        response.close()
        assert response.status_code == 302, (title, response.status_code)
        assert "/wiki/" in response.headers["Location"], "not logged in"
    found = client.get(f"/search?q=zanzibar{len(pages) - 1}").get_data(as_text=True)
    assert "1 result" in found, "the last save is not searchable"
    print(
        f"save    ({len(samples)} edits, incl. index update): {cuts(samples)}   target p95 < 100 ms"
    )


def bench_reindex(app) -> None:
    runner = app.test_cli_runner()
    start = time.perf_counter()
    result = runner.invoke(args=["search", "reindex"])
    seconds = time.perf_counter() - start
    last = result.output.strip().splitlines()[-1] if result.output.strip() else result.exception
    print(f"reindex: {seconds:.1f} s ({last})   target < 60 s")
    check = runner.invoke(args=["search", "check"])
    print(f"check after reindex: exit {check.exit_code}: {check.output.strip().splitlines()[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["whoosh", "postgres"], default="whoosh")
    parser.add_argument("--database-url", help="an empty scratch PostgreSQL database")
    parser.add_argument("--reset", action="store_true", help="empty that database first")
    parser.add_argument("--corpus", default=os.path.join(CORPUS, "10k"))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--workdir", help="keep the SQLite wiki and index here; reuse them when present"
    )
    args = parser.parse_args()
    if args.backend == "postgres" and not args.database_url:
        parser.error("--backend postgres needs --database-url")
    print(f"{os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="nexus-bench-search-") as scratch:
        tmp = args.workdir or scratch
        os.makedirs(tmp, exist_ok=True)
        reuse = args.workdir and os.path.exists(os.path.join(tmp, "wiki.db"))
        app = make_app(args, tmp)
        if not (reuse and not args.database_url):
            prepare(app, args)
        client = app.test_client()
        before = bench_search(client, args.runs)
        bench_suggest(client, args.runs)
        bench_saves(app, client)
        bench_reindex(app)
        print("after the reindex:")
        after = bench_search(client, 3, quiet=True)
        same = "yes" if after == before else f"NO: {before} != {after}"
        print(f"  same result counts as the incremental index: {same}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
