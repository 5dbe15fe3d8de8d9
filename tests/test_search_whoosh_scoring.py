"""wiki.search.whoosh.scoring: searches of words scored over postings kept per segment give
Whoosh's own results (same pages, order, scores and count), across segments, deletions and
later commits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from whoosh import query as wq

from wiki.search.documents import SearchDoc
from wiki.search.query import parse_query, parse_synonyms
from wiki.search.whoosh import query as whoosh_query
from wiki.search.whoosh.backend import WhooshBackend
from wiki.search.whoosh.scoring import PostingsCache, top_documents

JAN = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
WORDS = "list files archive tar zip docker container image network git commit log".split()


def doc(page_id: int, title: str, body: str, rev: int = 1, code: str = "") -> SearchDoc:
    return SearchDoc(page_id, title, body, "", code, (), "alice", JAN, rev)


def pages(start: int, count: int, rev: int = 1) -> list[SearchDoc]:
    out = []
    for n in range(start, start + count):
        words = [WORDS[n % 2], WORDS[2 + n % 3]] + [WORDS[(n * k) % len(WORDS)] for k in (1, 3, 7)]
        title = f"{words[0]}-{words[1]} {n}" if n % 3 else f"{words[0]} {words[1]}"
        body = " ".join(words * (1 + n % 4)) + f" page{n} select_related"
        out.append(doc(n, title, body, rev, code=f"{words[2]} --{words[3]}"))
    return out


@pytest.fixture
def backend(tmp_path) -> WhooshBackend:
    backend = WhooshBackend(str(tmp_path / "index"))
    backend.rebuild(pages(1, 40))
    backend.apply(pages(41, 15), [])  # a second segment
    backend.apply(pages(5, 6, rev=2), [3, 4])  # replaced and removed pages: deletions
    yield backend
    backend.close()


QUERIES = [
    "list files",
    "list archive",
    "archive list",
    "git",
    "docker container image",
    "tar",
    "list-files",
    "select_related",
    "zip network nothingmatches",
    "DRF",
    "git 7",
]


def results(backend: WhooshBackend, q: str, page: int, cache: PostingsCache | None):
    parsed = parse_query(q, parse_synonyms("DRF = docker container\n"))
    with backend._reading() as searcher:
        return whoosh_query.run_search(searcher, parsed, page, 5, cache)


@pytest.mark.parametrize("q", QUERIES)
def test_words_score_as_whoosh_scores_them(backend, q) -> None:
    cache = PostingsCache()
    for page in (1, 2):
        slow, fast = results(backend, q, page, None), results(backend, q, page, cache)
        assert fast.total == slow.total and fast.pages == slow.pages
        assert [h.title for h in fast.hits] == [h.title for h in slow.hits]
        assert [h.score for h in fast.hits] == pytest.approx([h.score for h in slow.hits])
    assert results(backend, "list archive", 1, cache).total > 5  # more than a page of hits


def test_a_kept_cache_sees_later_commits_and_deletions(backend) -> None:
    cache = PostingsCache()
    before = results(backend, "archive", 1, cache)
    assert before.total > 0
    gone = before.hits[0].page_id
    backend.apply([doc(99, "Archive notes", "archive archive archive")], [gone])
    after = results(backend, "archive", 1, cache)
    titles = [h.title for h in after.hits]
    assert titles[0] == "Archive notes" and gone not in {h.page_id for h in after.hits}
    assert after.total == before.total  # one page more, one less
    assert [h.title for h in results(backend, "archive", 1, None).hits] == titles


def test_only_trees_of_words_are_scored_here(backend) -> None:
    cache = PostingsCache()
    with backend._reading() as searcher:
        words = wq.And([wq.Term("body", "list"), wq.Term("body", "file")])
        assert top_documents(searcher, words, 10, cache) is not None
        phrase = wq.Phrase("body", ["list", "file"])
        assert top_documents(searcher, phrase, 10, cache) is None
        assert top_documents(searcher, wq.Or([words, phrase]), 10, cache) is None


def test_raw_scores_with_tiers_are_whooshs(backend) -> None:
    from whoosh.collectors import TopCollector

    def either(word: str) -> wq.Query:
        fields = (("title", 5.0), ("body", 1.0), ("code", 0.5))
        return wq.Or([wq.Term(name, word, boost=boost) for name, boost in fields])

    both = wq.And([either("list"), either("archiv")])
    in_title = wq.And([wq.Term("title", "list"), wq.Term("title", "archiv")])
    tree = wq.Or([wq.AndMaybe(both, wq.ConstantScoreQuery(in_title, 1e6)), either("tar")])
    with backend._reading() as searcher:
        collector = TopCollector(limit=100, usequality=False, replace=0)
        searcher.search_with_collector(tree, collector)
        expected = [(hit.docnum, hit.score) for hit in collector.results()]
        total, top = top_documents(searcher, tree, 100, PostingsCache())
    assert total == len(expected) and [d for d, _ in top] == [d for d, _ in expected]
    assert [s for _, s in top] == pytest.approx([s for _, s in expected])
    assert any(s > 1e6 for _, s in top) and any(s < 1e6 for _, s in top)


def test_an_empty_index_has_no_documents(tmp_path) -> None:
    backend = WhooshBackend(str(tmp_path / "empty"))
    try:
        assert backend.search(parse_query("list files")).total == 0
        assert backend.suggest("li") == []
        with backend._reading() as searcher:
            assert top_documents(searcher, wq.Term("body", "list"), 5, PostingsCache()) == (0, [])
    finally:
        backend.close()
