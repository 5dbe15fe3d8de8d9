"""Regression check of the renderer: which pages render differently from an older renderer.

Renders the starter content and the benchmark corpus with the renderer of this checkout and
with ``wiki/rendering/markdown.py`` as it is at a git ref (default ``main``), and prints the
pages whose sanitized HTML differs, with a short diff of the first ones, so each difference
can be checked to be one of the intended GitHub fixes (issue #19).

Run from the repository root:
``.venv/bin/python bench/check_gfm_regression.py [--ref main] [--corpus 1k|10k] [--show N]``
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wiki.rendering import markdown as new_renderer  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
STARTER = ROOT / "wiki" / "content" / "starter"


def _old_renderer(ref: str):
    """``wiki.rendering.markdown`` as it is at ``ref``, loaded under another name."""
    source = subprocess.run(
        ["git", "show", f"{ref}:wiki/rendering/markdown.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_markdown.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_markdown", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_markdown"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _html(renderer, body: str, title: str) -> str:
    try:
        return renderer.render(body, existing={"git"}, page_title=title).html
    except renderer.RenderError as error:
        return f"RenderError {error.status}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", default="main")
    parser.add_argument("--corpus", default="1k")
    parser.add_argument("--show", type=int, default=5, help="diffs to print")
    args = parser.parse_args()
    old = _old_renderer(args.ref)
    pages = sorted(STARTER.rglob("*.md")) + sorted((CORPUS / args.corpus).glob("*.md"))
    differing = []
    for path in pages:
        body = path.read_text(encoding="utf-8")
        before, after = _html(old, body, path.stem), _html(new_renderer, body, path.stem)
        if before != after:
            differing.append(path)
            if len(differing) <= args.show:
                diff = difflib.unified_diff(
                    before.splitlines(), after.splitlines(), "before", "after", n=1, lineterm=""
                )
                print(f"==== {path}")
                print("\n".join(list(diff)[:40]))
    print(f"\n{len(pages)} pages (starter content + {args.corpus} corpus), renderer at {args.ref}")
    print(f"{len(differing)} render differently:")
    for path in differing:
        print("  ", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
