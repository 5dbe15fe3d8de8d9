"""Fidelity bench: how closely the wiki renders Markdown the way GitHub (cmark-gfm) does.

Renders the CommonMark spec examples (``bench/fidelity/spec.txt``), the GFM extension examples
(``extensions.txt``, both from github/cmark-gfm, licence in ``bench/fidelity/COPYING``) and
real GitHub-style documents found on this machine (long descriptions of installed Python
packages, READMEs and docs of Node and Debian packages) with the wiki's renderer and with
cmark-gfm; both pass the wiki's sanitizer and the normaliser of ``fidelity_support``.

Prints the pass rate per spec section, the share of documents with the same structure, the
differing documents, and the render time of a 50 KB README (render + sanitizer), whole and
in pieces, against the renderer at a git ref.

Run from the repository root: ``.venv/bin/python bench/bench_fidelity.py [-v] [--show NAME]``
(``-v`` lists failing spec examples; ``--show NAME`` prints both normalised forms of a
document or of example number NAME).
"""

from __future__ import annotations

import argparse
import difflib
import os
import statistics
import time
from collections import defaultdict

import check_gfm_regression
import fidelity_support as fs

from wiki.rendering.markdown import RenderError, render
from wiki.rendering.pieces import PieceCache, render_pieces


def _wiki(text: str) -> str | None:
    try:
        return render(text, existing=()).html
    except RenderError:
        return None


def _spec(name: str, extensions: bool, verbose: bool, show: str | None) -> tuple[int, int]:
    per_section: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failed = []
    for number, (section, text, ext) in enumerate(fs.spec_examples(name), start=1):
        if not extensions and ext:
            continue  # GFM extension examples inside spec.txt: counted with extensions.txt
        html = _wiki(text)
        ok, ours, theirs = fs.same(html or "", text, extensions=extensions or bool(ext))
        per_section[section][0] += ok
        per_section[section][1] += 1
        if not ok:
            failed.append(number)
        if show == str(number):
            _show(text, ours, theirs)
    passed = sum(p for p, _ in per_section.values())
    total = sum(t for _, t in per_section.values())
    print(f"\n{name}: {passed} of {total} examples ({100 * passed / total:.1f} %)")
    for section, (p, t) in sorted(per_section.items()):
        print(f"  {section:<40} {p:>4} / {t:<4} {100 * p / t:5.1f} %")
    if verbose:
        print("  failing:", " ".join(map(str, failed)))
    return passed, total


def _show(text: str, ours: str, theirs: str) -> None:
    print("---- markdown\n" + text[:3000])
    diff = difflib.unified_diff(theirs.splitlines(), ours.splitlines(), "github", "wiki", n=2)
    print("---- diff (github -> wiki)\n" + "\n".join(diff))


def _documents(show: str | None) -> None:
    docs = fs.github_documents()
    differing = []
    for name, text in docs:
        html = _wiki(text)
        ok, ours, theirs = fs.same(html or "", text)
        if not ok:
            differing.append(name)
        if show and show in name:
            _show(text, ours, theirs)
    same = len(docs) - len(differing)
    share = 100 * same / len(docs)
    print(f"\ndocuments: {same} of {len(docs)} with GitHub's structure ({share:.1f} %)")
    for name in differing:
        print("  differs:", name)


def _p95(run, repeat: int = 30) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[-1]


def _timing(ref: str) -> None:
    """Render + sanitizer of a 50 KB README, whole, and in pieces after a one-line edit
    (what the render worker does on a save); and the renderer at ``ref`` for comparison."""
    docs = [text for _, text in fs.github_documents() if 8_000 < len(text)]
    readme = ""
    while len(readme) < 50_000:
        readme += "\n\n".join(docs) + "\n\n"
    readme = readme[:50_000].rsplit("\n\n", 1)[0]
    old = check_gfm_regression._old_renderer(ref)
    cache = PieceCache()
    edits = iter(range(10_000))

    def edited() -> None:
        render_pieces(readme + f"\n\nEdit {next(edits)}.\n", existing=(), cache=cache)

    print(f"\n50 KB README ({len(readme)} chars from the documents above), render + sanitizer:")
    for label, run in (
        ("whole render, this renderer", lambda: render(readme, existing=())),
        (f"whole render, renderer at {ref}", lambda: old.render(readme, existing=())),
        ("in pieces after a one-line edit", edited),
    ):
        median, p95 = _p95(run)
        print(f"  {label:<36} median {median:6.1f} ms  p95 {p95:6.1f} ms  (30 runs)")
    print(
        f"  load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-v", action="store_true", help="list failing spec examples")
    parser.add_argument("--show", help="a document name (substring) or spec example number")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--ref", default="main", help="git ref of the renderer to time against")
    args = parser.parse_args()
    _spec("spec.txt", False, args.v, args.show)
    _spec("extensions.txt", True, args.v, None)
    _documents(args.show)
    if not args.no_timing:
        _timing(args.ref)


if __name__ == "__main__":
    main()
