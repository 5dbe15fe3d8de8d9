"""Rendering with a time limit: :func:`safe_render` runs :func:`render` in a child process.

Python-Markdown has inputs that recurse past the stack or take minutes; a thread cannot be
stopped, a process can. The child pool is created on first use (never at import) and is
replaced after a render had to be killed.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Collection, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from wiki.rendering.markdown import (
    Rendered,
    RenderError,
    check_complexity,
    render,
    split_front_matter,
)
from wiki.rendering.pieces import render_cached

__all__ = ["safe_render"]

# One worker per web process; the lock makes each caller's timeout measure its own render
# rather than time spent queued behind someone else's.
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
STARTUP_TIMEOUT = 120.0  # seconds for a new worker to import the renderer


def _start_method() -> str:
    # Never "fork": the web process has threads, and a forked child could inherit held locks.
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _get_pool() -> ProcessPoolExecutor:
    """The worker pool, started and warmed up on first use.

    The warm-up render imports the renderer in the child, so a cold start (seconds on a busy
    machine) is never charged to a page's timeout.
    """
    global _pool
    if _pool is None:
        method = _start_method()
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            # Replacement workers start warm. Named by string: tests/test_render_guard.py
            # imports it, so a move cannot break it silently.
            context.set_forkserver_preload(["wiki.rendering.pieces"])
        pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        try:
            pool.submit(render, "", existing=()).result(timeout=STARTUP_TIMEOUT)
        except BaseException:
            _discard_pool(pool)
            raise
        _pool = pool
    return _pool


def _discard_pool(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker mid-render; the next call starts a new pool."""
    global _pool
    # The executor has no public way to stop a running task before Python 3.14.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    if _pool is pool:
        _pool = None


def safe_render(
    body: str,
    *,
    existing: Collection[str],
    page_title: str | None = None,
    image_sizes: Mapping[str, tuple[int, int]] | None = None,
    timeout: float = 5.0,
) -> Rendered:
    """Like :func:`wiki.rendering.markdown.render`, but bounded in time and stack depth.

    :raises RenderError: 413 when rendering takes longer than ``timeout`` seconds or kills
        the worker; 400 when lists, quotes or other structure nest too deeply.
    """
    check_complexity(split_front_matter(body)[1])  # cheap rejections need no child process
    kwargs = {
        "existing": frozenset(existing),
        "page_title": page_title,
        "image_sizes": dict(image_sizes or {}),
    }
    with _lock:
        for attempt in (1, 2):
            pool = _get_pool()
            try:
                # The worker keeps rendered pieces: a save that changed a few lines of a long
                # page renders only those (wiki.rendering.pieces).
                return pool.submit(render_cached, body, **kwargs).result(timeout=timeout)
            except FutureTimeout:
                _discard_pool(pool)
                raise _too_complex(f"it took longer than {timeout:g} seconds", 413) from None
            except BrokenProcessPool:
                # Once may be a worker that died earlier (the OS killed it); twice is this page.
                _discard_pool(pool)
                if attempt == 2:
                    raise _too_complex("rendering it crashed the renderer", 413) from None
            except RecursionError:
                raise _too_complex("it is nested too deeply", 400) from None
    raise AssertionError("unreachable")


def _too_complex(what: str, status: int) -> RenderError:
    return RenderError(f"This page is too complex to render: {what}.", status)
