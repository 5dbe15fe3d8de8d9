"""Tests for wiki.text.titles: every title rule, the URL form, and hierarchy helpers."""

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wiki.text.titles import (
    MAX_TITLE_LENGTH,
    TitleError,
    ancestors,
    leaf_name,
    normalize_title,
    path_to_title,
    segments,
    title_to_path,
    top_level,
)

FORBIDDEN = "#?%[]{}|\\<>"
BIDI = [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f"]
BIDI.append("\u061c")
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
CONTROLS = ["\x00", "\r", "\n", "\t", "\x07", "\x1f", "\x7f", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Home", "Home"),
        ("Django_REST_Framework", "Django REST Framework"),
        ("  padded  ", "padded"),
        ("many    inner   spaces", "many inner spaces"),
        ("a / b", "a/b"),
        ("Django / ORM / Queries", "Django/ORM/Queries"),
        ("__lead_and_trail__", "lead and trail"),
        ("ＡＢＣ", "ABC"),  # fullwidth letters -> ASCII under NFKC
        ("caf\u0065\u0301", "caf\u00e9"),  # decomposed accent -> composed
        ("a\u00a0b", "a b"),  # no-break space is a space after NFKC
        ("a\u3000b", "a b"),  # ideographic space
        ("Ünïcödé/日本語", "Ünïcödé/日本語"),
        ("C++ & Co. (2024) !", "C++ & Co. (2024) !"),
        ("...", "..."),  # only exactly "." and ".." are reserved
        ("a.b/.c/d..", "a.b/.c/d.."),
        ("Case", "Case"),
    ],
)
def test_normalize_accepts_and_canonicalises(raw: str, expected: str) -> None:
    assert normalize_title(raw) == expected


@pytest.mark.parametrize("raw", ["", " ", "   ", "_", "___", "\u3000", " _ _ "])
def test_empty_titles_are_rejected(raw: str) -> None:
    with pytest.raises(TitleError, match="empty"):
        normalize_title(raw)


def test_length_limit_is_200_characters_after_normalising() -> None:
    assert normalize_title("x" * MAX_TITLE_LENGTH) == "x" * 200
    with pytest.raises(TitleError, match="at most 200"):
        normalize_title("x" * 201)
    # Surrounding whitespace is trimmed before counting.
    assert normalize_title("  " + "y" * 200 + "  ") == "y" * 200
    # NFKC can expand one character into several; the limit applies to the result.
    with pytest.raises(TitleError, match="at most 200"):
        normalize_title("\ufdfa" * 12)


@pytest.mark.parametrize("char", list(FORBIDDEN))
def test_each_forbidden_character_is_rejected(char: str) -> None:
    with pytest.raises(TitleError, match="cannot contain the character") as info:
        normalize_title(f"before{char}after")
    assert f'"{char}"' in str(info.value)


@pytest.mark.parametrize("raw", ["a＃b", "a？b", "a％b", "a＜b", "a｜b", "a﹟b"])
def test_fullwidth_forms_of_forbidden_characters_are_rejected(raw: str) -> None:
    with pytest.raises(TitleError, match="cannot contain the character"):
        normalize_title(raw)


@pytest.mark.parametrize("char", CONTROLS)
def test_control_characters_are_rejected(char: str) -> None:
    with pytest.raises(TitleError, match="control characters"):
        normalize_title(f"a{char}b")


@pytest.mark.parametrize("char", BIDI)
def test_bidi_characters_are_rejected(char: str) -> None:
    with pytest.raises(TitleError, match="text-direction"):
        normalize_title(f"a{char}b")


@pytest.mark.parametrize("char", ZERO_WIDTH)
def test_zero_width_characters_are_rejected(char: str) -> None:
    with pytest.raises(TitleError, match="zero-width"):
        normalize_title(f"a{char}b")


def test_lone_surrogate_is_rejected() -> None:
    with pytest.raises(TitleError, match="surrogate"):
        normalize_title("a\ud800b")


@pytest.mark.parametrize("raw", ["a//b", "a/ /b", "a/_/b", "a/\u3000/b", "a///b"])
def test_empty_segments_are_rejected_not_merged(raw: str) -> None:
    with pytest.raises(TitleError, match="empty level"):
        normalize_title(raw)


@pytest.mark.parametrize(
    "raw",
    [
        ".",
        "..",
        "a/.",
        "a/..",
        "./a",
        "../a",
        "a/../b",
        "a/ .. /b",
        "a/ . /b",
        "．．",
        "a/．．/b",
        "a/．",
    ],
)
def test_dot_segments_are_rejected(raw: str) -> None:
    with pytest.raises(TitleError, match="just"):
        normalize_title(raw)


@pytest.mark.parametrize(
    ("raw", "word"),
    [
        ("/a", "start"),
        (" /a", "start"),
        ("a/", "end"),
        ("a/ ", "end"),
        ("/", "start"),
        ("／a", "start"),
    ],
)
def test_leading_and_trailing_slashes_are_rejected(raw: str, word: str) -> None:
    with pytest.raises(TitleError, match=word):
        normalize_title(raw)


def test_title_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalize_title("a#b")


def test_non_text_is_rejected_with_title_error() -> None:
    with pytest.raises(TitleError):
        normalize_title(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("title", "path"),
    [
        ("Home", "Home"),
        ("Django REST Framework", "Django_REST_Framework"),
        ("Django/ORM", "Django/ORM"),
        ("C++ & Co.", "C++_&_Co."),
        ("café", "caf%C3%A9"),
        ("a:b@c!$'()*,;=~", "a:b@c!$'()*,;=~"),
        ('say "hi"', "say_%22hi%22"),
        ("a^b`c", "a%5Eb%60c"),
    ],
)
def test_title_to_path(title: str, path: str) -> None:
    assert title_to_path(title) == path


def test_path_to_title_turns_underscores_into_spaces() -> None:
    assert path_to_title("Django_REST_Framework") == "Django REST Framework"
    assert path_to_title("Django/ORM") == "Django/ORM"
    # No validation here: the view validates with normalize_title.
    assert path_to_title("a//b") == "a//b"


def test_hierarchy_helpers() -> None:
    assert segments("Django/ORM") == ["Django", "ORM"]
    assert segments("Home") == ["Home"]
    assert ancestors("A/B/C") == ["A", "A/B"]
    assert ancestors("Home") == []
    assert leaf_name("A/B/C") == "C"
    assert leaf_name("Home") == "Home"
    assert top_level("A/B/C") == "A"
    assert top_level("Home") == "Home"


# Text biased towards the characters the rules care about, plus arbitrary Unicode.
_interesting = st.sampled_from(
    list(FORBIDDEN + "/_ .．／＿\t\n\r\x00") + BIDI + ZERO_WIDTH + ["\u3000", "\u0301", "\ufdfa"]
)
_title_text = st.lists(
    st.one_of(st.characters(), _interesting, st.sampled_from("abc")), max_size=60
).map("".join)


@given(_title_text)
def test_normalize_is_idempotent_safe_and_only_raises_title_error(raw: str) -> None:
    try:
        title = normalize_title(raw)
    except TitleError as error:
        assert str(error)
        return
    assert normalize_title(title) == title
    assert 0 < len(title) <= MAX_TITLE_LENGTH
    assert not set(title) & set(FORBIDDEN + "\t\n\r\x00_")
    assert not set(title) & set(BIDI + ZERO_WIDTH)
    assert title == title.strip()
    assert "  " not in title
    for part in segments(title):
        assert part and part == part.strip() and part not in (".", "..")
    # The URL form round-trips once decoded.
    assert normalize_title(path_to_title(unquote(title_to_path(title)))) == title
