"""wiki.text.numbers: the one parser for numbers people type into URLs and forms."""

import pytest

from wiki.text.numbers import whole_number


@pytest.mark.parametrize("value, expected", [("", None), (None, None), ("1", 1), ("042", 42)])
def test_whole_numbers(value, expected):
    assert whole_number(value) == expected


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "abc", "²", "１", " 1", "1" * 10])
def test_anything_else_is_refused(value):
    with pytest.raises(ValueError):
        whole_number(value)


def test_minimum_and_length_are_the_callers():
    assert whole_number("0", minimum=0) == 0
    assert whole_number("1234567", max_digits=7) == 1234567
    with pytest.raises(ValueError):
        whole_number("1234567", max_digits=6)
