"""Tests for wiki.rendering.guard: rendering in a child process with a time limit."""

from __future__ import annotations

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
    assert render_guard._pool is None  # the stuck worker was killed with its pool
    assert safe_render("after", existing=(), timeout=30).html == "<p>after</p>"


def test_a_worker_that_died_between_renders_is_replaced() -> None:
    assert safe_render("first", existing=(), timeout=30).html == "<p>first</p>"
    pool = render_guard._pool
    assert pool is not None
    for process in list(pool._processes.values()):
        process.kill()
        process.join()
    assert safe_render("second", existing=(), timeout=30).html == "<p>second</p>"
