"""Tests for wiki.rendering.guard: rendering in a child process with a time limit."""

from __future__ import annotations

import importlib
import inspect
import os
import re
import signal

import pytest

from wiki.rendering import guard as render_guard
from wiki.rendering.guard import safe_render
from wiki.rendering.markdown import RenderError, render

TIMEOUT = 2.0  # short, so the slow case below stays fast


def test_safe_render_matches_render() -> None:
    body = "---\ntags: [a]\n---\n# Title\n\n## Part\n\n[[Home]] [[Gone]] $x$"
    kwargs = {"existing": {"Home"}, "page_title": "Some Page"}
    assert safe_render(body, timeout=30, **kwargs) == render(body, **kwargs)


def test_long_pages_through_the_worker_match_a_whole_render() -> None:
    sections = [
        f"## Part {i}\n\nText of part {i} with [[Home]].\n\n```python\nx = {i}\n```"
        for i in range(60)
    ]
    body = "\n\n".join(sections)
    first = safe_render(body, existing={"Home"})
    edited = body.replace("Text of part 30", "Changed text of part 30")
    second = safe_render(edited, existing={"Home"})  # pieces other than part 30 are reused
    assert first == render(body, existing={"Home"})
    assert second == render(edited, existing={"Home"})


def test_deep_list_is_rejected_without_a_child() -> None:
    with pytest.raises(RenderError) as info:
        safe_render("- " * 1000 + "x", existing=(), timeout=TIMEOUT)
    assert info.value.status == 400
    assert "too complex to render" in str(info.value)


def test_dash_line_is_a_rule_not_an_error() -> None:
    # "- " * 1000 alone is a horizontal rule, not 1000 nested lists.
    assert safe_render("- " * 1000, existing=(), timeout=30).html == "<hr>"


def test_unclosed_link_brackets_are_rejected() -> None:
    with pytest.raises(RenderError) as info:
        safe_render("[x](" * 20000, existing=(), timeout=TIMEOUT)
    assert info.value.status == 413
    assert "too complex to render" in str(info.value)


def test_render_error_from_the_child_keeps_its_status() -> None:
    # Passes the cheap pre-check; the child finds the nesting after Markdown has run.
    with pytest.raises(RenderError) as info:
        safe_render("<div>" * 5000, existing=(), timeout=30)
    assert info.value.status == 413
    assert "nested more than" in str(info.value)


def test_slow_render_times_out_and_the_next_one_works() -> None:
    with pytest.raises(RenderError) as info:
        safe_render("<a " * 20000, existing=(), timeout=TIMEOUT)
    assert info.value.status == 413
    assert f"took longer than {TIMEOUT:g} seconds" in str(info.value)
    assert safe_render("after", existing=(), timeout=30).html == "<p>after</p>"


def _worker_pid() -> int:
    return render_guard._pool.schedule(os.getpid).result(timeout=30)


def test_a_timed_out_worker_is_killed_and_replaced() -> None:
    assert safe_render("first", existing=(), timeout=30).html == "<p>first</p>"
    stuck = _worker_pid()
    with pytest.raises(RenderError):
        safe_render("<a " * 20000, existing=(), timeout=TIMEOUT)
    assert safe_render("second", existing=(), timeout=30).html == "<p>second</p>"
    assert _worker_pid() != stuck
    with pytest.raises(ProcessLookupError):  # the stuck render is not left running
        os.kill(stuck, 0)


def test_a_worker_that_died_between_renders_is_replaced() -> None:
    assert safe_render("first", existing=(), timeout=30).html == "<p>first</p>"
    os.kill(_worker_pid(), signal.SIGKILL)
    assert safe_render("second", existing=(), timeout=30).html == "<p>second</p>"


def test_the_preloaded_module_named_by_string_exists() -> None:
    """guard names wiki.rendering.pieces by string for the forkserver: a move must not break it."""
    source = inspect.getsource(render_guard)
    named = re.findall(r'set_forkserver_preload\(\["([\w.]+)"\]\)', source)
    assert named == ["wiki.rendering.pieces"]
    assert importlib.import_module(named[0]).render_cached is render_guard.render_cached
