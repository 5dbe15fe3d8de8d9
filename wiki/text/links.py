"""Rewriting links in Markdown after pages are renamed (pure: no Flask, no database).

:func:`rewrite_links` points ``[[Old]]``, ``[[Old|label]]``, ``[[Old#section]]`` and Markdown
links to ``/wiki/Old`` (inline ``[text](/wiki/Old)`` and reference definitions
``[ref]: /wiki/Old``) at the new titles. Targets are compared after title normalisation, the
way the renderer resolves them, so ``[[Old_Title]]`` is a link to ``Old Title`` too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from wiki.text.titles import TitleError, normalize_title, title_to_path

__all__ = ["link_target", "rewrite_links"]

_WIKI_PREFIX = "/wiki/"

# A fence opens a code block that runs to a closing fence of the same character, at least as
# long; lists and block quotes may indent or prefix it.
_FENCE = re.compile(r"^[ \t]*(?:>[ \t]?)*[ \t]*(`{3,}|~{3,})")

# Outside fenced code, one pass finds (in this order of precedence at a position) inline code
# spans, which are never links, then wiki links, then the URL of a Markdown link.
_TOKENS = re.compile(
    r"(?P<code>(?<!`)(?P<ticks>`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)(?P=ticks)(?!`))"
    r"|\[\[(?P<inner>[^\[\]\n]+?)\]\]"
    r"|(?P<lead>\]\(\s*<?|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?)(?P<url>/wiki/[^\s)>]+)",
    re.M | re.S,
)
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def link_target(name: str) -> str | None:
    """The normalised title a wiki-link target names, or None when it is not a valid title."""
    try:
        return normalize_title(name)
    except TitleError:
        return None


def _rewrite_wikilink(inner: str, moves: Mapping[str, str]) -> str | None:
    target, bar, label = inner.partition("|")
    name, hash_, section = target.partition("#")
    new = moves.get(link_target(name) or "")
    if new is None:
        return None
    return f"[[{new}{hash_}{section}{bar}{label}]]"


def _rewrite_url(url: str, moves: Mapping[str, str]) -> str | None:
    plain = html.unescape(_MD_ESCAPE.sub(r"\1", url))
    parts = urlsplit(plain)
    new = moves.get(link_target(unquote(parts.path[len(_WIKI_PREFIX) :])) or "")
    if new is None:
        return None
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{_WIKI_PREFIX}{title_to_path(new)}{query}{fragment}"


def _rewrite_text(text: str, moves: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group("code") is not None:
            return match.group(0)
        if match.group("inner") is not None:
            return _rewrite_wikilink(match.group("inner"), moves) or match.group(0)
        new_url = _rewrite_url(match.group("url"), moves)
        return match.group("lead") + new_url if new_url else match.group(0)

    return _TOKENS.sub(replace, text)


def _chunks(body: str) -> list[tuple[bool, str]]:
    """Split ``body`` into (is_code, text) runs, fenced code blocks being the code runs."""
    chunks: list[tuple[bool, str]] = []
    text: list[str] = []
    fence: str | None = None
    for line in body.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is None and match:
            chunks.append((False, "".join(text)))
            text, fence = [line], match.group(1)
        elif fence is not None:
            text.append(line)
            closing = match.group(1) if match else ""
            if closing[:1] == fence[0] and len(closing) >= len(fence) and not _after(line):
                chunks.append((True, "".join(text)))
                text, fence = [], None
        else:
            text.append(line)
    chunks.append((fence is not None, "".join(text)))
    return chunks


def _after(line: str) -> str:
    """What follows the fence characters of a closing-fence candidate (must be blank)."""
    return _FENCE.sub("", line, count=1).strip()


def rewrite_links(body: str, moves: Mapping[str, str]) -> str:
    """``body`` with every link to a title in ``moves`` pointing at ``moves[title]`` instead.

    Keys and values of ``moves`` are normalised titles. Labels (``|label``), sections
    (``#sec``), URL queries and fragments are kept as written; links inside fenced code blocks
    and inline code spans are left alone, as the renderer does not treat them as links.
    Everything else in ``body`` is returned unchanged, so an unaffected body compares equal.
    """
    if not moves or ("[[" not in body and _WIKI_PREFIX not in body):
        return body
    return "".join(
        text if is_code else _rewrite_text(text, moves) for is_code, text in _chunks(body)
    )
