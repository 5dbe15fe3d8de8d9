"""Highlighting with the stylesheet and lexer memos gives what pymdownx gives without them
(wiki/rendering/highlighting.py). Speed is shown by bench/bench_render.py, never here."""

from __future__ import annotations

import hashlib
import inspect
from unittest import mock

import pygments.formatters.html
import pymdownx.highlight
import pytest
from pygments.styles import get_style_by_name

from wiki.rendering import highlighting
from wiki.rendering import markdown as rendering

LANGUAGES = [None, "", "python", "PY", "Python3", "pycon", "js", "c++", "text", "nosuchlang"]
LANGUAGES += ["bash", "sh", "json", "html", "diff", "{.js}", "x" * 300, "\u00e9"]


def test_the_memos_are_in_use() -> None:
    assert pymdownx.highlight.BlockHtmlFormatter._create_stylesheet is (
        highlighting._cached_stylesheet
    )
    md = rendering.build_markdown(rendering.RenderState(existing=frozenset(), page_title=None))
    assert md.preprocessors["fenced_code_block"].highlighter is highlighting.CachedLexerHighlight


def test_the_replaced_code_is_what_the_memos_were_written_for() -> None:
    """An upgrade that changes either function fails here: check the memos still hold."""
    digests = [
        hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]
        for function in (
            pymdownx.highlight.Highlight.get_lexer,
            pygments.formatters.html.HtmlFormatter._create_stylesheet,
        )
    ]
    assert digests == ["02175c47d2a65b75", "5cc9789830122cd5"]


@pytest.mark.parametrize("style", ["default", "monokai", "friendly"])
@pytest.mark.parametrize("prefix", ["", "x-"])
def test_cached_stylesheet_equals_a_fresh_one(style: str, prefix: str) -> None:
    options = {"style": style, "classprefix": prefix}
    fresh = pygments.formatters.html.HtmlFormatter(**options)
    for _ in range(2):  # the first builds the memo, the second reads it
        cached = pymdownx.highlight.BlockHtmlFormatter(**options)
        assert cached.ttype2class == fresh.ttype2class
        assert cached.class2style == fresh.class2style
    other = pymdownx.highlight.BlockHtmlFormatter(**options)
    other.ttype2class["x"] = "y"  # a formatter's tables are its own
    assert "x" not in pymdownx.highlight.BlockHtmlFormatter(**options).ttype2class
    assert highlighting._stylesheets[(get_style_by_name(style), prefix)]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("stripnl", [True, False])
def test_cached_lexer_equals_pymdownxs(language: str | None, stripnl: bool) -> None:
    def settings():
        return {"pygments_lang_class": True}

    stock = pymdownx.highlight.Highlight(None, **settings())
    cached = highlighting.CachedLexerHighlight(None, **settings())
    for _ in range(2):
        lexer, name = cached.get_lexer("x = 1", language, False, stripnl)
        want_lexer, want_name = stock.get_lexer("x = 1", language, False, stripnl)
        assert (type(lexer), name) == (type(want_lexer), want_name)
        assert lexer.options == want_lexer.options
        assert lexer is not cached.get_lexer("x = 1", language, False, stripnl)[0]


def test_other_settings_take_pymdownxs_lookup() -> None:
    cached = highlighting.CachedLexerHighlight(None, guess_lang=True)
    with mock.patch.object(highlighting, "lexer_class") as lookup:
        lexer, name = cached.get_lexer("def f():\n    return 1\n", "nosuchlang", False, True)
    lookup.assert_not_called()
    assert name != "nosuchlang"


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_rendered_code_equals_pymdownxs(language: str) -> None:
    body = f"# Code\n\n```{language}\nx = '<b>' & 1\n```\n\n    indented <i>\n"

    def stock(state):
        md = build(state)
        md.preprocessors["fenced_code_block"].highlighter = pymdownx.highlight.Highlight
        return md

    build = rendering.build_markdown
    with mock.patch.object(
        pymdownx.highlight.BlockHtmlFormatter,
        "_create_stylesheet",
        pygments.formatters.html.HtmlFormatter._create_stylesheet,
    ):
        with mock.patch.object(rendering, "build_markdown", stock):
            want = rendering.render(body, existing=())
    assert rendering.render(body, existing=()) == want
