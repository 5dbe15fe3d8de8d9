"""Where the time of one whole render goes: per phase, min and median of N (thread CPU time).

Splits ``wiki.rendering.markdown.render`` of a document (default: the fidelity bench's 50 KB
README) into front matter and limits, building the Markdown instance, each preprocessor
(the GFM pre-pass is ``gfm_structure``; Pygments runs inside ``fenced_code_block`` and is
also shown on its own), the block parser, each treeprocessor (``inline`` is the inline
patterns), the serializer, each postprocessor, the HTML depth check, the sanitizer of the
page and of the table of contents, and the API-reference steps. CPU time of this thread
(``time.thread_time``), so other load on a shared machine counts less than in wall time.

Run from the repository root:
``.venv/bin/python bench/profile_render.py [FILE] [--runs N]``
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pymdownx.highlight  # noqa: E402

from wiki.rendering import markdown as rendering  # noqa: E402
from wiki.rendering.openapi.anchors import unique_api_anchors  # noqa: E402
from wiki.rendering.openapi.toc import with_api_entries  # noqa: E402
from wiki.rendering.sanitize import sanitize_html  # noqa: E402

clock = time.thread_time


def readme() -> str:
    """The 50 KB README of bench_fidelity.py's timing."""
    import fidelity_support as fs

    docs = [text for _, text in fs.github_documents() if 8_000 < len(text)]
    text = ""
    while len(text) < 50_000:
        text += "\n\n".join(docs) + "\n\n"
    return text[:50_000].rsplit("\n\n", 1)[0]


def _timed(phases: dict, name: str, function):
    def run(*args, **kwargs):
        started = clock()
        try:
            return function(*args, **kwargs)
        finally:
            phases[name] += clock() - started

    return run


def one_render(body: str) -> dict[str, float]:
    """The phases of one render, as :func:`rendering.render_markdown` runs them."""
    phases: dict[str, float] = collections.defaultdict(float)
    highlight = pymdownx.highlight.Highlight.highlight
    pymdownx.highlight.Highlight.highlight = _timed(
        phases, "  (Pygments, inside superfences)", highlight
    )
    try:
        started = clock()
        meta, text = rendering.split_front_matter(body)
        rendering.check_complexity(text)
        phases["front matter, check_complexity"] = clock() - started
        state = rendering.RenderState(existing=frozenset(), page_title=None)
        md = _timed(phases, "build_markdown", rendering.build_markdown)(state)
        for kind, registry in (
            ("pre", md.preprocessors),
            ("tree", md.treeprocessors),
            ("post", md.postprocessors),
        ):
            names = {id(processor): name for name, processor in registry._data.items()}
            for processor in registry:  # in the order they run
                name = f"{kind}: {names[id(processor)]}"
                processor.run = _timed(phases, name, processor.run)
        md.parser.parseDocument = _timed(phases, "block parser", md.parser.parseDocument)
        md.serializer = _timed(phases, "serializer", md.serializer)
        output = _timed(phases, "Markdown convert (all of the above)", md.convert)(text)
        _timed(phases, "HTML depth check", rendering._check_html_depth)(output)
        page = _timed(phases, "sanitize_html (page)", sanitize_html)(output)
        page = _timed(phases, "unique_api_anchors", unique_api_anchors)(page)
        toc = rendering.toc_list(md.toc) if rendering._count_headings(md.toc_tokens) >= 2 else ""
        toc = _timed(phases, "sanitize_html (table of contents)", sanitize_html)(toc) if toc else ""
        _timed(phases, "with_api_entries", with_api_entries)(toc, page)
        phases["TOTAL"] = clock() - started
    finally:
        pymdownx.highlight.Highlight.highlight = highlight
    return phases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    body = Path(args.file).read_text(encoding="utf-8") if args.file else readme()
    one_render(body)  # warm up: imports, lexers, regex caches
    runs: dict[str, list[float]] = collections.defaultdict(list)
    for _ in range(args.runs):
        for name, seconds in one_render(body).items():
            runs[name].append(seconds * 1000)
    print(f"{len(body)} characters, {args.runs} renders, thread CPU ms:")
    for name, times in runs.items():
        print(f"  {name:<42} min {min(times):7.2f}  median {statistics.median(times):7.2f}")


if __name__ == "__main__":
    main()
