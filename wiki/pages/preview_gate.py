"""How many previews render at once on this host, whatever the number of web workers.

A preview can take seconds of CPU; if every worker were rendering one, nobody could read a
page. Slots are byte-range locks on one file under ``instance/`` (so every worker process
of the host counts the same slots, and a crashed worker's slot frees itself), plus a
semaphore for the threads of one process (POSIX record locks belong to the process).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_POLL = 0.05
_thread_slots: dict[int, threading.BoundedSemaphore] = {}
_guard = threading.Lock()


class Busy(Exception):
    """No render slot came free in time."""


def _semaphore(slots: int) -> threading.BoundedSemaphore:
    with _guard:
        return _thread_slots.setdefault(slots, threading.BoundedSemaphore(slots))


@contextmanager
def render_slot(lock_path: str, slots: int, wait: float) -> Iterator[None]:
    """Hold one of ``slots`` host-wide render slots; :raises Busy: none free within ``wait``."""
    deadline = time.monotonic() + wait
    semaphore = _semaphore(slots)
    if not semaphore.acquire(timeout=wait):
        raise Busy
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    held = None
    try:
        while held is None:
            for slot in range(slots):
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot, os.SEEK_SET)
                except OSError:
                    continue
                held = slot
                break
            else:
                if time.monotonic() >= deadline:
                    raise Busy
                time.sleep(_POLL)
        yield
    finally:
        if held is not None:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, held, os.SEEK_SET)
        os.close(fd)
        semaphore.release()
