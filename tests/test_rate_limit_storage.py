"""The default rate-limit storage: limits' memory counters, minus the timer thread that
MemoryStorage starts after counted requests (wiki.extensions.ProcessMemoryStorage)."""

from __future__ import annotations

import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from wiki.extensions import ProcessMemoryStorage


def test_counts_like_memory_storage_and_starts_no_thread():
    storage = storage_from_string("process-memory://")
    assert isinstance(storage, ProcessMemoryStorage)
    limiter = FixedWindowRateLimiter(storage)
    two_a_second = parse("2 per second")
    threads = threading.active_count()
    assert [limiter.hit(two_a_second, "k") for _ in range(3)] == [True, True, False]
    assert limiter.hit(two_a_second, "other")  # counted per key
    assert threading.active_count() == threads
    time.sleep(1.05)
    assert limiter.hit(two_a_second, "k")  # a new window


def test_expired_counters_are_swept():
    storage = ProcessMemoryStorage()
    storage.SWEEP_EVERY = 0.0
    for n in range(100):
        storage.incr(f"addr-{n}", expiry=0.01)
    time.sleep(0.02)
    storage.incr("fresh", expiry=60)  # an incr sweeps what expired
    assert set(storage.expirations) == {"fresh"}
    assert storage.get("fresh") == 1
