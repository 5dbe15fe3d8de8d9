"""Property tests for search: ``parse_query`` never raises and the Whoosh backend answers
any query (and any suggestion prefix) without an exception, with escaped snippets.

test_search_query.py and test_search_index.py run a fixed list of hostile queries; these
generate queries from the query syntax's own pieces and from arbitrary Unicode.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_search_index import PAGES
from wiki.search.query import MAX_QUERY_LENGTH, ParsedQuery, parse_query, parse_synonyms
from wiki.search.whoosh.backend import SearchResults, WhooshBackend

# Pieces of the query language (operators, fields, filters, quoting) and of hostile input.
SYNTAX = [
    "OR", "AND", "NOT", "-", '"', "(", ")", "*", "?", "~", "^", ":", "title:", "tag:",
    "author:", "under:", "updated:>", "updated:<", "2026-01-01", "[", "]", "{", "}", " TO ",
    "\\", "/", "'", "celery", "django", "orm", "Django/ORM", "setup", "k8s", "x", " ", "  ",
    "\t", "\n", "\x00", "\u202e", "\u200b", "😀", "ﬁ", "İ", "ß", "<script>", "&amp;", "%",
    "select_related", "CELERY_BROKER_URL", "e\u0301",
]  # fmt: skip
queries = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(SYNTAX) | st.text(max_size=3), max_size=25).map("".join),
    st.text(min_size=MAX_QUERY_LENGTH - 5, max_size=MAX_QUERY_LENGTH + 50),
)
SYNONYMS = parse_synonyms("k8s = kubernetes\ncelery = task queue\norm = object relational mapper")
FUZZ = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(queries, st.booleans())
def test_parse_query_never_raises_and_keeps_its_limits(q: str, with_synonyms: bool) -> None:
    parsed = parse_query(q, SYNONYMS if with_synonyms else None)
    assert isinstance(parsed, ParsedQuery)
    assert parsed.original == q[:MAX_QUERY_LENGTH]
    assert parsed.truncated == (len(q) > MAX_QUERY_LENGTH)
    for text in (*parsed.text_terms, parsed.title_text):
        assert "\x00" not in text and "\u202e" not in text


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhooshBackend]:
    b = WhooshBackend(str(tmp_path_factory.mktemp("fuzz-index")))
    b.rebuild(PAGES)
    yield b
    b.close()


_MARKUP = re.compile(r"<(?!/?mark>)")


@settings(FUZZ, max_examples=100)
@given(q=queries, page=st.integers(-3, 1000), correct=st.booleans())
def test_whoosh_search_answers_any_query(
    backend: WhooshBackend, q: str, page: int, correct: bool
) -> None:
    results = backend.search(parse_query(q, SYNONYMS), page=page, per_page=5, correct=correct)
    assert isinstance(results, SearchResults)
    assert results.total >= len(results.hits) >= 0
    assert len(results.hits) <= 5
    for hit in results.hits:
        assert not _MARKUP.search(hit.snippet_html), hit.snippet_html  # only <mark> tags
        assert hit.title in {p.title for p in PAGES}


@settings(FUZZ, max_examples=100)
@given(prefix=queries, limit=st.integers(-1, 20))
def test_whoosh_suggest_answers_any_prefix(backend: WhooshBackend, prefix: str, limit: int) -> None:
    titles = backend.suggest(prefix, limit=limit)
    assert len(titles) <= max(limit, 0)
    assert set(titles) <= {p.title for p in PAGES}


def test_the_fuzzed_backend_really_finds_pages(backend: WhooshBackend) -> None:
    assert backend.search(parse_query("celery")).total >= 3
    assert "Django/ORM" in backend.suggest("Django/O")
