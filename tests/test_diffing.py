"""Tests for wiki.text.diffing: line diffs, word segments, hunks and bounded-cost fallbacks."""

import random
from itertools import pairwise
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.text import diffing
from wiki.text.diffing import (
    NO_NEWLINE_MARKER,
    Diff,
    DiffLine,
    Segment,
    diff_texts,
    line_opcodes,
    normalize_newlines,
    side_by_side,
    split_lines,
)

FULL = 10**9


def rebuild(old: str, diff: Diff) -> str:
    """Apply ``diff`` to ``old``; fails if an equal or deleted line does not match old."""
    source: list[str | None] = list(split_lines(old))
    if old and not normalize_newlines(old).endswith("\n"):
        source.append(None)
    out: list[str | None] = []
    pos = 0
    for hunk in diff.hunks:
        out.extend(source[pos : pos + hunk.skipped_before])
        pos += hunk.skipped_before
        for line in hunk.lines:
            item = None if line.is_marker else line.text
            if line.kind != "insert":
                assert source[pos] == item
                pos += 1
            if line.kind != "delete":
                out.append(item)
    assert len(source) - pos == diff.skipped_after
    out.extend(source[pos:])
    if out and out[-1] is None:
        return "\n".join(str(line) for line in out[:-1])
    return "".join(f"{line}\n" for line in out)


def all_lines(diff: Diff) -> list[DiffLine]:
    return [line for hunk in diff.hunks for line in hunk.lines]


def kinds(diff: Diff) -> list[tuple[str, str]]:
    return [(line.kind, line.text) for line in all_lines(diff)]


def test_split_lines_normalises_newlines() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    assert split_lines("a\n") == ["a"]
    assert split_lines("") == []
    assert split_lines("\n") == [""]
    assert split_lines("a\n\n") == ["a", ""]


@pytest.mark.parametrize("text", ["", "one line", "a\nb\nc\n", "x\n" * 50])
def test_identical_texts(text: str) -> None:
    diff = diff_texts(text, text)
    assert diff.identical
    assert diff.hunks == ()
    assert (diff.added, diff.removed, diff.simplified) == (0, 0, False)
    assert diff.skipped_after == len(split_lines(text)) + (1 if text and text[-1] != "\n" else 0)


def test_pure_insert() -> None:
    diff = diff_texts("a\nb\n", "a\nnew\nb\n")
    assert kinds(diff) == [("equal", "a"), ("insert", "new"), ("equal", "b")]
    assert (diff.added, diff.removed) == (1, 0)
    inserted = all_lines(diff)[1]
    assert (inserted.old_no, inserted.new_no, inserted.segments) == (None, 2, None)


def test_pure_delete() -> None:
    diff = diff_texts("a\ngone\nb\n", "a\nb\n")
    assert kinds(diff) == [("equal", "a"), ("delete", "gone"), ("equal", "b")]
    assert (diff.added, diff.removed) == (0, 1)
    assert all_lines(diff)[1].old_no == 2


def test_replace_has_word_segments() -> None:
    diff = diff_texts("intro\nThe quick brown fox.\n", "intro\nThe slow brown fox!\n")
    deleted, inserted = all_lines(diff)[1:]
    assert (deleted.kind, inserted.kind) == ("delete", "insert")
    assert deleted.segments == (
        Segment("The ", False),
        Segment("quick", True),
        Segment(" brown fox", False),
        Segment(".", True),
    )
    assert inserted.segments == (
        Segment("The ", False),
        Segment("slow", True),
        Segment(" brown fox", False),
        Segment("!", True),
    )
    assert "".join(s.text for s in inserted.segments) == inserted.text


def test_replace_block_pairs_ith_delete_with_ith_insert() -> None:
    diff = diff_texts("one a\ntwo b\nthree\n", "one A\ntwo B\n")
    lines = all_lines(diff)
    assert [line.kind for line in lines] == ["delete"] * 3 + ["insert"] * 2
    assert lines[0].segments is not None and lines[3].segments is not None
    assert lines[1].segments is not None and lines[4].segments is not None
    assert lines[2].segments is None  # unpaired
    rows = side_by_side(diff)
    assert [(o and o.text, n and n.text) for o, n in rows] == [
        ("one a", "one A"),
        ("two b", "two B"),
        ("three", None),
    ]


def test_long_lines_get_no_word_segments() -> None:
    old, new = "x" * 2000 + "\n", "y" * 2000 + "\n"
    lines = all_lines(diff_texts(old, new))
    assert [line.segments for line in lines] == [None, None]


