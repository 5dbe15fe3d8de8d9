"""Line diffs with word-level marking inside changed lines, at bounded cost.

Texts are compared line by line after normalising CRLF/CR to LF, so a change of line
endings alone is no difference. A missing final newline is: it shows up as a
:data:`NO_NEWLINE_MARKER` line (as in ``diff -u``), which carries no line numbers.

Cost stays bounded for any input (two 500 KB texts that differ everywhere diff in well
under a second): common prefix and suffix are stripped, unique lines anchor the rest
(patience diff), and only small gaps go to :class:`difflib.SequenceMatcher`, whose cost
grows with the product of the two sides. A large gap without anchors is shown as a
plain replacement; if that might hide common lines the diff says ``simplified=True``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

NO_NEWLINE_MARKER = "\\ No newline at end of file"

# Largest (old lines x new lines) area handed to SequenceMatcher in one piece.
MATCHER_AREA = 40_000
# Anchoring recurses into gaps; past this depth a gap is shown as a replacement.
MAX_DEPTH = 24
# Word diffs: only in change blocks this small, on lines shorter than this, and for at
# most this many characters per diff, so a diff of huge rewrites stays cheap.
WORD_DIFF_MAX_BLOCK = 64
WORD_DIFF_MAX_LINE = 2_000
WORD_DIFF_BUDGET = 200_000

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")

# (tag, i1, i2, j1, j2) as in SequenceMatcher.get_opcodes().
Opcode = tuple[str, int, int, int, int]
# A line of a text, or None for "the text does not end with a newline".
_Item = str | None


@dataclass(frozen=True)
class Segment:
    """A run of a line's text, ``changed`` when it differs from the paired line."""

    text: str
    changed: bool


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff; line numbers are 1-based, ``None`` on the side it is absent from."""

    kind: str  # "equal" | "insert" | "delete"
    old_no: int | None
    new_no: int | None
    text: str
    segments: tuple[Segment, ...] | None = None

    @property
    def is_marker(self) -> bool:
        """True for the "no newline at end of file" marker line."""
        return self.old_no is None and self.new_no is None


@dataclass(frozen=True)
class Hunk:
    """Changed lines with their context; ``skipped_before`` unchanged lines precede it."""

    lines: tuple[DiffLine, ...]
    skipped_before: int


@dataclass(frozen=True)
class Diff:
    """A whole diff: hunks (each holding at least one change) and line counts."""

    hunks: tuple[Hunk, ...]
    added: int
    removed: int
    simplified: bool
    skipped_after: int

    @property
    def identical(self) -> bool:
        """True when the texts are equal after newline normalisation."""
        return not self.hunks


def normalize_newlines(text: str) -> str:
    """Return ``text`` with CRLF and lone CR turned into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_lines(text: str) -> list[str]:
    """Split into lines without terminators, after newline normalisation.

    ``"a\\nb"`` and ``"a\\nb\\n"`` both give ``["a", "b"]``; :func:`diff_texts` still
    reports that difference, with a :data:`NO_NEWLINE_MARKER` line. ``""`` gives ``[]``.
    """
    lines = normalize_newlines(text).split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _items(text: str) -> list[_Item]:
    text = normalize_newlines(text)
    items: list[_Item] = list(split_lines(text))
    if text and not text.endswith("\n"):
        items.append(None)
    return items


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest run of ``pairs`` (sorted by first) whose second values increase."""
    tails: list[int] = []
    tail_idx: list[int] = []
    back: list[int] = []
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        back.append(tail_idx[pos - 1] if pos else -1)
        if pos == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[pos] = j
            tail_idx[pos] = k
    out, k = [], tail_idx[-1] if tail_idx else -1
    while k >= 0:
        out.append(pairs[k])
        k = back[k]
    return out[::-1]


class _Differ:
    """Patience-anchored diff over hashable items; collects opcodes in order."""

    def __init__(self, a: Sequence[object], b: Sequence[object]) -> None:
        self.a, self.b = a, b
        self.ops: list[Opcode] = []
        self.simplified = False

    def emit(self, tag: str, i1: int, i2: int, j1: int, j2: int) -> None:
        if i1 < i2 or j1 < j2:
            self.ops.append((tag, i1, i2, j1, j2))

    def run(self, alo: int, ahi: int, blo: int, bhi: int, depth: int = 0) -> None:
        a, b = self.a, self.b
        start_a, start_b = alo, blo
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            alo, blo = alo + 1, blo + 1
        self.emit("equal", start_a, alo, start_b, blo)
        end_a, end_b = ahi, bhi
        while ahi > alo and bhi > blo and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
        self.middle(alo, ahi, blo, bhi, depth)
        self.emit("equal", ahi, end_a, bhi, end_b)

    def middle(self, alo: int, ahi: int, blo: int, bhi: int, depth: int) -> None:
        if alo == ahi or blo == bhi:
            self.emit("delete" if alo < ahi else "insert", alo, ahi, blo, bhi)
        elif (ahi - alo) * (bhi - blo) <= MATCHER_AREA:
            matcher = SequenceMatcher(None, self.a[alo:ahi], self.b[blo:bhi], autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                self.emit(tag, alo + i1, alo + i2, blo + j1, blo + j2)
        else:
            anchors = self.anchors(alo, ahi, blo, bhi) if depth < MAX_DEPTH else []
            if not anchors:
                if not set(self.a[alo:ahi]).isdisjoint(self.b[blo:bhi]):
                    self.simplified = True
                self.emit("replace", alo, ahi, blo, bhi)
                return
            for i, j in anchors:
                self.run(alo, i, blo, j, depth + 1)
                self.emit("equal", i, i + 1, j, j + 1)
                alo, blo = i + 1, j + 1
            self.run(alo, ahi, blo, bhi, depth + 1)

    def anchors(self, alo: int, ahi: int, blo: int, bhi: int) -> list[tuple[int, int]]:
        """Items occurring exactly once on each side, in an order both sides agree on."""
        count_a = Counter(self.a[alo:ahi])
        count_b = Counter(self.b[blo:bhi])
        where_b = {self.b[j]: j for j in range(blo, bhi) if count_b[self.b[j]] == 1}
        pairs = [
            (i, where_b[self.a[i]])
            for i in range(alo, ahi)
            if count_a[self.a[i]] == 1 and self.a[i] in where_b
        ]
        return _lis(pairs)


def _coalesce(ops: list[Opcode]) -> list[Opcode]:
    """Merge neighbouring opcodes so equal runs and change blocks alternate."""
    out: list[Opcode] = []
    for tag, i1, i2, j1, j2 in ops:
        if out and (out[-1][0] == "equal") == (tag == "equal"):
            _, p1, _, q1, _ = out.pop()
            i1, j1 = p1, q1
            if tag != "equal":
                tag = "replace" if (i1 < i2 and j1 < j2) else ("delete" if i1 < i2 else "insert")
        out.append((tag, i1, i2, j1, j2))
    return out


def line_opcodes(a: Sequence[object], b: Sequence[object]) -> tuple[list[Opcode], bool]:
    """Diff two sequences of hashable items (lines) at bounded cost.

    Returns ``(opcodes, simplified)``: SequenceMatcher-style opcodes covering both
    sequences in order, equal runs alternating with change blocks, and whether some
    common items may have been shown as changed to keep the cost bounded.
    """
    differ = _Differ(a, b)
    differ.run(0, len(a), 0, len(b))
    return _coalesce(differ.ops), differ.simplified


def _word_segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    old_segs: list[Segment] = []
    new_segs: list[Segment] = []
    for tag, i1, i2, j1, j2 in line_opcodes(old_tokens, new_tokens)[0]:
        changed = tag != "equal"
        for segs, text in (
            (old_segs, "".join(old_tokens[i1:i2])),
            (new_segs, "".join(new_tokens[j1:j2])),
        ):
            if not text:
                continue
            if segs and segs[-1].changed == changed:
                segs[-1] = Segment(segs[-1].text + text, changed)
            else:
                segs.append(Segment(text, changed))
    return tuple(old_segs), tuple(new_segs)


class _HunkBuilder:
    """Turns opcodes into hunks with ``context`` unchanged lines around each change."""

    def __init__(self, a: list[_Item], b: list[_Item], context: int) -> None:
        self.a, self.b, self.context = a, b, context
        self.hunks: list[Hunk] = []
        self.lines: list[DiffLine] = []
        self.skipped = 0
        self.word_budget = WORD_DIFF_BUDGET

    def line(
        self, kind: str, i: int | None, j: int | None, segs: tuple[Segment, ...] | None = None
    ) -> DiffLine:
        item = self.a[i] if i is not None else self.b[j if j is not None else 0]
        if item is None:
            return DiffLine(kind, None, None, NO_NEWLINE_MARKER)
        return DiffLine(
            kind, None if i is None else i + 1, None if j is None else j + 1, item, segs
        )

    def equal(self, i1: int, i2: int, j1: int) -> None:
        self.lines.extend(self.line("equal", i, j1 + i - i1) for i in range(i1, i2))

    def flush(self, skipped_next: int) -> None:
        if self.lines:
            self.hunks.append(Hunk(tuple(self.lines), self.skipped))
        self.lines, self.skipped = [], skipped_next

    def change(self, i1: int, i2: int, j1: int, j2: int) -> None:
        old_segs: dict[int, tuple[Segment, ...]] = {}
        new_segs: dict[int, tuple[Segment, ...]] = {}
        if max(i2 - i1, j2 - j1) <= WORD_DIFF_MAX_BLOCK:
            olds = [i for i in range(i1, i2) if self.a[i] is not None]
            news = [j for j in range(j1, j2) if self.b[j] is not None]
            for i, j in zip(olds, news, strict=False):
                old, new = self.a[i], self.b[j]
                assert old is not None and new is not None
                if max(len(old), len(new)) >= WORD_DIFF_MAX_LINE:
                    continue
                self.word_budget -= len(old) + len(new)
                if self.word_budget < 0:
                    break
                old_segs[i], new_segs[j] = _word_segments(old, new)
        self.lines.extend(self.line("delete", i, None, old_segs.get(i)) for i in range(i1, i2))
        self.lines.extend(self.line("insert", None, j, new_segs.get(j)) for j in range(j1, j2))

    def build(self, ops: list[Opcode]) -> tuple[tuple[Hunk, ...], int]:
        """Return ``(hunks, skipped_after)``."""
        ctx, last = self.context, len(ops) - 1
        for k, (tag, i1, i2, j1, j2) in enumerate(ops):
            if tag != "equal":
                self.change(i1, i2, j1, j2)
                continue
            n = i2 - i1
            if k == last:  # trailing context, possibly after the only hunk
                keep = min(ctx, n) if self.lines else 0
                self.equal(i1, i1 + keep, j1)
                self.flush(0)
                return tuple(self.hunks), n - keep
            if k == 0:
                keep = min(ctx, n)
                self.skipped = n - keep
                self.equal(i2 - keep, i2, j2 - keep)
            elif n > 2 * ctx:
                self.equal(i1, i1 + ctx, j1)
                self.flush(n - 2 * ctx)
                self.equal(i2 - ctx, i2, j2 - ctx)
            else:
                self.equal(i1, i2, j1)
        self.flush(0)
        return tuple(self.hunks), 0


def diff_texts(old: str, new: str, *, context: int = 3) -> Diff:
    """Diff two texts line by line, with word-level segments on paired changed lines.

    In a change block the i-th deleted line is paired with the i-th inserted line; pairs
    get ``segments`` when both lines are shorter than 2,000 characters and the block is
    small. ``context`` unchanged lines surround each change (use a huge value for a
    full diff). ``added``/``removed`` count real lines, not the newline marker.

    :raises ValueError: if ``context`` is negative.
    """
    if context < 0:
        raise ValueError("context must not be negative")
    a, b = _items(old), _items(new)
    ids: dict[_Item, int] = {}
    a_ids = [ids.setdefault(item, len(ids)) for item in a]
    b_ids = [ids.setdefault(item, len(ids)) for item in b]
    ops, simplified = line_opcodes(a_ids, b_ids)
    changes = [op for op in ops if op[0] != "equal"]
    removed = sum(1 for _, i1, i2, _, _ in changes for i in range(i1, i2) if a[i] is not None)
    added = sum(1 for _, _, _, j1, j2 in changes for j in range(j1, j2) if b[j] is not None)
    hunks, skipped_after = _HunkBuilder(a, b, context).build(ops)
    return Diff(hunks, added, removed, simplified, skipped_after)


def fitting(sizes: Iterable[int], max_items: int, max_chars: int) -> int:
    """How many leading items, of these sizes, fit in ``max_items`` items of ``max_chars``
    characters in all (a display budget)."""
    count = chars = 0
    for size in sizes:
        chars += size
        if count >= max_items or chars > max_chars:
            break
        count += 1
    return count


def clip(diff: Diff, *, max_lines: int, max_chars: int) -> tuple[Diff, int]:
    """``diff`` cut to its first ``max_lines`` lines and ``max_chars`` characters of text,
    and how many lines were left out (0: none). A cut diff keeps the whole diff's
    ``added``/``removed`` counts and loses its trailing ``skipped_after``.

    Computing a diff is bounded (see above); showing one costs per line, so a view shows at
    most a budget of it.
    """
    sizes = [len(line.text) for hunk in diff.hunks for line in hunk.lines]
    keep = fitting(sizes, max_lines, max_chars)
    if keep == len(sizes):
        return diff, 0
    hunks: list[Hunk] = []
    room = keep
    for hunk in diff.hunks:
        if room <= 0:
            break
        hunks.append(
            hunk if len(hunk.lines) <= room else Hunk(hunk.lines[:room], hunk.skipped_before)
        )
        room -= len(hunk.lines)
    return replace(diff, hunks=tuple(hunks), skipped_after=0), len(sizes) - keep


Row = tuple[DiffLine | None, DiffLine | None]


def _hunk_rows(hunk: Hunk) -> list[Row]:
    rows: list[Row] = []
    deletes: list[DiffLine] = []
    inserts: list[DiffLine] = []

    def pair_up() -> None:
        for k in range(max(len(deletes), len(inserts))):
            rows.append(
                (deletes[k] if k < len(deletes) else None, inserts[k] if k < len(inserts) else None)
            )
        deletes.clear()
        inserts.clear()

    for line in hunk.lines:
        if line.kind == "delete":
            if inserts:  # a delete after inserts starts a new change block
                pair_up()
            deletes.append(line)
        elif line.kind == "insert":
            inserts.append(line)
        else:
            pair_up()
            rows.append((line, line))
    pair_up()
    return rows


def side_by_side(diff: Diff | Hunk) -> list[Row]:
    """Rows ``(old, new)`` for a two-column view.

    Equal lines appear on both sides; in a change block the i-th deleted line sits
    next to the i-th inserted line, the longer side padded with ``None``. For a whole
    :class:`Diff`, a ``(None, None)`` row separates consecutive hunks (collapsed lines).
    """
    if isinstance(diff, Hunk):
        return _hunk_rows(diff)
    rows: list[Row] = []
    for k, hunk in enumerate(diff.hunks):
        if k:
            rows.append((None, None))
        rows.extend(_hunk_rows(hunk))
    return rows
