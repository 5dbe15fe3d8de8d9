"""Time wiki.text.merging.three_way_merge on a 100 KB page with non-overlapping edits.

Prints p50 and p95 over 100 runs, in ms. Run from the repository root:
``.venv/bin/python bench/bench_merge.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.prose import page_lines  # noqa: E402
from wiki.text.merging import three_way_merge  # noqa: E402

SIZE = 100_000
RUNS = 100


def main() -> None:
    lines = page_lines(SIZE)
    theirs, mine = list(lines), list(lines)
    # Every 40th line edited by them, every 40th line (offset by 20) by me: no overlap.
    for i in range(0, len(lines) - 20, 40):
        theirs[i] += " (their edit)"
        mine[i + 20] += " (my edit)"
    base_text, theirs_text, mine_text = ("\n".join(v) + "\n" for v in (lines, theirs, mine))
    result = three_way_merge(base_text, theirs_text, mine_text)
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        three_way_merge(base_text, theirs_text, mine_text)
        timings.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(timings, n=100)
    print(
        f"three_way_merge, {len(base_text) // 1000} KB, {len(lines)} lines, "
        f"clean={result.clean}: p50 {cuts[49]:.2f} ms, p95 {cuts[94]:.2f} ms ({RUNS} runs)"
    )


if __name__ == "__main__":
    main()
