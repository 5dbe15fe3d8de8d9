"""This process's search indexer: a thread that brings the index up to date after saves.

A save commits its revision together with a stale-page row (wiki.search.indexing); in a
request it then only wakes this thread (:func:`kick`) instead of indexing before its
response. Whoosh's fixed cost per commit — opening every segment to find the page's old
entry, writing a new segment — is tens of milliseconds, most of a save's time, and run after
the response on the request's own thread it would hold up that worker's next request. The
thread runs ``sync()`` in an app context of its own while the worker goes on serving: it
drains every stale row at once (saves arriving together share one commit), then merges
segments. Searches see a save a moment later.

Nothing is lost if the process dies first: the stale rows are committed, and the next sync
anywhere (a later save, or start-up) indexes them. A process that ends normally (a worker
told to stop, or restarted) first lets the thread catch up, for at most
``DRAIN_AT_EXIT`` seconds, so a stopped wiki's index is not left behind its pages.
``SEARCH_SYNC = "request"`` indexes before the response instead (the tests' default, where a
save is searched for at once).

**One indexer per host.** A thread in a web worker still shares that worker's GIL: its
indexing (~80 ms of CPU a save at 10,000 pages) slows the next request the worker serves.
``flask --app wsgi search follow`` runs the indexer as a process of its own (``bin/serve``
starts one beside gunicorn): it listens on a datagram socket next to the index
(:func:`wake_path`), and :func:`kick` wakes it there. When no follower listens (it is not
running, or died), :func:`kick` falls back to this process's thread, so saves are always
indexed. The follower also syncs every ``FOLLOW_POLL`` seconds without being woken, which
repairs what a crash left behind.
"""

from __future__ import annotations

import atexit
import logging
import threading

from flask import Flask

from wiki.jobs import listener
from wiki.search import service

log = logging.getLogger(__name__)

_KEY = "nexus_search_indexer"
DRAIN_AT_EXIT = 10.0  # seconds; gunicorn waits 30 s for a stopping worker


class Indexer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.stopped = False
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def kick(self) -> None:
        with self.lock:
            if self.stopped:
                return
            self.idle.clear()
            self.wake.set()
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="search-indexer", daemon=True)
                self.thread.start()
                atexit.unregister(self._drain)  # once per indexer, however often it restarts
                atexit.register(self._drain)

    def _run(self) -> None:
        while not self.stopped:
            if not self.wake.wait(timeout=60.0):
                with self.lock:  # nothing to do for a minute: end; the next kick restarts
                    if not self.wake.is_set():
                        self.thread = None
                        return
            self.wake.clear()
            if self.stopped:  # woken by stop(): no sync after it
                return
            with self.app.app_context():
                service.sync()  # never raises; what it cannot do stays recorded
            with self.lock:  # a kick in between keeps it busy
                if not self.wake.is_set():
                    self.idle.set()

    def wait_idle(self, timeout: float) -> bool:
        """Until the index has caught up with every kick so far (tests, shutdown)."""
        return self.idle.wait(timeout)

    def stop(self, wait: float = 10.0) -> None:
        """No more syncs; waits up to ``wait`` seconds for one under way, so that nothing of
        it (Whoosh's writes, its use of ``random``) runs on beside whatever comes next."""
        with self.lock:
            self.stopped = True
            self.wake.set()
            thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(wait)

    def _drain(self) -> None:
        """At the process's exit: let the index catch up with the saves it was told of."""
        if not self.stopped and not self.wait_idle(DRAIN_AT_EXIT):
            log.warning("search index still behind at exit; the next sync catches up")
        self.stop()


def indexer_for(app: Flask) -> Indexer:
    return app.extensions.setdefault(_KEY, Indexer(app))


def kick(app: Flask) -> None:
    """Wake this host's indexer: the ``search follow`` process when one listens, else this
    process's thread (starting it if needed)."""
    if not listener.wake(wake_path(app)):
        indexer_for(app).kick()


# -- the follower process -------------------------------------------------------------------

FOLLOW_POLL = 30.0  # seconds between syncs nobody asked for (repairs after a crash)
# When saves come faster than syncs, the next sync starts FOLLOW_GAP after the last one began
# (listener.Pacer): one Whoosh commit and merge serves every save of those seconds. A sync
# costs about the same for one page as for ten (a new segment, merges), so under a class's
# steady saving a 2-second gap halves the indexer's CPU against 1 s; a save is searchable
# at most about two seconds later then, and at once when saves are rare.
FOLLOW_GAP = 2.0


def wake_path(app: Flask) -> str:
    """The follower's socket: beside the index, so each wiki on a host has its own."""
    return app.config["SEARCH_INDEX_DIR"].rstrip("/") + ".wake"


def follow(app: Flask, *, poll: float = FOLLOW_POLL, stop: threading.Event | None = None) -> None:
    """Run as this host's indexer until SIGTERM/SIGINT (or ``stop``): sync whenever a worker
    wakes it, and every ``poll`` seconds. Refuses to start when another one listens.

    :raises RuntimeError: another follower already listens at :func:`wake_path`.
    """
    inbox = listener.Listener(wake_path(app), timeout=min(poll, 1.0))  # a stop within 1 s
    stop = listener.stop_on_signals(stop)
    with inbox:
        waited = poll  # sync once at start: saves made while no follower ran
        pacer = listener.Pacer(FOLLOW_GAP)
        while not stop.is_set():
            woken = 0 if waited >= poll else inbox.drain()
            if waited >= poll or woken:
                if pacer.wait(stop):
                    break
                woken += inbox.drain(wait=False)  # saves this sync finds anyway
                pacer.began(woken)
                with app.app_context():
                    service.sync()  # never raises; what it cannot do stays recorded
                waited = 0.0
            else:
                waited += inbox.timeout
        # gunicorn stops this process after its workers: one last sync leaves nothing they
        # saved for the next start to find.
        with app.app_context():
            service.sync()


def stop(app: Flask) -> None:
    """Stop ``app``'s indexer for good: no thread runs for it from now on (an app torn
    down: tests)."""
    indexer_for(app).stop()
