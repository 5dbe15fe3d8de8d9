"""The code-aware analyzer's indexing fast path makes the same terms as its stages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import CompositeAnalyzer

from wiki.search.whoosh.schema import ANALYZER, CodeAnalyzer

WORDS = st.sampled_from(
    "select_related getElementById the a of Docker docker-compose.yml v1.2.3 rest_framework"
    " HTTPServer ünïcode 東京 x I running runs __init__ _private 42 a-b-c X_Y_Z".split()
)
TEXTS = st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=40).map(" ".join)


def _stages(text: str, **kwargs) -> list[tuple]:
    return [
        (t.text, getattr(t, "pos", None), t.boost, t.part)
        for t in CompositeAnalyzer.__call__(ANALYZER, text, **kwargs)
    ]


def _fast(text: str, **kwargs) -> list[tuple]:
    return [(t.text, getattr(t, "pos", None), t.boost, t.part) for t in ANALYZER(text, **kwargs)]


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(0, 5))
def test_indexing_terms_and_positions_match_the_stages(text, start_pos):
    kwargs = {"positions": True, "boosts": True, "mode": "index", "start_pos": start_pos}
    assert _fast(text, **kwargs) == _stages(text, **kwargs)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_query_terms_match_the_stages(text):
    assert _fast(text, positions=True) == _stages(text, positions=True)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_spelling_words_match_the_stages(text):
    assert [t[0] for t in _fast(text, no_morph=True)] == [
        t[0] for t in _stages(text, no_morph=True)
    ]


def test_identifier_parts_share_the_position_and_stems_apply():
    terms = _fast("Running select_related", positions=True, mode="index")
    assert [pos for _, pos, _, _ in terms] == [0, 1, 1, 1]
    assert [part for *_, part in terms] == [False, False, True, True]
    assert terms[0][0] != "running"  # stemmed
    assert terms[2][0] == "select"


def test_query_and_highlight_calls_use_the_stages():
    assert isinstance(ANALYZER, CodeAnalyzer)
    chars = [(t.text, t.startchar, t.endchar) for t in ANALYZER("a select_related", chars=True)]
    assert ("select", 2, 8) in chars and ("relat", 9, 16) in chars
