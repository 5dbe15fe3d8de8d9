"""Tests for wiki.search.snippets: escaped, highlighted result snippets."""

from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.search.snippets import (
    WordMarks,
    _match_spans,
    _token_marks,
    make_snippet,
    marked_snippet,
    plain_snippet,
)
from wiki.search.text import WORD_RE


def test_snippet_escapes_everything_but_mark() -> None:
    text = "Intro <script>alert('x')</script> & then celery_beat runs & Celery too."
    snippet = make_snippet(text, lambda word: word == "celery")
    assert snippet is not None
    assert "<script" not in snippet and "&lt;script&gt;" in snippet
    assert "&amp;" in snippet and "&#x27;x&#x27;" in snippet
    assert snippet.count("<mark>") == 2 and "<mark>Celery</mark>" in snippet
    assert "<mark>celery</mark>_beat" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_snippet_window_and_misses() -> None:
    text = ("filler words here " * 40) + "the needle is here " + ("more filler " * 40)
    snippet = make_snippet(text, lambda word: word == "needle")
    assert snippet is not None and "<mark>needle</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) < 300
    assert make_snippet(text, lambda word: False) is None
    assert plain_snippet("<b>bold</b> " * 100).startswith("&lt;b&gt;bold")
    assert len(plain_snippet("word " * 200)) <= 250


def test_marked_snippet_escapes_text_and_pairs_sentinels() -> None:
    text = "a <script>alert(1)</script> \x02celery\x03 & \x02beat\x03"
    out = marked_snippet(text, "\x02", "\x03")
    assert out == (
        "a &lt;script&gt;alert(1)&lt;/script&gt; <mark>celery</mark> &amp; <mark>beat</mark>"
    )


def test_marked_snippet_drops_unpaired_sentinels() -> None:
    assert marked_snippet("\x03x \x02y", "\x02", "\x03") == "x <mark>y</mark>"
    assert marked_snippet("\x02\x03z", "\x02", "\x03") == "z"


def test_marks_shared_by_the_snippets_of_one_search() -> None:
    asked: list[str] = []

    def is_match(word: str) -> bool:
        asked.append(word)
        return word in ("celery", "beat")

    marks = WordMarks(is_match)
    first = make_snippet("Run celery beat next to the celery_worker.", marks)
    assert first == "Run <mark>celery</mark> <mark>beat</mark> next to the " + (
        "<mark>celery</mark>_worker."
    )
    count = len(asked)
    second = make_snippet("The celery beat again, next to nothing.", marks)
    assert second == "The <mark>celery</mark> <mark>beat</mark> again, next to nothing."
    assert len(asked) - count == 3  # only "again", "nothing" and "The" are new
    assert make_snippet("Nothing here matches at all.", marks) is None


_SYMBOLS = st.sampled_from(list(" .-+#@/_\n\tÉé") + ["C++", "N+1", ".NET", "a.b", "x/2", "é"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(min_size=1, max_size=8), _SYMBOLS), max_size=40))
def test_match_spans_are_those_of_each_token_in_place(parts: list[str]) -> None:
    """The one-scan walk (the text split around its tokens) marks what marking each token
    that WORD_RE finds, where it finds it, marks."""
    text = "".join(parts)

    def is_match(word: str) -> bool:
        return len(word) % 2 == 0 or "+" in word

    expected = [
        (m.start() + s, m.start() + e, key)
        for m in WORD_RE.finditer(text)
        for s, e, key in _token_marks(m.group(), is_match)
    ]
    assert list(_match_spans(text, WordMarks(is_match))) == expected
