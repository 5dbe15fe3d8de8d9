"""What the renderer refuses before or while it runs: the limits and :class:`RenderError`.

Shared by the Markdown core and the OpenAPI renderer (a fence inside it), so neither imports
the other for them. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from typing import Any

MAX_NESTING = 40  # list / blockquote levels; Python-Markdown recurses once per level
MAX_BRACKET_WORK = 5_000_000  # unmatched brackets x block length; link parsing rescans per bracket

_HR_LINE = re.compile(r"[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*\Z")
_CONTAINER = re.compile(r">[ \t]*|(?:[-+*]|\d{1,9}[.)])(?:[ \t]+|\Z)")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


class RenderError(ValueError):
    """Markdown that cannot be rendered safely; ``status`` is the HTTP status to answer with.

    400: structure nested too deeply; 413: too much work to render in bounded time.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:  # keep ``status`` across process boundaries
        return (type(self), (str(self), self.status))


def too_complex(what: str, status: int) -> RenderError:
    """The error for Markdown the renderer refuses (400 nesting, 413 too costly)."""
    return RenderError(f"This page is too complex to render: {what}.", status)


def check_complexity(text: str) -> None:
    """Reject, in linear time, Markdown known to make the renderer recurse or crawl.

    :raises RenderError: lists or quotes nested over :data:`MAX_NESTING` levels (400), or
        so many unclosed brackets that link parsing would take too long (413).
    """
    for line in text.splitlines():
        if ">" not in line and len(line) < 2 * MAX_NESTING or _HR_LINE.match(line):
            continue
        stripped = line.expandtabs(4).lstrip(" ")
        depth, pos = 0, 0
        while (m := _CONTAINER.match(stripped, pos)) and m.end() > pos:
            depth, pos = depth + 1, m.end()
        if depth and depth + (len(line.expandtabs(4)) - len(stripped)) // 4 > MAX_NESTING:
            raise too_complex(f"lists or quotes are nested more than {MAX_NESTING} levels", 400)
    for block in _BLANK_LINE.split(text):
        unclosed = max(0, block.count("](") - block.count(")"))
        if (block.count("[") + unclosed) * len(block) <= MAX_BRACKET_WORK:
            continue
        depth = 0
        for char in re.findall(r"[\[\]]", block):
            depth = depth + 1 if char == "[" else max(0, depth - 1)
        if (depth + unclosed) * len(block) > MAX_BRACKET_WORK:
            raise too_complex("it has too many unclosed [ or ( brackets in one paragraph", 413)
