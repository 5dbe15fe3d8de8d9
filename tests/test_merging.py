"""Tests for wiki.text.merging: clean merges, conflicts, newline handling and resolve()."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.text.merging import ConflictBlock, MergeResult, resolve, three_way_merge

BASE = "one\ntwo\nthree\nfour\nfive\n"


def test_non_overlapping_changes_merge_cleanly() -> None:
    result = three_way_merge(BASE, "ONE\ntwo\nthree\nfour\nfive\n", "one\ntwo\nthree\nfour\nFIVE\n")
    assert result.clean
    assert result.text == "ONE\ntwo\nthree\nfour\nFIVE\n"
    assert result.conflicts == ()
    assert "".join(p for p in result.parts if isinstance(p, str)) == result.text


def test_insertions_at_different_places_merge_cleanly() -> None:
    theirs = "intro\n" + BASE
    mine = BASE + "outro\n"
    assert three_way_merge(BASE, theirs, mine).text == "intro\n" + BASE + "outro\n"


def test_overlapping_change_is_a_conflict_with_both_sides_kept() -> None:
    result = three_way_merge(
        BASE,
        "one\nTWO (theirs)\nthree\nfour\nfive\n",
        "one\nTwo (mine)\nthree\nfour\nfive\n",
        theirs_label="their version (revision 7)",
    )
    assert not result.clean
    assert result.conflicts == (ConflictBlock("two", "TWO (theirs)", "Two (mine)"),)
    assert result.text == (
        "one\n"
        "<<<<<<< their version (revision 7)\n"
        "TWO (theirs)\n"
        "=======\n"
        "Two (mine)\n"
        ">>>>>>> your version\n"
        "three\nfour\nfive\n"
    )
    assert result.parts == ("one\n", result.conflicts[0], "three\nfour\nfive\n")


def test_multi_line_conflict_sides_are_joined_with_newlines() -> None:
    result = three_way_merge(BASE, "one\nA\nB\nfour\nfive\n", "one\nC\nfour\nfive\n")
    assert result.conflicts == (ConflictBlock("two\nthree", "A\nB", "C"),)
    assert "<<<<<<< their version\nA\nB\n=======\nC\n>>>>>>> your version\n" in result.text


def test_same_change_on_both_sides_is_no_conflict() -> None:
    changed = "one\nTWO\nthree\nfour\nfive\n"
    result = three_way_merge(BASE, changed, changed)
    assert result.clean and result.text == changed


def test_deletion_against_edit_is_a_conflict() -> None:
    result = three_way_merge(BASE, "one\nthree\nfour\nfive\n", "one\nTWO!\nthree\nfour\nfive\n")
    assert result.conflicts == (ConflictBlock("two", "", "TWO!"),)
    # The deleting side contributes no line between the markers.
    assert "<<<<<<< their version\n=======\nTWO!\n>>>>>>> your version\n" in result.text


def test_both_deleting_the_same_lines_is_clean() -> None:
    shorter = "one\nfour\nfive\n"
    assert three_way_merge(BASE, shorter, shorter).text == shorter


@pytest.mark.parametrize(
    ("base", "theirs", "mine", "expected"),
    [
        # One side drops the final newline, the other edits elsewhere.
        ("a\nb\nc\n", "a\nb\nc", "A\nb\nc\n", "A\nb\nc"),
        ("a\nb\nc\n", "A\nb\nc\n", "a\nb\nc", "A\nb\nc"),
        # One side adds a final newline, the other edits the last line.
        ("a\nb\nc", "a\nb\nc\n", "a\nb\nC", "a\nb\nC\n"),
        # Both edit different lines, one also drops the newline.
        ("a\nb\nc\nd\n", "A\nb\nc\nd", "a\nb\nc\nD\n", "A\nb\nc\nD"),
    ],
)
def test_final_newline_never_conflicts(base: str, theirs: str, mine: str, expected: str) -> None:
    result = three_way_merge(base, theirs, mine)
    assert result.clean
    assert result.text == expected


def test_crlf_is_normalised_before_merging() -> None:
    result = three_way_merge(BASE, BASE.replace("\n", "\r\n"), BASE.replace("five", "FIVE"))
    assert result.clean
    assert result.text == BASE.replace("five", "FIVE")
    assert "\r" not in result.text


def test_empty_base_two_new_pages_conflict() -> None:
    result = three_way_merge("", "Created by them\n", "Created by me\n")
    assert result.conflicts == (ConflictBlock("", "Created by them", "Created by me"),)
    assert result.text == (
        "<<<<<<< their version\nCreated by them\n=======\nCreated by me\n>>>>>>> your version\n"
    )


def test_empty_base_same_new_page_is_clean() -> None:
    assert three_way_merge("", "Same\n", "Same\n").text == "Same\n"
    assert three_way_merge("", "", "Only mine").text == "Only mine"


def test_all_empty() -> None:
    assert three_way_merge("", "", "") == MergeResult("", (), ())


def test_resolve_choices() -> None:
    result = three_way_merge(
        "a\nb\nc\nd\ne\n",
        "a\nB1\nc\nd\nE1\n",
        "a\nB2\nc\nd\nE2\n",
    )
    assert len(result.conflicts) == 2
    assert resolve(result.parts, {0: "theirs", 1: "mine"}) == "a\nB1\nc\nd\nE2\n"
    assert resolve(result.parts, {0: "mine", 1: "theirs"}) == "a\nB2\nc\nd\nE1\n"
    assert resolve(result.parts, {}) == "a\nB1\nB2\nc\nd\nE1\nE2\n"
    assert resolve(result.parts, {1: "both"}) == resolve(result.parts, {})
    with pytest.raises(ValueError, match="choice"):
        resolve(result.parts, {0: "neither"})


def test_resolve_a_deleted_side() -> None:
    result = three_way_merge(BASE, "one\nthree\nfour\nfive\n", "one\nTWO!\nthree\nfour\nfive\n")
    assert resolve(result.parts, {0: "theirs"}) == "one\nthree\nfour\nfive\n"
    assert resolve(result.parts, {0: "mine"}) == "one\nTWO!\nthree\nfour\nfive\n"


def test_large_page_with_scattered_edits_merges_cleanly() -> None:
    lines = [f"line {i} of a long page" for i in range(5000)]
    base = "\n".join(lines) + "\n"
    theirs_lines, mine_lines = list(lines), list(lines)
    for i in range(0, 5000, 100):
        theirs_lines[i] += " (theirs)"
        mine_lines[i + 50] += " (mine)"
    result = three_way_merge(base, "\n".join(theirs_lines) + "\n", "\n".join(mine_lines) + "\n")
    assert result.clean
    merged = result.text.split("\n")
    assert merged[100] == "line 100 of a long page (theirs)"
    assert merged[150] == "line 150 of a long page (mine)"


_line = st.sampled_from(["", "a", "b", "c", "a b", "ü", "<<<<<<<", "======="])
_text = st.builds(
    lambda lines, newline: "\n".join(lines) + ("\n" if newline and lines else ""),
    st.lists(_line, max_size=12),
    st.booleans(),
)


@settings(max_examples=300)
@given(_text, _text)
def test_merge_identities(base: str, x: str) -> None:
    assert three_way_merge(base, x, x).text == x
    assert three_way_merge(base, base, x).text == x
    assert three_way_merge(base, x, base).text == x
    assert three_way_merge(base, x, x).clean


@settings(max_examples=300)
@given(_text, _text, _text)
def test_merge_never_loses_text_and_parts_match_text(base: str, theirs: str, mine: str) -> None:
    result = three_way_merge(base, theirs, mine)
    if result.clean:
        assert "".join(result.parts) == result.text  # type: ignore[arg-type]
        assert resolve(result.parts, {}) == result.text
    else:
        assert result.text.count(">>>>>>> your version\n") >= len(result.conflicts)
        for block in result.conflicts:
            assert block.theirs in result.text and block.mine in result.text
