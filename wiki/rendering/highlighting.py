"""Code-block highlighting (pymdown-extensions' Highlight over Pygments) without the work it
repeats for every block.

Pure module. For each fenced block, pymdownx builds a new ``HtmlFormatter``, whose
constructor rebuilds the style's whole stylesheet (~0.13 ms: a tenth of a millisecond per
code block, the 50 KB README has a dozen), and looks the lexer up by name, which scans
Pygments' lexer table and, for a name it does not know (a block without a language), the
installed plugins' entry points (~0.08 ms). Both depend on nothing but their arguments:

* :func:`cache_stylesheets` makes pymdownx's formatter copy the stylesheet of its style and
  class prefix from the first one built (the formatter only reads it);
* :class:`CachedLexerHighlight` finds the lexer *class* of a language name once and makes a
  new lexer of it per block, as Pygments' ``get_lexer_by_name`` would.

The HTML is the same, byte for byte (tests/test_highlighting.py).
"""

from __future__ import annotations

import functools
from typing import Any

import pymdownx.highlight
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name

MAX_LANGUAGES = 512  # names are page text: keep the memo bounded

_Stylesheet = tuple[dict, dict]
_stylesheets: dict[tuple[Any, str], _Stylesheet] = {}
_build_stylesheet = pymdownx.highlight.BlockHtmlFormatter._create_stylesheet


def _cached_stylesheet(formatter: Any) -> None:
    """``HtmlFormatter._create_stylesheet``: its two tables, from the memo of its style and
    class prefix (the only inputs it reads) when there, copied so no formatter shares one."""
    key = (formatter.style, formatter.classprefix)
    tables = _stylesheets.get(key)
    if tables is None:
        _build_stylesheet(formatter)
        tables = _stylesheets[key] = (formatter.ttype2class, formatter.class2style)
    formatter.ttype2class, formatter.class2style = dict(tables[0]), dict(tables[1])


def cache_stylesheets() -> None:
    """Make pymdownx's block formatter reuse stylesheets (process-wide: the formatter class
    is a global of pymdownx.highlight, chosen inside ``Highlight.highlight``). Idempotent."""
    pymdownx.highlight.BlockHtmlFormatter._create_stylesheet = _cached_stylesheet


@functools.lru_cache(maxsize=MAX_LANGUAGES)
def lexer_class(name: str) -> type[Lexer] | None:
    """The Pygments lexer class ``get_lexer_by_name(name)`` makes, None when there is none."""
    try:
        return type(get_lexer_by_name(name))
    except Exception:  # (pymdownx's lookup takes any failure as "no such lexer" too)
        return None


class CachedLexerHighlight(pymdownx.highlight.Highlight):
    """pymdownx's ``Highlight`` whose lexer lookup goes through :func:`lexer_class`.

    ``get_lexer`` below is pymdownx's (13.1) for the settings the wiki uses (no language
    guessing, no extended languages, no default language; it falls back to the others):
    the lexer of ``language`` if Pygments has one, else the plain-text one, named by its
    first alias.
    """

    def get_lexer(self, src: str, language: str, inline: bool, stripnl: bool) -> Any:
        if self.guess_lang or self.extend_pygments_lang or self.default_lang:
            return super().get_lexer(src, language, inline, stripnl)
        found = lexer_class(language) if language else None
        if found is not None:
            return found(stripnl=stripnl), language
        lexer = lexer_class("text")(stripnl=stripnl)  # type: ignore[misc]
        return lexer, lexer.aliases[0]
