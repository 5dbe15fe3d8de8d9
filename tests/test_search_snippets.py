"""Tests for wiki.search.snippets: escaped, highlighted result snippets."""

from wiki.search.snippets import WordMarks, make_snippet, marked_snippet, plain_snippet


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
