"""Waking this host's background processes through a datagram socket.

A process that works after commits (the search indexer, the job runner) listens on a Unix
datagram socket of its own; a web worker sends one byte there after its commit and goes on.
Sending never blocks, and a process that is not running is found out at once (nobody
listens), so the caller can do the work another way. Such a process's main loop ends on
SIGTERM or SIGINT (:func:`stop_on_signals`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import threading
import time

_sender: tuple[int, socket.socket] | None = None  # per process: gunicorn forks workers


def wake(path: str) -> bool:
    """Whether a process listens at ``path`` and was woken (never blocks)."""
    global _sender
    if _sender is None or _sender[0] != os.getpid():
        sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sender.setblocking(False)
        _sender = (os.getpid(), sender)
    try:
        _sender[1].sendto(b".", path)
    except OSError as error:
        # A full queue means the listener has wake-ups waiting already: it is awake.
        return error.errno in (errno.EAGAIN, errno.EWOULDBLOCK)
    return True


class Listener:
    """The listening end at ``path``; ``timeout`` bounds each wait, so a stop is noticed.

    :raises RuntimeError: another process already listens at ``path``.
    """

    def __init__(self, path: str, timeout: float) -> None:
        if wake(path):
            raise RuntimeError(f"another process already listens at {path}")
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # left by a listener that died
        self.path = path
        self.timeout = timeout
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(path)
        self._socket.settimeout(timeout)

    def drain(self, *, wait: bool = True) -> int:
        """Wait up to ``timeout`` (or not at all) for a wake-up; take every one queued (one
        round of work serves them all). Returns how many (one per commit)."""
        taken = 0
        try:
            if not wait:
                self._socket.setblocking(False)
            while True:
                self._socket.recv(16)
                taken += 1
                self._socket.setblocking(False)  # after the first: only what is queued already
        except (TimeoutError, BlockingIOError):
            pass
        finally:
            self._socket.settimeout(self.timeout)
        return taken

    def close(self) -> None:
        self._socket.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


class Pacer:
    """Spaces a background process's rounds of work out while wake-ups come faster than it
    works. After a round that served more than one wake-up, the next starts ``gap`` seconds
    after that one began, so one round serves all that came meanwhile instead of one round
    each (a Whoosh commit, or a job run's fixed queries, per save). After a round that
    served one, the next starts at once: a process that keeps up never waits (with a fixed
    gap, saves a second apart fell into step with it and each waited about a second)."""

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self._began = -gap
        self._served = 0

    def wait(self, stop: threading.Event) -> bool:
        """Wait until the next round may begin; True when ``stop`` was set meanwhile."""
        if self._served > 1:
            return stop.wait(self._began + self.gap - time.monotonic())
        return stop.is_set()

    def began(self, served: int) -> None:
        """A round begins now and serves ``served`` wake-ups."""
        self._began, self._served = time.monotonic(), served


def stop_on_signals(stop: threading.Event | None = None) -> threading.Event:
    """``stop``, or a new event, set by SIGTERM or SIGINT when called on the main thread
    (a process's main loop; a test runs the same loop on a thread with its own event)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    return stop
