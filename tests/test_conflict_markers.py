"""The numbered conflict markers of the chooser (wiki.text.conflicts): no app needed."""

import pytest

from wiki.text.conflicts import MarkedBlock, apply_choices, blocks, mark, parse_choices
from wiki.text.merging import resolve, three_way_merge

BASE = "title\n\nalpha\nbeta\ngamma\ndelta\nepsilon\n"
THEIRS = "title\n\nALPHA\nbeta\ngamma\ndelta\nEPSILON\n"
MINE = "title\n\nalpha!\nbeta\ngamma\ndelta\nepsilon!\n"


def marked() -> tuple[str, tuple]:
    merge = three_way_merge(BASE, THEIRS, MINE)
    return mark(merge.parts, "their version (revision 4 by alice)"), merge.parts


def test_mark_numbers_every_marker_line():
    text, _ = marked()
    assert text == (
        "title\n\n"
        "<<<<<<< conflict 1: their version (revision 4 by alice)\nALPHA\n"
        "======= conflict 1\nalpha!\n>>>>>>> conflict 1: your version\n"
        "beta\ngamma\ndelta\n"
        "<<<<<<< conflict 2: their version (revision 4 by alice)\nEPSILON\n"
        "======= conflict 2\nepsilon!\n>>>>>>> conflict 2: your version\n"
    )


def test_blocks_reads_both_sides_and_labels():
    text, _ = marked()
    assert blocks(text) == [
        MarkedBlock(1, "ALPHA", "alpha!", "their version (revision 4 by alice)", "your version"),
        MarkedBlock(
            2, "EPSILON", "epsilon!", "their version (revision 4 by alice)", "your version"
        ),
    ]


@pytest.mark.parametrize("first", ["theirs", "mine", "both"])
@pytest.mark.parametrize("second", ["theirs", "mine", "both"])
def test_apply_choices_matches_merging_resolve(first, second):
    text, parts = marked()
    assert apply_choices(text, {1: first, 2: second}) == resolve(parts, {0: first, 1: second})


def test_unchosen_blocks_stay_marked_and_hand_edits_survive():
    text, _ = marked()
    edited = text.replace("beta\n", "beta, edited by hand\n")
    result = apply_choices(edited, {2: "mine"})
    assert "beta, edited by hand\n" in result
    assert [b.number for b in blocks(result)] == [1]
    assert result.endswith("delta\nepsilon!\n")


def test_a_block_resolved_by_hand_ignores_its_choice():
    text, _ = marked()
    start = text.index("<<<<<<< conflict 1")
    end = text.index("beta\n")
    by_hand = text[:start] + "my own merge\n" + text[end:]
    result = apply_choices(by_hand, {1: "theirs", 2: "theirs"})
    assert result == "title\n\nmy own merge\nbeta\ngamma\ndelta\nEPSILON\n"


def test_setext_underline_inside_a_side_is_not_a_separator():
    merge = three_way_merge("Intro\n-----\nx\n", "Intro\n=======\nx\n", "Preface\n-----\nx\n")
    text = mark(merge.parts)
    assert "=======\n" in text
    [block] = blocks(text)
    assert block.theirs == "Intro\n=======" and block.mine == "Preface\n-----"
    assert apply_choices(text, {1: "theirs"}) == "Intro\n=======\nx\n"


def test_crlf_from_a_browser_is_read_as_lf():
    text, _ = marked()
    crlf = text.replace("\n", "\r\n")
    assert blocks(crlf) == blocks(text)
    assert (
        apply_choices(crlf, {1: "mine", 2: "mine"})
        == "title\n\nalpha!\nbeta\ngamma\ndelta\nepsilon!\n"
    )


def test_deleted_side_and_both_keep_order():
    merge = three_way_merge("a\nb\nc\n", "a\nc\n", "a\nB\nc\n")
    text = mark(merge.parts)
    [block] = blocks(text)
    assert block.theirs == "" and block.mine == "B"
    assert apply_choices(text, {1: "theirs"}) == "a\nc\n"
    assert apply_choices(text, {1: "both"}) == "a\nB\nc\n"


@pytest.mark.parametrize(
    "text",
    [
        "<<<<<<< conflict 1: x\nno separator\n>>>>>>> conflict 1: y\n",
        "<<<<<<< conflict 1: x\na\n======= conflict 2\nb\n>>>>>>> conflict 1: y\n",
        "<<<<<<< conflict 1: x\na\n======= conflict 1\nb\n",
        "<<<<<<< HEAD\na\n=======\nb\n>>>>>>> branch\n",
    ],
)
def test_incomplete_or_foreign_markers_are_plain_text(text):
    assert blocks(text) == []
    assert apply_choices(text, {1: "mine"}) == text


def test_nested_start_leaves_the_outer_one_as_text():
    inner = "<<<<<<< conflict 2: t\nT\n======= conflict 2\nM\n>>>>>>> conflict 2: m\n"
    text = "<<<<<<< conflict 1: t\n" + inner
    assert [b.number for b in blocks(text)] == [2]
    assert apply_choices(text, {2: "mine"}) == "<<<<<<< conflict 1: t\nM\n"


def test_unknown_choice_is_refused():
    text, _ = marked()
    with pytest.raises(ValueError):
        apply_choices(text, {1: "neither"})


def test_parse_choices_keeps_only_valid_fields():
    form = {
        "choice-1": "theirs",
        "choice-2": "both",
        "choice-3": "bogus",
        "choice-x": "mine",
        "body": "text",
        "choice-12345": "mine",
    }
    assert parse_choices(form) == {1: "theirs", 2: "both"}
