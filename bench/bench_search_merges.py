"""The Whoosh indexer's work under the load run's writes: a small wiki whose few hot pages
are saved over and over.

    .venv/bin/python bench/bench_search_merges.py [--pages 50] [--hot 8] [--syncs 300]

An index of ``--pages`` pages of the 1k corpus is built in a temp dir. Then ``--syncs``
times, 1 to ``--hot`` of the hot pages (seeded at random, the same every run) get a new
revision with a line added, are indexed in one ``apply()``, and ``maintain()`` runs, as the
host's indexer does after each sync. Printed: CPU time per sync of ``apply`` and of
``maintain`` (its merges), how many merges ran, the segments left (live documents each),
and the CPU time of a search (bench/queries.py's mix) on the index as it is left.
This process's CPU time only: run it alone.
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

from bench.corpus import CORPUS  # noqa: E402
from bench.queries import COMMON_QUERIES  # noqa: E402
from wiki.search.documents import SearchDoc  # noqa: E402
from wiki.search.query import parse_query  # noqa: E402
from wiki.search.whoosh.backend import WhooshBackend  # noqa: E402

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--hot", type=int, default=8)
    parser.add_argument("--syncs", type=int, default=300)
    args = parser.parse_args()

    files = sorted(Path(CORPUS, "1k").rglob("*.md"))[: args.pages]
    texts = [f.read_text() for f in files]

    def doc(n: int, rev: int, extra: str = "") -> SearchDoc:
        return SearchDoc(n + 1, files[n].stem, texts[n] + extra, "", "", (), "bench", NOW, rev)

    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        backend = WhooshBackend(tmp)
        backend.rebuild([doc(n, 1) for n in range(len(files))])
        revs = [1] * len(files)
        apply_s = maintain_s = 0.0
        merges = 0
        for sync in range(args.syncs):
            docs = []
            for n in rng.sample(range(args.hot), rng.randint(1, args.hot)):
                revs[n] += 1
                docs.append(doc(n, revs[n], f"\nLine {revs[n]}: marker{sync}"))
            started = time.process_time()
            backend.apply(docs, [])
            applied = time.process_time()
            merges += backend.maintain()
            apply_s += applied - started
            maintain_s += time.process_time() - applied
        segments = sorted(s.doc_count() for s in backend._index()[0]._segments())
        searches = []
        for _ in range(5):
            for q in COMMON_QUERIES:
                started = time.process_time()
                backend.search(parse_query(q))
                searches.append(time.process_time() - started)
        backend.close()

    per_sync = 1000 / args.syncs
    print(f"{len(files)} pages, {args.hot} hot, {args.syncs} syncs (CPU ms per sync):")
    print(f"  apply     {apply_s * per_sync:6.2f}")
    print(f"  maintain  {maintain_s * per_sync:6.2f}   ({merges} merges)")
    print(f"  segments left (live documents): {segments}")
    print(
        f"  search    p50 {statistics.median(searches) * 1000:.2f} ms, "
        f"mean {statistics.fmean(searches) * 1000:.2f} ms CPU ({len(searches)} queries)"
    )


if __name__ == "__main__":
    main()
