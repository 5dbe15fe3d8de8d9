"""Generated prose for the editing and merging benchmarks: the same page for both."""

import random

WORDS = ["wiki", "page", "revision", "merge", "conflict", "alpha", "beta", "the", "a", "of"]


def page_lines(size: int, seed: int = 1) -> list[str]:
    """About ``size`` characters of prose-like lines, with blank lines between paragraphs."""
    rnd = random.Random(seed)
    lines: list[str] = []
    total = 0
    while total < size:
        line = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 16)))
        lines.append(line if rnd.random() > 0.15 else "")
        total += len(lines[-1]) + 1
    return lines
