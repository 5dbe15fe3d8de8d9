"""wiki.text.blame: incremental attribution of lines to revisions, and the cache format."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.text.blame import BlameLine, blame_history, blame_step, from_json, to_json
from wiki.text.diffing import normalize_newlines, split_lines


def revs(lines: list[BlameLine]) -> list[int]:
    return [line.rev for line in lines]


def test_first_revision_attributes_every_line_to_it() -> None:
    blame = blame_step(None, "a\nb\nc\n", 1)
    assert blame == [BlameLine(1, "a", 1), BlameLine(2, "b", 1), BlameLine(3, "c", 1)]


def test_an_edit_attributes_only_changed_lines() -> None:
    blame = blame_history([(1, "a\nb\nc\nd\n"), (2, "a\nB\nc\nd\n"), (3, "a\nB\nc\nd\ne\n")])
    assert [(line.text, line.rev) for line in blame] == [
        ("a", 1),
        ("B", 2),
        ("c", 1),
        ("d", 1),
        ("e", 3),
    ]
    assert [line.line_no for line in blame] == [1, 2, 3, 4, 5]


def test_insertions_shift_line_numbers_but_keep_revisions() -> None:
    blame = blame_history([(1, "x\ny\n"), (2, "new\nx\ny\n")])
    assert [(line.line_no, line.text, line.rev) for line in blame] == [
        (1, "new", 2),
        (2, "x", 1),
        (3, "y", 1),
    ]


def test_deleted_lines_disappear() -> None:
    blame = blame_history([(1, "a\nb\nc\n"), (2, "a\nc\n")])
    assert [(line.text, line.rev) for line in blame] == [("a", 1), ("c", 1)]


def test_a_reverted_line_belongs_to_the_revert() -> None:
    blame = blame_history([(1, "a\nb\nc\n"), (2, "a\nX\nc\n"), (3, "a\nb\nc\n")])
    assert revs(blame) == [1, 3, 1]


def test_moved_block_counts_as_changed_where_it_lands() -> None:
    first = "".join(f"line {i}\n" for i in range(8))
    lines = split_lines(first)
    moved = "\n".join(lines[2:] + lines[:2]) + "\n"
    blame = blame_history([(1, first), (2, moved)])
    assert [line.text for line in blame] == lines[2:] + lines[:2]
    assert revs(blame) == [1] * 6 + [2, 2]


def test_crlf_is_not_a_change() -> None:
    blame = blame_history([(1, "a\nb\n"), (2, "a\r\nb\r\n"), (3, "a\rb\rc")])
    assert [(line.text, line.rev) for line in blame] == [("a", 1), ("b", 1), ("c", 3)]


def test_empty_bodies() -> None:
    assert blame_step(None, "", 1) == []
    assert blame_history([(1, "a\n"), (2, "")]) == []
    assert revs(blame_history([(1, ""), (2, "a\n")])) == [2]
    assert blame_history([]) == []


def test_revision_numbers_are_taken_as_given() -> None:
    assert revs(blame_history([(5, "a\n"), (9, "a\nb\n")])) == [5, 9]


def test_long_history_keeps_oldest_untouched_lines() -> None:
    lines = [f"line {i}" for i in range(100)]
    history = [(1, "\n".join(lines) + "\n")]
    for rev in range(2, 1001):
        lines[rev % 100] = f"line {rev % 100} edited in {rev}"
        history.append((rev, "\n".join(lines) + "\n"))
    blame = blame_history(history)
    assert len(blame) == 100
    # Each line was last edited by the latest rev with rev % 100 == index.
    assert revs(blame) == [max(r for r in range(2, 1001) if r % 100 == i) for i in range(100)]


def test_json_round_trip_is_compact() -> None:
    blame = blame_history([(1, "a\nb\nc\n"), (2, "a\nB\nc\nü\n")])
    data = to_json(blame)
    assert from_json(data) == blame
    assert '"revs":[[1,1],[2,1],[1,1],[2,1]]' in data
    assert "ü" in data  # stored as UTF-8, not escaped
    assert from_json(to_json([])) == []


@pytest.mark.parametrize(
    "data",
    [
        "",
        "[]",
        "{}",
        '{"v":2,"text":[],"revs":[]}',
        '{"v":1,"text":["a"],"revs":[]}',
        '{"v":1,"text":[1],"revs":[[1,1]]}',
    ],
)
def test_from_json_rejects_bad_data(data: str) -> None:
    with pytest.raises(ValueError):
        from_json(data)


_body = st.lists(st.sampled_from(["a", "b", "c", "", "d e"]), max_size=10).map("\n".join)


@settings(max_examples=200)
@given(st.lists(_body, min_size=1, max_size=6))
def test_blame_text_is_always_the_last_body(bodies: list[str]) -> None:
    history = list(enumerate(bodies, 1))
    blame = blame_history(history)
    assert [line.text for line in blame] == split_lines(normalize_newlines(bodies[-1]))
    assert all(1 <= line.rev <= len(bodies) for line in blame)
    # A line attributed to revision r exists in revision r's body.
    for line in blame:
        assert line.text in split_lines(bodies[line.rev - 1])
    assert from_json(to_json(blame)) == blame
