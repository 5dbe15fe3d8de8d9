"""Rendering with a time limit: :func:`safe_render` runs :func:`render` in a child process.

Python-Markdown has inputs that recurse past the stack or take minutes; a thread cannot be
stopped, a process can. The child pool is created on first use (never at import) and is
replaced after a render had to be killed.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Collection, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from pebble import ProcessExpired, ProcessPool

from wiki.rendering.markdown import (
    Rendered,
    check_complexity,
    render,
    split_front_matter,
    too_complex,
)
from wiki.rendering.pieces import render_cached

__all__ = ["safe_render", "warm_up"]

# One worker per web process; the lock makes each caller's timeout measure its own render
# rather than time spent queued behind someone else's.
_lock = threading.Lock()
_pool: ProcessPool | None = None
_warm = False  # False until the (possibly replaced) worker has rendered once
STARTUP_TIMEOUT = 120.0  # seconds for a new worker to import the renderer


def _start_method() -> str:
    # Never "fork": the web process has threads, and a forked child could inherit held locks.
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _get_pool() -> ProcessPool:
    """The worker pool (pebble: it kills a worker whose task times out and starts another),
    warmed up on first use and after a worker was replaced.

    The warm-up render imports the renderer in the child, so a cold start (seconds on a busy
    machine) is never charged to a page's timeout.
    """
    global _pool, _warm
    if _pool is None:
        method = _start_method()
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            # Replacement workers start warm. Named by string: tests/test_render_guard.py
            # imports it, so a move cannot break it silently.
            context.set_forkserver_preload(["wiki.rendering.pieces"])
        _pool = ProcessPool(max_workers=1, context=context)
    if not _warm:
        try:
            _pool.schedule(render, args=("",), kwargs={"existing": ()}).result(
                timeout=STARTUP_TIMEOUT
            )
        except BaseException:
            _replace_pool(_pool)
            raise
        _warm = True
    return _pool


def warm_up() -> None:
    """Start this process's render worker now if it is not running and warm.

    Callers that hold a host-wide render slot around :func:`safe_render` call this first:
    a cold start imports the renderer in a new child (seconds on a busy host), and with
    every web worker starting its child at once behind the one slot, the last in line
    waited past ``WIKI_RENDER_WAIT`` and its save was refused with 503.
    """
    with _lock:
        _get_pool()


def _replace_pool(pool: ProcessPool) -> None:
    """Stop a pool that can no longer run tasks; the next call starts a new one."""
    global _pool
    pool.stop()
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
    global _warm
    with _lock:
        for attempt in (1, 2):
            pool = _get_pool()
            # The worker keeps rendered pieces: a save that changed a few lines of a long
            # page renders only those (wiki.rendering.pieces).
            future = pool.schedule(render_cached, args=(body,), kwargs=kwargs, timeout=timeout)
            try:
                return future.result()
            except FutureTimeout:  # pebble killed the worker; warm up its replacement first
                _warm = False
                raise too_complex(f"it took longer than {timeout:g} seconds", 413) from None
            except (ProcessExpired, BrokenProcessPool) as error:
                # Once may be a worker that died earlier (the OS killed it); twice is this page.
                _warm = False
                if isinstance(error, BrokenProcessPool):  # pebble gave up on its only worker
                    _replace_pool(pool)
                if attempt == 2:
                    raise too_complex("rendering it crashed the renderer", 413) from None
            except RecursionError:
                raise too_complex("it is nested too deeply", 400) from None
    raise AssertionError("unreachable")
