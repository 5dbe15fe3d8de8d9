"""The pymdown-extensions internals that wiki.rendering.pieces relies on.

If an upgrade of pymdown-extensions moves any of them, these tests fail loudly (rather than
pieces silently rendering differently from a whole render): update the accessors in
wiki/rendering/pieces.py, check tests/test_render_pieces.py, then the pin.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

from wiki.rendering import markdown as rendering
from wiki.rendering import pieces

DOC = "Text\n\n```python\nx = 1\n```\n\n```sh\necho plain\n```\n"


def _markdown_after_preprocessing():
    state = rendering.RenderState(existing=frozenset(), page_title=None)
    md = rendering.build_markdown(state)
    lines = DOC.split("\n")
    for preprocessor in md.preprocessors:
        lines = preprocessor.run(lines)
    return md, "\n".join(lines)


def test_pymdown_extensions_is_the_pinned_version() -> None:
    pinned = re.search(
        r"^pymdown-extensions==(\S+)$",
        (Path(__file__).parents[1] / "requirements.txt").read_text(),
        re.M,
    )
    assert pinned and version("pymdown-extensions") == pinned.group(1)


def test_code_stash_holds_highlighted_blocks_by_placeholder() -> None:
    md, text = _markdown_after_preprocessing()
    stash = pieces.code_stash(md)
    refs = re.findall(r"\x02wzxhzdk:(\d+)\x03", text)
    assert len(refs) == 2, text
    assert all(f"wzxhzdk:{n}" in stash for n in refs)
    assert any("x" in str(value) for value in stash.values())


def test_default_fence_formats_with_pygments_and_counts_blocks() -> None:
    md, _ = _markdown_after_preprocessing()
    fence = pieces.default_fence(md)
    assert callable(fence["formatter"]) and fence["name"] == "superfences"
    # Pygments numbers blocks from 0: after two blocks the counter names the second one.
    assert pieces.highlighted_blocks(md) == 1
