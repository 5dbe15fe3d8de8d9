"""Finding ```openapi blocks in Markdown source, and inlining the attachments they name.

Pure module: the caller reads attachments (from the database) and passes their text in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from wiki.rendering.openapi.html import attachment_name
from wiki.rendering.openapi.loading import OpenAPIError, load_document

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`{]*)")
_BACKTICKS = re.compile(r"^ {0,3}(`{3,})", re.M)


@dataclass(frozen=True)
class Block:
    start: int  # line index of the opening fence
    end: int  # line index of the closing fence (len(lines) when unclosed)
    text: str


def _fences(lines: list[str]) -> Iterator[tuple[int, int, str]]:
    i = 0
    while i < len(lines):
        match = _FENCE_OPEN.match(lines[i])
        if match is None:
            i += 1
            continue
        fence = match.group(1)
        closing = re.compile(rf"^ {{0,3}}{fence[0]}{{{len(fence)},}}[ \t]*$")
        end = i + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        yield i, end, match.group(2).lower()
        i = end + 1


def openapi_blocks(body: str) -> list[Block]:
    """Every ```openapi (or ~~~openapi) fenced block of a Markdown body, in order."""
    lines = body.splitlines()
    return [
        Block(start, end, "\n".join(lines[start + 1 : end]))
        for start, end, lang in _fences(lines)
        if lang == "openapi"
    ]


def _referenced(block: Block) -> str | None:
    if len(block.text) > 300:  # a reference is one short line
        return None
    try:
        return attachment_name(load_document(block.text))
    except OpenAPIError:
        return None


def attachment_refs(body: str) -> set[str]:
    """Names of the attachments that blocks of ``body`` consist of (``openapi: api.yaml``)."""
    if "openapi" not in body:
        return set()
    return {name for block in openapi_blocks(body) if (name := _referenced(block))}


def inline_attachments(body: str, texts: Mapping[str, str]) -> str:
    """``body`` with each block that names an attachment in ``texts`` holding its text instead.

    The new fence is longer than any backtick fence inside the text, so the text cannot close it.
    """
    lines = body.splitlines()
    out: list[str] = []
    done = 0
    for block in openapi_blocks(body):
        name = _referenced(block)
        if name is None or name not in texts:
            continue
        text = texts[name]
        longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
        fence = "`" * max(3, longest + 1)
        out.extend(lines[done : block.start])
        out.extend([f"{fence}openapi", text.rstrip("\n"), fence])
        done = block.end + 1
    if not out:
        return body
    out.extend(lines[done:])
    return "\n".join(out) + ("\n" if body.endswith("\n") else "")
