"""Compare piece-by-piece rendering with whole-document rendering on the benchmark corpus.

Every page is rendered whole (``wiki.rendering.markdown.render``) and in pieces
(``wiki.rendering.pieces.render_pieces``) with every allowed cut taken, twice (the second time
from the cache); any difference is printed and counted. Prints how many pages were compared,
how many differed and how many had to be rendered whole.

Run from the repository root: ``.venv/bin/python bench/check_render_pieces.py [1k|10k]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wiki.rendering import markdown as rendering
from wiki.rendering import pieces as render_pieces  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
if not CORPUS.is_dir():  # a git worktree elsewhere than next to shared/
    CORPUS = Path("/work/shared/corpus")


def main() -> int:
    size = sys.argv[1] if len(sys.argv) > 1 else "1k"
    pages = sorted((CORPUS / size).glob("*.md"))
    if not pages:
        print(f"no corpus at {CORPUS / size}")
        return 1
    render_pieces.MIN_DOCUMENT, render_pieces.CUT_ONE_IN = 1, 1  # cut wherever allowed
    started = time.perf_counter()
    different = whole_only = 0
    for path in pages:
        body = path.read_text(encoding="utf-8")
        whole = rendering.render(body, existing={"git"}, page_title=path.stem)
        cache = render_pieces.PieceCache()
        for _ in range(2):
            pieces = render_pieces.render_pieces(
                body, existing={"git"}, page_title=path.stem, cache=cache
            )
            if pieces != whole:
                different += 1
                print(f"DIFFERENT: {path.name}")
                break
        whole_only += bool(cache.whole_renders)
    seconds = time.perf_counter() - started
    print(
        f"{len(pages)} pages compared in {seconds:.0f} s: {different} different, "
        f"{whole_only} rendered whole (footnotes, definitions, [TOC] or open HTML)"
    )
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
