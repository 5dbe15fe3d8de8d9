"""Search relevance on a judged query set: MRR@10, nDCG@10 and success@1 per backend.

    .venv/bin/python bench/bench_relevance.py [--backend whoosh|postgres]
        [--database-url postgresql://root@127.0.0.1:5432/<scratch db>] [--reset] [-v]

A fresh wiki (SQLite under a temp dir, or the given PostgreSQL database, emptied with
``--reset``) imports the starter content (``wiki/content/starter``), the 1k corpus
(``../shared/corpus/1k``), the symbol-term pages of ``bench/relevance_pages`` and the two
"extra_pages" of ``bench/relevance_queries.json``, then runs every judged query through
``wiki.search.service.search`` (the parser, synonyms, spelling correction and ranking the
search page uses; not the HTTP layer, which does not change the order).

Judgements (``relevant``): the pages that should come first, best first. Grades for nDCG:
2 for the first, 1 for the others. success@1: the first hit is one of them. MRR@10: the
reciprocal rank of the first relevant page within the top 10 (0 when none).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.corpus import CORPUS as SHARED_CORPUS  # noqa: E402
from wiki import create_app  # noqa: E402
from wiki.auth.accounts import system_user  # noqa: E402
from wiki.content.importing import plan_import, run_import  # noqa: E402
from wiki.extensions import db  # noqa: E402
from wiki.pages import editing  # noqa: E402
from wiki.search import service as search_service  # noqa: E402

QUERIES = Path(__file__).with_name("relevance_queries.json")
CORPUS = Path(SHARED_CORPUS) / "1k"
K = 10


def load_judgements() -> tuple[list[dict], dict[str, str]]:
    data = json.loads(QUERIES.read_text(encoding="utf-8"))
    return data["queries"], data.get("extra_pages", {})


def metrics(ranked: list[str], relevant: list[str]) -> tuple[float, float, float]:
    """(reciprocal rank within K, nDCG@K, success@1) of one ranked title list."""
    grades = {title: (2 if n == 0 else 1) for n, title in enumerate(relevant)}
    top = ranked[:K]
    rr = next((1.0 / (i + 1) for i, t in enumerate(top) if t in grades), 0.0)
    dcg = sum(grades.get(t, 0) / math.log2(i + 2) for i, t in enumerate(top))
    ideal = sorted(grades.values(), reverse=True)[:K]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return rr, (dcg / idcg if idcg else 0.0), (1.0 if top and top[0] in grades else 0.0)


def prepare(app, args, extra_pages: dict[str, str]) -> None:
    with app.app_context():
        if args.reset and db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        user = system_user()
        db.session.commit()
        start = time.perf_counter()
        pages = 0
        starter = ROOT / "wiki" / "content" / "starter"
        for source in (starter, Path(args.corpus), Path(__file__).with_name("relevance_pages")):
            plan = plan_import(source)
            if not plan.files:
                raise SystemExit(f"no pages under {source}")
            pages += len(run_import(plan, user).created)
        for title, body in extra_pages.items():
            editing.save_edit(title, body, "bench", 0, user)
            pages += 1
        search_service.sync()
        seconds = time.perf_counter() - start
        print(f"imported {pages} pages in {seconds:.1f} s ({search_service.backend_name()})")


def run(app, queries: list[dict], verbose: bool) -> None:
    totals = [0.0, 0.0, 0.0]
    by_kind: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    misses = []
    with app.app_context():
        for item in queries:
            hits = search_service.search(item["q"], per_page=K).results.hits
            ranked = [hit.title for hit in hits]
            scores = metrics(ranked, item["relevant"])
            kind = by_kind[item["kind"]]
            for n, value in enumerate(scores):
                totals[n] += value
                kind[n] += value
            kind[3] += 1
            if scores[2] < 1.0:
                misses.append((item["q"], item["relevant"][0], ranked[:3]))
    n = len(queries)
    backend = app.config["SEARCH_BACKEND"]
    print(
        f"{backend}: {n} queries  MRR@10 {totals[0] / n:.3f}  nDCG@10 {totals[1] / n:.3f}  "
        f"success@1 {totals[2] / n:.3f}   targets: MRR@10 >= 0.90, success@1 >= 0.85"
    )
    for name, (rr, ndcg, s1, count) in sorted(by_kind.items()):
        print(
            f"  {name:10} {count:3}  MRR@10 {rr / count:.3f}  nDCG@10 {ndcg / count:.3f}  "
            f"success@1 {s1 / count:.3f}"
        )
    print(f"  first hit not judged relevant: {len(misses)}")
    for q, wanted, got in misses if verbose else []:
        print(f"    {q!r:40} wanted {wanted!r}, got {got}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["whoosh", "postgres"], default="whoosh")
    parser.add_argument("--database-url", help="a scratch PostgreSQL database")
    parser.add_argument("--reset", action="store_true", help="empty that database first")
    parser.add_argument("--corpus", default=str(CORPUS), help="the 1k corpus directory")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = parser.parse_args()
    if args.backend == "postgres" and not args.database_url:
        parser.error("--backend postgres needs --database-url")
    queries, extra_pages = load_judgements()
    with tempfile.TemporaryDirectory(prefix="nexus-bench-relevance-") as tmp:
        app = create_app(
            SQLALCHEMY_DATABASE_URI=args.database_url or f"sqlite:///{tmp}/wiki.db",
            SEARCH_INDEX_DIR=os.path.join(tmp, "index"),
            SEARCH_BACKEND=args.backend,
            SECRET_KEY="bench",
            RATELIMIT_ENABLED=False,
        )
        prepare(app, args, extra_pages)
        run(app, queries, args.verbose)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
