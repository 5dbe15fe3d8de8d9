"""Waiting for a lock another process holds, when the lock has no wait with a time limit.

SQLite's write lock and the host's render slots (POSIX record locks) can only be tried.
SQLite's own busy handler sleeps up to 100 ms between tries, and the render slots slept
50 ms: under a class saving at once, the lock sat free for most of each sleep while saves
queued for it (in the 50-user load run, a save waited 20 ms on average and 100 ms at the
95th percentile for the write lock, and as long again for a slot, mostly asleep). Tries
that start 1 ms apart and back off to 10 ms take a freed lock within a few milliseconds,
for the cost of a failed try (microseconds) a few hundred times a second at most.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

FIRST_DELAY = 0.001
LONGEST_DELAY = 0.01


def poll(attempt: Callable[[], T | None], wait: float) -> T | None:
    """``attempt()`` until it returns something other than None, for up to ``wait`` seconds
    (one try when ``wait`` is 0); its result, or None when time ran out."""
    deadline = time.monotonic() + wait
    delay = FIRST_DELAY
    while True:
        result = attempt()
        if result is not None:
            return result
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        time.sleep(min(delay, left))
        delay = min(delay * 2, LONGEST_DELAY)
