"""How many expensive renders run at once on this host, whatever the number of web workers.

Previews, saves (which render the page to validate it) and diffs or blame of huge revisions
can each take seconds of CPU; if every worker were doing one, nobody could read a page. All
of them hold a render slot while they work, and a request that finds none free within
``WIKI_RENDER_WAIT`` seconds is refused with :class:`Busy` (503 and ``Retry-After``:
wiki/errors.py) instead of queueing without bound. Page views never take one.

Diffs and blame hold a slot around their work (:func:`render_slot`). Saves and previews
declare that their renders hold one (:func:`renders_held`): the slot is then held while the
Markdown renders and not while the save waits for the database or writes to it, so saves
of different pages do not queue behind each other's commits.

Slots are byte-range locks on one file, ``instance/render-slots.lock`` (so every worker
process of the host counts the same slots, and a crashed worker's slot frees itself), plus a
semaphore per file for the threads of one process (POSIX record locks belong to the process).

Slots are not re-entrant: hold one at a time. Nobody waits for the database while holding
one, so a save that renders under the write lock (a merge) may wait for a slot without a
deadlock; it gives the lock back when refused (wiki.pages.limits.save).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar

from flask import current_app

from wiki import waiting

# Seconds a refused request is told to wait: about one slow render.
RETRY_AFTER = 5
_thread_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_guard = threading.Lock()
_held: ContextVar[bool] = ContextVar("nexus_renders_held", default=False)


class Busy(Exception):
    """No render slot came free in time."""


def _semaphore(lock_path: str, slots: int) -> threading.BoundedSemaphore:
    with _guard:
        return _thread_slots.setdefault((lock_path, slots), threading.BoundedSemaphore(slots))


def render_slot(wait: float | None = None):
    """Context manager: one of the app's ``WIKI_RENDER_SLOTS`` host-wide render slots.

    :raises Busy: none came free within ``wait`` seconds (default ``WIKI_RENDER_WAIT``).
    """
    cfg = current_app.config
    wait = cfg["WIKI_RENDER_WAIT"] if wait is None else wait
    return hold(cfg["WIKI_RENDER_SLOTS_FILE"], cfg["WIKI_RENDER_SLOTS"], wait)


@contextmanager
def renders_held() -> Iterator[None]:
    """Within: every render for a save or preview (``render_for_save``) holds a render slot
    while it runs. :raises Busy: from within, when no slot came free in time."""
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)


def slot_if_held() -> AbstractContextManager:
    """A render slot within :func:`renders_held`, else nothing (a page view's render)."""
    return render_slot() if _held.get() else nullcontext()


@contextmanager
def hold(lock_path: str, slots: int, wait: float) -> Iterator[None]:
    """Hold one of ``slots`` host-wide render slots; :raises Busy: none free within ``wait``."""
    deadline = time.monotonic() + wait
    semaphore = _semaphore(lock_path, slots)
    if not semaphore.acquire(timeout=wait):
        raise Busy
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)

    def free_slot() -> int | None:
        for slot in range(slots):
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot, os.SEEK_SET)
            except OSError:
                continue
            return slot
        return None

    held = None
    try:
        held = waiting.poll(free_slot, deadline - time.monotonic())
        if held is None:
            raise Busy
        yield
    finally:
        if held is not None:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, held, os.SEEK_SET)
        os.close(fd)
        semaphore.release()
