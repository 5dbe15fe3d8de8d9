"""Render time of the 50 KB README (issue #19: p95 < 60 ms including the sanitizer), cold and warm.

* cold whole render: ``render()`` of the README, as a first save of a pasted page; the
  sanitizer's per-thread memo of sanitized tags is emptied before each run, so nothing
  learnt from an earlier render helps;
* cold, render worker's path: ``render_pieces`` with an empty piece cache (and memo);
* first save in a running worker: the same, with the memo holding the tags of 300 other
  pages (the benchmark corpus), as a worker that has rendered other pages has;
* warm, after a small edit: ``render_pieces`` with a cache warmed by the page, after a
  one-word change in a paragraph in the middle (a different word each run), what a typical
  save of an existing page costs. A page with footnotes, reference definitions or ``[TOC]``
  is rendered whole by the piece cache, so for such a page this equals the cold path.

Each figure is this thread's CPU time (``time.thread_time``: other load on a shared machine
counts less than in wall time) with wall time beside it; min, median and p95 of N runs; and
the load average.

Run from the repository root:
``.venv/bin/python bench/bench_render.py [FILE] [--runs N]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_render import readme  # noqa: E402

from bench.corpus import CORPUS  # noqa: E402
from wiki.rendering import sanitize  # noqa: E402
from wiki.rendering.markdown import render  # noqa: E402
from wiki.rendering.pieces import PieceCache, render_pieces  # noqa: E402


def _forget_tags() -> None:
    sanitize._local.__dict__.pop("tags", None)


def _measure(label: str, prepare, run, runs: int) -> None:
    cpu, wall = [], []
    for i in range(runs):
        argument = prepare(i)
        started_cpu, started_wall = time.thread_time(), time.perf_counter()
        run(argument)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started_wall) * 1000)

    def figures(times: list[float]) -> str:
        p95 = statistics.quantiles(times, n=20)[-1]
        return f"min {min(times):6.1f}  median {statistics.median(times):6.1f}  p95 {p95:6.1f}"

    print(f"  {label:<40} CPU {figures(cpu)}   wall {figures(wall)}")


def _edited(text: str, i: int) -> str:
    """``text`` with one word of a paragraph in the middle changed."""
    middle = len(text) // 2
    at = text.find("\n\n", middle) + 2
    while text[at] in "#-*>|`<0123456789 \n":  # find a plain paragraph
        at = text.find("\n\n", at) + 2
    return f"{text[:at]}Edit{i} {text[at:]}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    body = Path(args.file).read_text(encoding="utf-8") if args.file else readme()
    render(body, existing=())  # imports, lexers, regex caches
    print(f"{len(body)} characters, {args.runs} runs each, ms:")

    def cold(_):
        _forget_tags()
        return body

    _measure("cold whole render (render)", cold, lambda b: render(b, existing=()), args.runs)

    def cold_worker(_):
        _forget_tags()
        return PieceCache()

    _measure(
        "cold, worker path (render_pieces)",
        cold_worker,
        lambda cache: render_pieces(body, existing=(), cache=cache),
        args.runs,
    )
    corpus = Path(CORPUS) / "1k"
    others = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.md"))[:300]]

    if others:
        _forget_tags()
        for other in others:
            render(other, existing=())  # fills the memo with their tags
        their_tags = dict(sanitize._local.tags)

        def running_worker(_):
            sanitize._local.tags = dict(their_tags)
            return PieceCache()

        _measure(
            "first save, worker that rendered others",
            running_worker,
            lambda cache: render_pieces(body, existing=(), cache=cache),
            args.runs,
        )
    cache = PieceCache()
    render_pieces(body, existing=(), cache=cache)
    whole_before = cache.whole_renders
    _measure(
        "warm, one word edited (render_pieces)",
        lambda i: _edited(body, i),
        lambda text: render_pieces(text, existing=(), cache=cache),
        args.runs,
    )
    whole = cache.whole_renders - whole_before
    print(f"  (warm runs rendered whole by the piece cache: {whole} of {args.runs})")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"  load average {load} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
