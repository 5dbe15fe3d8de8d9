"""wiki.waiting.poll: how a lock with no timed wait (SQLite's write lock, a render slot) is
waited for: tries 1 ms apart at first, backing off to 10 ms, until the time is up."""

from __future__ import annotations

import pytest

from wiki import waiting


@pytest.fixture
def sleeps(monkeypatch):
    """The delays poll() sleeps, on a clock that moves only when it sleeps."""
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    monkeypatch.setattr(waiting.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(waiting.time, "sleep", sleep)
    return slept


def test_tries_until_it_gets_something_backing_off_to_the_longest_delay(sleeps):
    tries = iter([None] * 6 + [0])  # 0 is a result (slot number 0), not a failure
    assert waiting.poll(lambda: next(tries), wait=5.0) == 0
    assert sleeps == [0.001, 0.002, 0.004, 0.008, 0.01, 0.01]


def test_gives_up_when_the_time_is_up_without_sleeping_past_it(sleeps):
    tries: list[int] = []
    assert waiting.poll(lambda: tries.append(1), wait=0.02) is None
    assert sum(sleeps) == pytest.approx(0.02)  # the last sleep ends at the deadline
    assert len(tries) == len(sleeps) + 1  # one last try at the deadline


def test_no_wait_means_one_try(sleeps):
    tries: list[int] = []
    assert waiting.poll(lambda: tries.append(1), wait=0.0) is None
    assert tries == [1] and sleeps == []
