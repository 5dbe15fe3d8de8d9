"""Time wiki.text.diffing.diff_texts on two 500 KB revisions (median of 5 runs, in ms).

Run from the repository root: ``.venv/bin/python bench/bench_diff.py``.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wiki.text.diffing import diff_texts, split_lines  # noqa: E402

SIZE = 500_000
RUNS = 5
WORDS = ["wiki", "page", "revision", "diff", "merge", "alpha", "beta", "gamma", "the", "a"]


def revision(seed: int) -> str:
    """About SIZE characters of prose-like lines, every line unique to this seed."""
    rnd = random.Random(seed)
    lines: list[str] = []
    total = 0
    while total < SIZE:
        line = f"{seed}:{len(lines)} " + " ".join(
            rnd.choice(WORDS) for _ in range(rnd.randint(3, 15))
        )
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def median_ms(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    old, everywhere = revision(1), revision(2)
    lines = split_lines(old)
    for k in random.Random(0).sample(range(len(lines)), 200):
        lines[k] = lines[k] + " edited"
    scattered = "\n".join(lines) + "\n"
    for name, new in [("differ everywhere", everywhere), ("200 scattered lines", scattered)]:
        diff = diff_texts(old, new)
        ms = median_ms(lambda new=new: diff_texts(old, new))
        print(
            f"{name:>20}: {ms:8.1f} ms  (+{diff.added} -{diff.removed}, "
            f"{len(diff.hunks)} hunks, simplified={diff.simplified})"
        )


if __name__ == "__main__":
    main()