def test_unicode() -> None:
    diff = diff_texts("naïve café\n日本語のテキスト\n", "naïve cafés\n日本語のテキスト\n")
    deleted, inserted = all_lines(diff)[:2]
    assert deleted.segments == (Segment("naïve ", False), Segment("café", True))
    assert inserted.segments == (Segment("naïve ", False), Segment("cafés", True))
    assert all_lines(diff)[2] == DiffLine("equal", 2, 2, "日本語のテキスト")


def test_crlf_versus_lf_is_no_difference() -> None:
    assert diff_texts("a\r\nb\r\n", "a\nb\n").identical
    assert diff_texts("a\rb", "a\nb").identical


def test_empty_bodies() -> None:
    assert diff_texts("", "").identical
    created = diff_texts("", "a\nb\n")
    assert kinds(created) == [("insert", "a"), ("insert", "b")]
    assert (created.added, created.removed) == (2, 0)
    cleared = diff_texts("a\nb\n", "")
    assert kinds(cleared) == [("delete", "a"), ("delete", "b")]


def test_trailing_newline_change_shows_a_marker() -> None:
    diff = diff_texts("a\nb\n", "a\nb")
    assert not diff.identical
    assert kinds(diff) == [("equal", "a"), ("equal", "b"), ("insert", NO_NEWLINE_MARKER)]
    marker = all_lines(diff)[-1]
    assert marker.is_marker and (marker.old_no, marker.new_no) == (None, None)
    assert (diff.added, diff.removed) == (0, 0)
    back = diff_texts("a\nb", "a\nb\n")
    assert kinds(back)[-1] == ("delete", NO_NEWLINE_MARKER)


def test_a_line_that_looks_like_the_marker_is_still_a_line() -> None:
    diff = diff_texts(NO_NEWLINE_MARKER + "\n", NO_NEWLINE_MARKER)
    assert kinds(diff) == [("equal", NO_NEWLINE_MARKER), ("insert", NO_NEWLINE_MARKER)]
    assert [line.is_marker for line in all_lines(diff)] == [False, True]


def test_moved_block() -> None:
    old = "".join(f"line {i}\n" for i in range(10))
    new_lines = split_lines(old)
    moved = new_lines[1:3]
    new = "\n".join(new_lines[:1] + new_lines[3:] + moved) + "\n"
    diff = diff_texts(old, new)
    assert (diff.added, diff.removed) == (2, 2)
    assert [t for k, t in kinds(diff) if k == "delete"] == ["line 1", "line 2"]
    assert [t for k, t in kinds(diff) if k == "insert"] == ["line 1", "line 2"]
    assert rebuild(old, diff) == new


def test_context_and_hunks() -> None:
    lines = [str(i) for i in range(30)]
    old = "\n".join(lines) + "\n"
    lines[5], lines[25] = "five", "twenty-five"
    new = "\n".join(lines) + "\n"
    diff = diff_texts(old, new, context=2)
    assert len(diff.hunks) == 2
    first, second = diff.hunks
    assert first.skipped_before == 3
    assert [line.text for line in first.lines] == ["3", "4", "5", "five", "6", "7"]
    assert second.skipped_before == 15  # lines 8..22 collapsed
    assert diff.skipped_after == 2
    assert rebuild(old, diff) == new
    rows = side_by_side(diff)
    assert (None, None) in rows
    assert rows.index((None, None)) == 5  # 2 context + pair + 2 context
    assert diff_texts(old, new, context=0).hunks[0].lines[0].text == "5"
    with pytest.raises(ValueError):
        diff_texts(old, new, context=-1)


def test_close_changes_share_one_hunk() -> None:
    old = "".join(f"{i}\n" for i in range(10))
    new = old.replace("\n3\n", "\nx\n").replace("\n6\n", "\ny\n")
    assert len(diff_texts(old, new, context=3).hunks) == 1


def _revision(seed: int, size: int = 500_000) -> str:
    rnd = random.Random(seed)
    words = ["wiki", "page", "revision", "diff", "merge", "alpha", "beta", "gamma"]
    lines, total = [], 0
    while total < size:
        line = f"{seed}-{len(lines)} " + " ".join(rnd.choice(words) for _ in range(7))
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def test_large_inputs_that_differ_everywhere() -> None:
    old, new = _revision(1), _revision(2)
    diff = diff_texts(old, new)
    assert diff.removed == len(split_lines(old)) and diff.added == len(split_lines(new))
    # No line is shared, so replacing everything is exact, not a simplification.
    assert not diff.simplified
    assert rebuild(old, diff) == new


