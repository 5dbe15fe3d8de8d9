"""Property tests for the Markdown pipeline on the shapes that stress a renderer: deeply
nested lists and quotes, 50,000-character lines and huge tables.

Arbitrary short text is fuzzed in test_rendering.py (``render`` in-process); here every input
goes through ``safe_render``, the time-bounded entry point the app uses, because some of these
shapes are slow by design: the only acceptable outcomes are sanitized HTML or a RenderError.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_rendering import assert_safe
from wiki.rendering.guard import safe_render
from wiki.rendering.markdown import RenderError

# Short enough that the rare input which really is slow costs little; the app uses 5 s.
TIMEOUT = 2.0
LINE = 50_000

FUZZ = settings(
    deadline=None,
    max_examples=12,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces with meaning to Markdown, the HTML parser or the sanitizer.
PIECES = [
    "[", "]", "(", ")", "*", "_", "`", "<", ">", "&", "\\", "![", "](", "**", "~~", "$",
    "[[", "]]", "|", "#", " ", "x", "<div>", "</div>", "&#", "&#x", "https://e.org/", "<!--",
    "-->", "^", "[^1]", "<img src=x onerror=alert(1)>", "javascript:", "<a href=", '"', "'",
    "- ", "> ", "1. ", "\t", ":", "=", "{", "}", "<svg", "<script>", "\u202e", "\u0301", "😀",
]  # fmt: skip
MARKERS = ["- ", "* ", "+ ", "1. ", "9) ", "> ", ">", "- [ ] ", "> - ", "    ", "\t", "  "]


def _nested_inline(markers: list[str], text: str) -> str:
    return "".join(markers) + text


def _nested_lines(markers: list[str], indent: str, text: str) -> str:
    """One item per line, each indented one level deeper than the one before."""
    return "\n".join(indent * i + marker + text for i, marker in enumerate(markers))


nested = st.one_of(
    st.builds(
        _nested_inline, st.lists(st.sampled_from(MARKERS), max_size=150), st.text(max_size=20)
    ),
    st.builds(
        _nested_lines,
        st.lists(st.sampled_from(MARKERS), min_size=1, max_size=120),
        st.sampled_from(["  ", "   ", "    ", "\t", " "]),
        st.sampled_from(["item", "> quote", "`code`", "[[Link]]", "<div>", "|a|b|"]),
    ),
)


def _long_line(unit: str, tail: str) -> str:
    return (unit * (LINE // max(1, len(unit)) + 1))[:LINE] + tail


long_lines = st.builds(
    _long_line,
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map("".join),
    st.text(max_size=10),
)


def _table(rows: int, cols: int, cell: str, align: str) -> str:
    head = "| " + " | ".join(f"h{c}" for c in range(cols)) + " |"
    rule = "|" + f"{align}|" * cols
    body = "\n".join("| " + " | ".join(cell for _ in range(cols)) + " |" for _ in range(rows))
    return f"{head}\n{rule}\n{body}\n"


tables = st.builds(
    _table,
    st.integers(1, 400),
    st.integers(1, 40),
    st.lists(st.sampled_from(PIECES), max_size=4).map("".join),
    st.sampled_from(["---", ":--", "--:", ":-:", "-"]),
)


def assert_renders_safely_or_refuses(body: str) -> None:
    try:
        result = safe_render(body, existing=("x", "Link"), page_title="Fuzz", timeout=TIMEOUT)
    except RenderError as error:
        assert error.status in (400, 413), error.status
        assert str(error)
        return
    assert_safe(result.html)
    assert_safe(result.toc_html)
    assert result.missing <= result.links


@FUZZ
@given(nested)
def test_deep_nesting_renders_sanitized_or_is_refused(body: str) -> None:
    assert_renders_safely_or_refuses(body)


@FUZZ
@given(long_lines)
def test_50000_character_lines_render_sanitized_or_are_refused(body: str) -> None:
    assert_renders_safely_or_refuses(body)


@FUZZ
@given(tables)
def test_huge_tables_render_sanitized_or_are_refused(body: str) -> None:
    assert_renders_safely_or_refuses(body)


@FUZZ
@given(st.lists(st.one_of(nested, tables, st.text(max_size=200)), min_size=2, max_size=5))
def test_mixed_hostile_blocks_render_sanitized_or_are_refused(blocks: list[str]) -> None:
    assert_renders_safely_or_refuses("\n\n".join(blocks))


def test_a_deep_list_is_refused_and_a_long_line_renders() -> None:
    """The two outcomes above both really happen."""
    try:
        safe_render("- " * 500 + "x", existing=(), timeout=TIMEOUT)
    except RenderError as error:
        assert error.status == 400
    else:
        raise AssertionError("a 500-level list rendered")
    result = safe_render(_long_line("ab ", ""), existing=(), timeout=10.0)
    assert result.html.startswith("<p>ab ab") and len(result.html) > LINE
