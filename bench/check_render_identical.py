"""Byte-for-byte check of the whole rendering package against the one at a git ref.

``check_gfm_regression.py`` swaps in the old ``markdown.py`` only, so a change to the
sanitizer, the GFM pre-pass or the piece cache is invisible to it. This check runs the whole
``wiki/`` package of this checkout and of ``--ref`` (extracted with ``git archive``), each in
its own process, on the same inputs, and compares every field of the results: ``render``
whole, and ``render_pieces`` with a cold and then a warm cache.

Inputs: the starter content, the benchmark corpus, the fidelity bench's GitHub-style
documents and spec examples, its 50 KB README, and the XSS corpus's body vectors, alone, in
fenced code blocks (several languages and info strings), and after HTML left open (so code
blocks and tables of contents meet hostile surroundings).

Run from the repository root:
``.venv/bin/python bench/check_render_identical.py [--ref main] [--corpus 1k|10k]``
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")

FENCES = ["python", "html", "js", "", "text", "nosuchlang", 'python hl_lines="1"', "bash"]
OPEN_HTML = [
    "<em>open",
    "<p><strong>open",
    "<table><tr><td>open",
    "<a href='/x' title=\"open",
    "<span title='open",
    "<div><code>",
    "<ul><li>open",
    "<pre>",
    "<details><summary>open",
    "<!-- open",
]


def _inputs(corpus: str) -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import fidelity_support as fs

    from tests.xss_vectors import BODY_VECTORS

    found = [
        (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "wiki" / "content" / "starter").rglob("*.md"))
    ]
    found += [
        (p.name, p.read_text(encoding="utf-8")) for p in sorted((CORPUS / corpus).glob("*.md"))
    ]
    docs = fs.github_documents()
    found += [(f"github:{name}", text) for name, text in docs]
    for name in ("spec.txt", "extensions.txt"):
        found += [(f"{name}:{n}", t) for n, (_, t, _) in enumerate(fs.spec_examples(name))]
    long_docs = [text for _, text in docs if 8_000 < len(text)]
    readme = ""
    while long_docs and len(readme) < 50_000:
        readme += "\n\n".join(long_docs) + "\n\n"
    found.append(("50 KB README", readme[:50_000].rsplit("\n\n", 1)[0]))
    for i, vector in enumerate(BODY_VECTORS):
        found.append((f"xss:{i}", vector))
        for fence in FENCES:
            found.append((f"xss:{i}:fence {fence}", f"# {vector}\n\n```{fence}\n{vector}\n```\n"))
        opener = OPEN_HTML[i % len(OPEN_HTML)]
        body = f"{opener}\n\n## {vector}\n\n```python\nx = '{vector}'\n```\n\n## Two\n"
        found.append((f"xss:{i}:after {opener}", body))
    return found


def _worker(inputs: Path, output: Path) -> None:
    """Runs in a child process whose sys.path starts at the package to check."""
    from wiki.rendering.markdown import RenderError, render
    from wiki.rendering.pieces import PieceCache, render_pieces

    def fields(run, body, **kwargs):
        try:
            r = run(body, **kwargs)
        except RenderError as error:
            return ("RenderError", str(error), error.status)
        return (
            r.html,
            r.toc_html,
            sorted(r.links),
            sorted(r.missing),
            r.meta,
            r.uses_mermaid,
            r.uses_math,
        )

    results = []
    for name, body in pickle.loads(inputs.read_bytes()):
        kwargs = {"existing": {"git"}, "page_title": name.rsplit("/", 1)[-1][:100]}
        cache = PieceCache()
        results.append(
            (
                fields(render, body, **kwargs),
                fields(render_pieces, body, cache=cache, **kwargs),
                fields(render_pieces, body, cache=cache, **kwargs),
            )
        )
    output.write_bytes(pickle.dumps(results))


def _run(package_root: Path, inputs: Path, output: Path) -> list:
    subprocess.run(
        [sys.executable, __file__, "--worker", str(package_root), str(inputs), str(output)],
        check=True,
        cwd=package_root,
    )
    return pickle.loads(output.read_bytes())


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        sys.path.insert(0, sys.argv[2])
        _worker(Path(sys.argv[3]), Path(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", default="main")
    parser.add_argument("--corpus", default="1k")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    archive = subprocess.run(
        ["git", "archive", args.ref, "wiki", "config.py"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    old_root = work / "old"
    old_root.mkdir()
    (work / "old.tar").write_bytes(archive)
    with tarfile.open(work / "old.tar") as tar:
        tar.extractall(old_root, filter="data")
    inputs = _inputs(args.corpus)
    (work / "inputs.pickle").write_bytes(pickle.dumps(inputs))
    old = _run(old_root, work / "inputs.pickle", work / "old.pickle")
    new = _run(ROOT, work / "inputs.pickle", work / "new.pickle")
    labels = ("whole", "pieces (cold cache)", "pieces (warm cache)")
    different = 0
    for (name, _), before, after in zip(inputs, old, new, strict=True):
        for label, b, a in zip(labels, before, after, strict=True):
            if b != a:
                different += 1
                print(f"DIFFERENT ({label}): {name}")
                for field, x, y in zip(("html", "toc_html"), b, a, strict=False):
                    if x != y:
                        pairs = enumerate(zip(x, y, strict=False))
                        at = next((i for i, (p, q) in pairs if p != q), min(len(x), len(y)))
                        print(f"  {field} at {at}: {x[at - 60 : at + 80]!r}")
                        print(f"    vs {y[at - 60 : at + 80]!r}")
                break
    print(f"{len(inputs)} inputs x {len(labels)} ways, against {args.ref}: {different} different")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