def test_large_inputs_with_scattered_changes_stay_exact() -> None:
    old = _revision(3)
    lines = split_lines(old)
    for k in random.Random(0).sample(range(len(lines)), 200):
        lines[k] += " edited"
    new = "\n".join(lines) + "\n"
    diff = diff_texts(old, new)
    assert (diff.added, diff.removed, diff.simplified) == (200, 200, False)
    assert len(diff.hunks) <= 200
    assert rebuild(old, diff) == new


def test_huge_repetitive_gap_is_simplified_but_correct() -> None:
    rnd = random.Random(5)
    old = "".join(rnd.choice("ab") + "\n" for _ in range(5000))
    new = "".join(rnd.choice("ab") + "\n" for _ in range(5000))
    diff = diff_texts(old, new)
    assert diff.simplified
    assert rebuild(old, diff) == new


def test_line_opcodes_cover_both_sequences() -> None:
    ops, simplified = line_opcodes([1, 2, 3, 4], [1, 3, 4, 5])
    assert not simplified
    assert ops == [
        ("equal", 0, 1, 0, 1),
        ("delete", 1, 2, 1, 1),
        ("equal", 2, 4, 1, 3),
        ("insert", 4, 4, 3, 4),
    ]


_line = st.sampled_from(["", "a", "b", "a b", "x\ty", "ümlaut", "#", NO_NEWLINE_MARKER])
_text = st.lists(st.one_of(_line, st.text(max_size=8)), max_size=25).map("\n".join)


@settings(max_examples=300)
@given(_text, _text, st.integers(min_value=0, max_value=4))
def test_rebuilding_from_a_diff_gives_the_new_text(old: str, new: str, context: int) -> None:
    expected = normalize_newlines(new)
    assert rebuild(old, diff_texts(old, new, context=FULL)) == expected
    diff = diff_texts(old, new, context=context)
    assert rebuild(old, diff) == expected
    assert diff.identical == (normalize_newlines(old) == expected)
    for line in all_lines(diff):
        if line.segments is not None:
            assert "".join(s.text for s in line.segments) == line.text


@settings(max_examples=300)
@given(
    st.lists(st.integers(0, 12), max_size=40),
    st.lists(st.integers(0, 12), max_size=40),
    st.sampled_from([0, 4, 40_000]),
)
def test_line_opcodes_consistent_on_every_path(a: list[int], b: list[int], area: int) -> None:
    # A tiny matcher area forces the patience anchoring and replace fallbacks.
    with patch.object(diffing, "MATCHER_AREA", area):
        ops, simplified = line_opcodes(a, b)
    rebuilt: list[int] = []
    i_pos = j_pos = 0
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (i_pos, j_pos)
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
        rebuilt.extend(b[j1:j2])
        i_pos, j_pos = i2, j2
    assert (i_pos, j_pos) == (len(a), len(b))
    assert rebuilt == b
    # Equal runs and change blocks alternate.
    assert all((x[0] == "equal") != (y[0] == "equal") for x, y in pairwise(ops))
    if simplified:
        assert area < 40_000


# -- the display budget ---------------------------------------------------------------------


def test_fitting_counts_the_leading_items_within_both_budgets() -> None:
    assert diffing.fitting([3, 3, 3], max_items=5, max_chars=100) == 3
    assert diffing.fitting([3, 3, 3], max_items=2, max_chars=100) == 2
    assert diffing.fitting([3, 3, 3], max_items=5, max_chars=7) == 2
    assert diffing.fitting([50], max_items=5, max_chars=10) == 0
    assert diffing.fitting([], max_items=5, max_chars=10) == 0


def test_clip_cuts_a_diff_to_its_first_lines_and_keeps_the_counts() -> None:
    old = "".join(f"line {k}\n" for k in range(40))
    new = old.replace("line 5\n", "five\n").replace("line 30\n", "thirty\n")
    whole = diff_texts(old, new)
    assert len(whole.hunks) == 2 and whole.skipped_after
    same, left_out = diffing.clip(whole, max_lines=100, max_chars=10_000)
    assert same is whole and left_out == 0
    lines = [line for hunk in whole.hunks for line in hunk.lines]
    cut, left_out = diffing.clip(whole, max_lines=len(whole.hunks[0].lines) + 2, max_chars=10_000)
    assert [line for hunk in cut.hunks for line in hunk.lines] == lines[: len(lines) - left_out]
    assert left_out == len(lines) - len(whole.hunks[0].lines) - 2
    assert cut.hunks[1].skipped_before == whole.hunks[1].skipped_before
    assert (cut.added, cut.removed, cut.skipped_after) == (2, 2, 0)
    nothing, left_out = diffing.clip(whole, max_lines=100, max_chars=3)  # "line 2" is longer
    assert nothing.hunks == () and left_out == len(lines)
