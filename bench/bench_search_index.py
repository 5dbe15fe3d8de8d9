"""Benchmark the Whoosh search backend on the 10k-page corpus.

Run: ``.venv/bin/python bench/bench_search_index.py [corpus_dir] [index_dir]``. Rebuilds an
index of every ``*.md`` file (title = file name without ``.md``), then times 20 queries
(10 runs each) and title suggestions, printing p50/p95 in milliseconds.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import CORPUS as SHARED_CORPUS  # noqa: E402
from bench.queries import COMMON_QUERIES, SUGGEST_PREFIXES  # noqa: E402
from wiki.search.query import parse_query  # noqa: E402
from wiki.search.whoosh.backend import SearchDoc, WhooshBackend, doc_from_markdown  # noqa: E402

CORPUS = os.path.join(SHARED_CORPUS, "10k")
QUERIES = COMMON_QUERIES + ["compr*", "tag:none directory"]
RUNS = 10


def corpus_docs(corpus: str) -> Iterator[SearchDoc]:
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    for n, path in enumerate(sorted(Path(corpus).glob("*.md")), start=1):
        text = path.read_text(encoding="utf-8", errors="replace")
        yield doc_from_markdown(n, path.stem, text, ("tldr",), "bench", stamp, 1)


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    corpus = sys.argv[1] if len(sys.argv) > 1 else CORPUS
    index_dir = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="bench-index-")
    backend = WhooshBackend(index_dir)
    start, cpu_start = time.perf_counter(), time.process_time()
    count = backend.rebuild(corpus_docs(corpus))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(
        f"rebuild: {count} pages in {elapsed:.1f} s wall, {cpu:.1f} s CPU "
        f"({count / elapsed:.0f} pages/s; {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f})"
    )

    all_ms: list[float] = []
    for q in QUERIES:
        parsed = parse_query(q)
        samples = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            results = backend.search(parsed)
            samples.append((time.perf_counter() - t0) * 1000)
        all_ms += samples
        note = f" -> {results.corrected_query!r}" if results.corrected_query else ""
        print(
            f"  {q!r:24} hits={results.total:5d}{note:14} "
            f"p50={statistics.median(samples):6.1f} ms  p95={percentile(samples, 95):6.1f} ms"
        )
    print(f"search: p50={statistics.median(all_ms):.1f} ms  p95={percentile(all_ms, 95):.1f} ms")

    suggest_ms = []
    for prefix in SUGGEST_PREFIXES:
        for _ in range(RUNS):
            t0 = time.perf_counter()
            backend.suggest(prefix)
            suggest_ms.append((time.perf_counter() - t0) * 1000)
    p50, p95 = statistics.median(suggest_ms), percentile(suggest_ms, 95)
    print(f"suggest: p50={p50:.1f} ms  p95={p95:.1f} ms")
    print(f"  e.g. suggest('gi') = {backend.suggest('gi')}")
    backend.close()


if __name__ == "__main__":
    main()
