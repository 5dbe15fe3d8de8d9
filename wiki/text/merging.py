"""Three-way merge of page bodies (line-based, with the ``merge3`` library).

Used when an edit was based on an older revision: ``base`` is the revision the editor
started from, ``theirs`` the page's current revision, ``mine`` the submitted text.
Lines are aligned with :func:`wiki.text.diffing.line_opcodes`, so merging stays cheap on
large pages. Texts are compared after CRLF/CR -> LF normalisation, and the final
newline is merged on its own, so adding or dropping it never causes a conflict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from merge3 import Merge3

from wiki.text.diffing import line_opcodes, normalize_newlines, split_lines

CHOICES = ("theirs", "mine", "both")


@dataclass(frozen=True)
class ConflictBlock:
    """Lines both sides changed differently; each side's lines joined with ``'\\n'``.

    An empty string means the side has no lines there (e.g. it deleted them).
    """

    base: str
    theirs: str
    mine: str


@dataclass(frozen=True)
class MergeResult:
    """The outcome of :func:`three_way_merge`.

    ``text`` is the merged text; each conflict is written into it with both sides
    between ``<<<<<<<``/``=======``/``>>>>>>>`` marker lines, so no text is lost.
    ``parts`` is the same merge as clean text chunks and conflict blocks, in order,
    for a per-block chooser (see :func:`resolve`).
    """

    text: str
    conflicts: tuple[ConflictBlock, ...]
    parts: tuple[str | ConflictBlock, ...]

    @property
    def clean(self) -> bool:
        """True when the merge had no conflicts (``text`` holds no markers)."""
        return not self.conflicts


class _BoundedMatcher:
    """Adapts :func:`line_opcodes` to the SequenceMatcher interface merge3 expects.

    difflib.SequenceMatcher can take quadratic time on large, repetitive pages.
    """

    def __init__(
        self,
        isjunk: object = None,
        a: Sequence[str] = (),
        b: Sequence[str] = (),
        autojunk: bool = False,
    ) -> None:
        self.a, self.b = a, b

    def get_matching_blocks(self) -> list[tuple[int, int, int]]:
        ops, _ = line_opcodes(self.a, self.b)
        blocks = [(i1, j1, i2 - i1) for tag, i1, i2, j1, _ in ops if tag == "equal"]
        return [*blocks, (len(self.a), len(self.b), 0)]


def _chunk(lines: Sequence[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def _ends_with_newline(base: str, theirs: str, mine: str) -> bool:
    """Merge the "ends with a newline" flag: take whichever side changed it."""
    base_nl, theirs_nl, mine_nl = (t.endswith("\n") for t in (base, theirs, mine))
    return theirs_nl if theirs_nl != base_nl else mine_nl


def _conflict_text(block: ConflictBlock, theirs_label: str, mine_label: str) -> str:
    theirs = f"{block.theirs}\n" if block.theirs else ""
    mine = f"{block.mine}\n" if block.mine else ""
    return f"<<<<<<< {theirs_label}\n{theirs}=======\n{mine}>>>>>>> {mine_label}\n"


def _merge_parts(base: str, theirs: str, mine: str) -> list[str | ConflictBlock]:
    merger = Merge3(
        split_lines(base),
        split_lines(theirs),
        split_lines(mine),
        sequence_matcher=_BoundedMatcher,  # type: ignore[arg-type]
    )
    parts: list[str | ConflictBlock] = []
    for group in merger.merge_groups():
        if group[0] == "conflict":
            _, base_lines, theirs_lines, mine_lines = group
            parts.append(
                ConflictBlock("\n".join(base_lines), "\n".join(theirs_lines), "\n".join(mine_lines))
            )
        elif parts and isinstance(parts[-1], str):
            parts[-1] += _chunk(group[1])
        else:
            parts.append(_chunk(group[1]))
    return [part for part in parts if part != ""]


def three_way_merge(
    base: str,
    theirs: str,
    mine: str,
    *,
    theirs_label: str = "their version",
    mine_label: str = "your version",
) -> MergeResult:
    """Merge the changes base->theirs and base->mine, line by line.

    Changes to different lines combine; the same change made on both sides is taken
    once; different changes to the same lines (including an edit against a deletion,
    or two different new pages from an empty base) are conflicts. The result text uses
    LF newlines. ``merge(b, x, x)``, ``merge(b, b, x)`` and ``merge(b, x, b)`` all give
    ``x`` (newline-normalised).
    """
    base, theirs, mine = (normalize_newlines(t) for t in (base, theirs, mine))
    parts = _merge_parts(base, theirs, mine)
    if parts and isinstance(parts[-1], str) and not _ends_with_newline(base, theirs, mine):
        parts[-1] = parts[-1][:-1]
        if not parts[-1]:
            parts.pop()
    conflicts = tuple(part for part in parts if isinstance(part, ConflictBlock))
    text = "".join(
        part if isinstance(part, str) else _conflict_text(part, theirs_label, mine_label)
        for part in parts
    )
    return MergeResult(text, conflicts, tuple(parts))


def resolve(parts: Sequence[str | ConflictBlock], choices: Mapping[int, str]) -> str:
    """Build the final text from merge ``parts`` and a choice per conflict block.

    ``choices[i]`` picks ``"theirs"``, ``"mine"`` or ``"both"`` (theirs, then mine) for
    the i-th conflict block (0-based); blocks without a choice keep both. A chosen
    side always ends with a newline.

    :raises ValueError: for a choice other than those three.
    """
    out: list[str] = []
    index = 0
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        choice = choices.get(index, "both")
        if choice not in CHOICES:
            raise ValueError(f"conflict {index}: choice must be one of {CHOICES}, not {choice!r}")
        sides = {"theirs": [part.theirs], "mine": [part.mine]}.get(choice, [part.theirs, part.mine])
        out.extend(f"{side}\n" for side in sides if side)
        index += 1
    return "".join(out)
