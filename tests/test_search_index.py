"""wiki.search.whoosh.backend: the Whoosh backend, its ranking, durability and concurrency."""

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.test_search_query import HOSTILE_QUERIES
from wiki.search.query import parse_query, parse_synonyms
from wiki.search.whoosh import write as whoosh_write
from wiki.search.whoosh.backend import (
    IndexCorrupt,
    SearchDoc,
    SearchResults,
    WhooshBackend,
    is_healthy,
)

JAN = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def doc(
    page_id: int,
    title: str,
    body: str = "",
    *,
    headings: str = "",
    code: str = "",
    tags: tuple[str, ...] = (),
    author: str = "alice",
    updated: datetime = JAN,
    rev: int = 1,
) -> SearchDoc:
    return SearchDoc(page_id, title, body, headings, code, tags, author, updated, rev)


PAGES = [
    doc(1, "Celery", "Setting up the worker process.", tags=("python", "queue")),
    doc(
        2,
        "Celery tips",
        "Celery celery celery: run celery beat next to celery workers.",
        headings="Celery in production",
        author="Bob",
    ),
    doc(3, "Task queues", "Celery and RQ are task queues. " * 3, tags=("queue",)),
    doc(4, "Redis", "An in-memory data store.", author="carol", updated=JAN - timedelta(days=400)),
    doc(5, "Caching", "Use redis for caching: redis redis redis keeps hot data in redis."),
    doc(6, "Django", "The web framework for perfectionists.", tags=("python", "web")),
    doc(
        7,
        "Django/ORM",
        "Avoid N+1 queries with select_related.",
        code="Book.objects.select_related('author')",
        tags=("python",),
    ),
    doc(8, "Django/ORM/Migrations", "Run makemigrations then migrate."),
    doc(9, "Djangonauts", "People who use Django."),
    doc(
        10,
        "Frontend notes",
        "Find nodes with getElementById; deploy with docker-compose.yml.",
        code="@shared_task\ndef send(): pass\nfrom rest_framework.permissions import IsAdminUser",
    ),
    doc(11, "Settings", "Set CELERY_BROKER_URL to the Redis address.", author="bob"),
    doc(12, "Kubernetes", "Deploying containers on Kubernetes clusters."),
    doc(13, "Cluster ops", "Our k8s cluster runbook."),
    doc(14, "XSS notes", "Never echo <script>alert('owned')</script> into celery logs."),
    doc(15, "Setup", "Nothing to see."),
    doc(
        16,
        "Setup setup checklist",
        "Setup: setup the setup before setup.",
        headings="Setup steps\nSetup",
        code="setup()",
    ),
]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhooshBackend]:
    b = WhooshBackend(str(tmp_path_factory.mktemp("index")))
    b.rebuild(PAGES)
    yield b
    b.close()


def search(b: WhooshBackend, q: str, **kwargs: object) -> SearchResults:
    return b.search(parse_query(q, kwargs.pop("synonyms", None)), **kwargs)  # type: ignore[arg-type]


def titles(results: SearchResults) -> list[str]:
    return [hit.title for hit in results.hits]


def test_exact_title_ranks_first(backend: WhooshBackend) -> None:
    results = search(backend, "celery")
    assert titles(results)[:2] == ["Celery", "Celery tips"]
    assert results.exact_title == "Celery"


def test_exact_title_ranks_first_even_with_a_lower_score(backend: WhooshBackend) -> None:
    results = search(backend, "setup")
    assert titles(results) == ["Setup", "Setup setup checklist"]
    # The checklist scores higher on relevance alone; the explicit ordering still wins.
    assert results.hits[1].score > results.hits[0].score


def test_title_hit_beats_body_hits(backend: WhooshBackend) -> None:
    # "Caching" says redis five times in its body; "Redis" has it once, in the title.
    assert titles(search(backend, "redis"))[:2] == ["Redis", "Caching"]
    assert titles(search(backend, "deploying"))[0] == "Kubernetes"


def test_exact_title_is_case_and_underscore_insensitive(backend: WhooshBackend) -> None:
    results = search(backend, "django/orm")
    assert titles(results)[0] == "Django/ORM" and results.exact_title == "Django/ORM"
    assert search(backend, "task_queues").exact_title == "Task queues"


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("select_related", "Django/ORM"),
        ("related", "Django/ORM"),
        ("CELERY_BROKER_URL", "Settings"),
        ("broker", "Settings"),
        ("rest_framework.permissions", "Frontend notes"),
        ("permissions", "Frontend notes"),
        ("docker-compose.yml", "Frontend notes"),
        ("compose", "Frontend notes"),
        ("getElementById", "Frontend notes"),
        ("element", "Frontend notes"),
        ("@shared_task", "Frontend notes"),
        ("shared_task", "Frontend notes"),
        ("shared", "Frontend notes"),
        ("IsAdminUser", "Frontend notes"),
    ],
)
def test_code_identifiers_found_whole_and_by_part(
    backend: WhooshBackend, query: str, title: str
) -> None:
    assert title in titles(search(backend, query))


def test_compound_query_falls_back_to_its_parts(backend: WhooshBackend) -> None:
    assert titles(search(backend, "compose-docker")) == ["Frontend notes"]


def test_typo_is_corrected(backend: WhooshBackend) -> None:
    results = search(backend, "celary")
    assert results.corrected_query == "celery"
    assert titles(results)[0] == "Celery"
    nothing = search(backend, "qqqzzzxx")
    assert nothing.total == 0 and nothing.corrected_query is None


def test_a_correction_can_be_offered_instead_of_applied(backend: WhooshBackend) -> None:
    results = backend.search(parse_query("celary"), correct=False)
    assert results.total == 0 and results.hits == ()
    assert results.suggestion == "celery" and results.corrected_query is None
    assert search(backend, "celery").suggestion is None


def test_known_words_are_not_corrected(backend: WhooshBackend) -> None:
    results = search(backend, "celery perfectionists")
    assert results.total == 0 and results.corrected_query is None


def test_synonyms_work_both_ways(backend: WhooshBackend) -> None:
    synonyms = parse_synonyms("k8s = Kubernetes")
    assert titles(search(backend, "k8s")) == ["Cluster ops"]
    both = {"Kubernetes", "Cluster ops"}
    assert set(titles(search(backend, "k8s", synonyms=synonyms))) == both
    assert set(titles(search(backend, "kubernetes", synonyms=synonyms))) == both


def test_snippet_is_escaped_and_highlighted(backend: WhooshBackend) -> None:
    hit = search(backend, "owned").hits[0]
    assert hit.title == "XSS notes"
    assert "<script" not in hit.snippet_html and "&lt;script&gt;" in hit.snippet_html
    assert "<mark>owned</mark>" in hit.snippet_html
    assert "<mark>" in search(backend, "select_related").hits[0].snippet_html


def test_hit_fields(backend: WhooshBackend) -> None:
    hit = search(backend, "perfectionists").hits[0]
    assert (hit.page_id, hit.title, hit.author) == (6, "Django", "alice")
    assert hit.updated == JAN and hit.updated.tzinfo is not None
    assert hit.score > 0


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_hostile_queries_return_results(backend: WhooshBackend, q: str) -> None:
    results = search(backend, q)
    assert results.total == len(results.hits) or results.total > len(results.hits)
    assert results.pages >= 0 and results.page >= 1


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("tag:python", {"Celery", "Django", "Django/ORM"}),
        ("tag:PYTHON tag:web", {"Django"}),
        ("tag:python -tag:web", {"Celery", "Django/ORM"}),
        ("author:bob", {"Celery tips", "Settings"}),
        ("author:bob OR author:carol", {"Celery tips", "Settings", "Redis"}),
        ("author:bob author:carol", {"Celery tips", "Settings", "Redis"}),
        ("under:Django", {"Django", "Django/ORM", "Django/ORM/Migrations"}),
        ("under:django/orm", {"Django/ORM", "Django/ORM/Migrations"}),
        ("under:Django -under:Django/ORM", {"Django"}),
        ("updated:<2025-06-01", {"Redis"}),
        ("redis updated:>2025-06-01", {"Caching", "Settings"}),
        ("celery tag:queue", {"Celery", "Task queues"}),
    ],
)
def test_filters(backend: WhooshBackend, q: str, expected: set[str]) -> None:
    assert set(titles(search(backend, q))) == expected


def test_filter_only_queries_are_newest_first(backend: WhooshBackend) -> None:
    results = search(backend, "author:carol author:alice")
    assert results.total == len(PAGES) - 2
    assert results.hits[-1].title == "Redis"  # the only page older than JAN
    assert all(hit.score == 0.0 for hit in results.hits)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"task queues"', {"Task queues"}),
        ('"queues task"', set()),
        ("celer*", {"Celery", "Celery tips", "Task queues", "Settings", "XSS notes"}),
        ("title:celery", {"Celery", "Celery tips"}),
        ("celery -worker", {"Task queues", "XSS notes", "Settings"}),
        ("redis OR kubernetes", {"Redis", "Caching", "Settings", "Kubernetes"}),
        ("celery NOT title:celery", {"Task queues", "XSS notes", "Settings"}),
    ],
)
def test_query_operators(backend: WhooshBackend, q: str, expected: set[str]) -> None:
    assert set(titles(search(backend, q))) == expected


def test_pagination(backend: WhooshBackend) -> None:
    first = search(backend, "celery", per_page=2)
    assert (first.total, first.pages, first.page, len(first.hits)) == (5, 3, 1, 2)
    last = search(backend, "celery", per_page=2, page=3)
    assert len(last.hits) == 1
    beyond = search(backend, "celery", per_page=2, page=99)
    assert beyond.page == 3 and titles(beyond) == titles(last)
    everything = titles(first) + titles(search(backend, "celery", per_page=2, page=2))
    assert len(set(everything + titles(last))) == 5


def test_suggest(backend: WhooshBackend) -> None:
    assert backend.suggest("dj") == ["Django", "Django/ORM", "Djangonauts", "Django/ORM/Migrations"]
    assert backend.suggest("CEL") == ["Celery", "Celery tips"]
    assert backend.suggest("orm") == ["Django/ORM", "Django/ORM/Migrations"]
    assert backend.suggest("tips") == ["Celery tips"]
    assert backend.suggest("task qu") == ["Task queues"]
    assert backend.suggest("d", limit=2) == ["Django", "Django/ORM"]
    assert backend.suggest("") == [] and backend.suggest("zzz") == []


def test_indexed_revisions(backend: WhooshBackend) -> None:
    assert backend.indexed_revisions() == {page.page_id: page.rev for page in PAGES}


QUERIES_FOR_EQUIVALENCE = [
    "celery",
    "redis",
    "django",
    "select_related",
    "celer*",
    '"task queues"',
    "tag:python",
    "under:Django",
    "celary",
    "redis OR django",
]


def test_rebuild_matches_incremental_index(tmp_path: Path) -> None:
    incremental = WhooshBackend(str(tmp_path / "inc"))
    for start in range(0, len(PAGES), 3):
        incremental.apply(PAGES[start : start + 3], [])
    incremental.apply([doc(5, "Caching", "Now about memcached.", rev=2)], [13])
    final = [p for p in PAGES if p.page_id not in (5, 13)] + [
        doc(5, "Caching", "Now about memcached.", rev=2)
    ]
    rebuilt = WhooshBackend(str(tmp_path / "full"))
    assert rebuilt.rebuild(final) == len(final)
    for q in QUERIES_FOR_EQUIVALENCE + ["memcached", "k8s"]:
        a, b = search(incremental, q), search(rebuilt, q)
        assert set(titles(a)) == set(titles(b)), q
        assert titles(a)[:1] == titles(b)[:1], q
        assert a.total == b.total, q
        assert a.corrected_query == b.corrected_query
    assert incremental.indexed_revisions() == rebuilt.indexed_revisions()


def test_stale_update_does_not_replace_newer_revision(tmp_path: Path) -> None:
    b = WhooshBackend(str(tmp_path))
    b.apply([doc(1, "Page", "new text", rev=3)], [])
    b.apply([doc(1, "Page", "old text", rev=2)], [])
    assert b.indexed_revisions() == {1: 3}
    assert search(b, "old").total == 0
    b.apply([doc(1, "Page", "retagged text", rev=3, tags=("x",))], [])
    assert search(b, "tag:x").total == 1
    b.apply([], [1])
    assert b.indexed_revisions() == {}


def test_total_counts_every_match_however_the_index_is_split(tmp_path: Path) -> None:
    """Matches that cannot reach the first page (here: only in code, weighted lowest) still
    count, in one segment or many."""
    pages = [doc(n, f"Kettle {n}", "Boils water.") for n in range(1, 31)]
    pages += [doc(n, f"Script {n}", "Other text.", code="kettle()") for n in range(31, 51)]
    whole, split = WhooshBackend(str(tmp_path / "a")), WhooshBackend(str(tmp_path / "b"))
    whole.rebuild(pages)
    for start in range(0, len(pages), 6):
        split.apply(pages[start : start + 6], [])
    for b in (whole, split):
        results = search(b, "kettle", per_page=5)
        assert (results.total, results.pages) == (50, 10)
        assert titles(search(b, "kettle", page=10, per_page=5))[0].startswith("Script")


def test_maintain_merges_small_segments_after_many_commits(tmp_path: Path) -> None:
    b = WhooshBackend(str(tmp_path))
    b.rebuild(PAGES[:3])
    assert not b.maintain()  # one segment: nothing to merge
    for page in PAGES[3:]:
        b.apply([page], [])  # one commit (one small segment) each
    before = {q: set(titles(search(b, q))) for q in QUERIES_FOR_EQUIVALENCE}
    assert b.maintain()
    assert not b.maintain()
    assert {q: set(titles(search(b, q))) for q in QUERIES_FOR_EQUIVALENCE} == before
    assert b.indexed_revisions() == {page.page_id: page.rev for page in PAGES}


def _segment_sizes(b: WhooshBackend) -> list[int]:
    return sorted(segment.doc_count_all() for segment in b._index()[0]._segments())


def _live_sizes(b: WhooshBackend) -> list[int]:
    return sorted(segment.doc_count() for segment in b._index()[0]._segments())


def test_maintain_merges_only_the_smallest_segments_within_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A merge holds the write lock and the next save's indexing waits behind it, so the
    merges that run after syncs stay small; optimize() merges the rest."""
    monkeypatch.setattr(whoosh_write, "MERGE_MAX_DOCS", 3)
    b = WhooshBackend(str(tmp_path))
    b.rebuild(PAGES[:5])  # one segment larger than the budget
    for page in PAGES[5:12]:
        b.apply([page], [])  # one segment each: 8 in all, more than MERGE_AT
    before = {q: set(titles(search(b, q))) for q in QUERIES_FOR_EQUIVALENCE}
    assert b.maintain()
    assert _segment_sizes(b) == [1, 1, 1, 1, 3, 5]  # the three smallest, not the large one
    assert not b.maintain()  # 6 segments: no more than MERGE_AT
    assert {q: set(titles(search(b, q))) for q in QUERIES_FOR_EQUIVALENCE} == before
    assert b.optimize() == 6
    assert _segment_sizes(b) == [12]
    assert b.optimize() == 1 and _segment_sizes(b) == [12]  # nothing left to merge
    assert {q: set(titles(search(b, q))) for q in QUERIES_FOR_EQUIVALENCE} == before
    assert b.indexed_revisions() == {page.page_id: page.rev for page in PAGES[:12]}


def test_maintain_leaves_a_segment_larger_than_the_smaller_ones_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merges go in tiers: on a small wiki (within MERGE_MAX_DOCS) a merge used to rewrite
    the whole index every time."""
    monkeypatch.setattr(whoosh_write, "SMALL_SEGMENT_DOCS", 2)
    b = WhooshBackend(str(tmp_path))
    b.rebuild(PAGES[:8])
    for page in PAGES[8:15]:
        b.apply([page], [])  # 7 one-document segments beside one of 8
    before = {q: set(titles(search(b, q))) for q in QUERIES_FOR_EQUIVALENCE}
    assert b.maintain()
    assert _segment_sizes(b) == [7, 8]  # the 8 waits until smaller ones add up to it
    assert {q: set(titles(search(b, q))) for q in QUERIES_FOR_EQUIVALENCE} == before
    assert not b.maintain()
    b.apply([PAGES[15]], [])
    for page in PAGES[:4]:
        b.apply([page], [])  # replaced: 4 live documents are left in the segment of 8
    assert _live_sizes(b) == [1, 1, 1, 1, 1, 4, 7]
    before = {q: set(titles(search(b, q))) for q in QUERIES_FOR_EQUIVALENCE}
    assert b.maintain()
    assert _segment_sizes(b) == [16]  # the 1s hold 5: the 4 joins them, then the 7
    assert {q: set(titles(search(b, q))) for q in QUERIES_FOR_EQUIVALENCE} == before
    assert b.indexed_revisions() == {page.page_id: page.rev for page in PAGES}


def test_a_segment_whose_documents_were_all_replaced_is_dropped(tmp_path: Path) -> None:
    """Every search opens every segment listed: an emptied one goes at the next commit,
    with nothing to merge (on a busy page, most are)."""
    b = WhooshBackend(str(tmp_path))
    b.rebuild(PAGES[:3])
    b.apply([PAGES[3]], [])
    assert _segment_sizes(b) == [1, 3]
    b.apply([doc(4, "Redis", "A data store, now with streams.", rev=2)], [])
    assert _segment_sizes(b) == [1, 3]  # the first segment of Redis is gone
    assert titles(search(b, "streams")) == ["Redis"]
    b.apply([], [4])
    assert _segment_sizes(b) == [3]
    assert titles(search(b, "redis")) == []
    assert b.indexed_revisions() == {page.page_id: 1 for page in PAGES[:3]}


def test_maintain_writes_nothing_when_no_two_segments_fit_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit merging nothing would still write a new generation of the index, which
    every searcher would then reopen, after every sync."""
    monkeypatch.setattr(whoosh_write, "MERGE_MAX_DOCS", 1)
    b = WhooshBackend(str(tmp_path))
    for page in PAGES[:8]:
        b.apply([page], [])  # 8 one-document segments: more than MERGE_AT, no two fit in 1
    generation = b._index()[0].latest_generation()
    assert not b.maintain()
    assert b._index()[0].latest_generation() == generation
    assert _segment_sizes(b) == [1] * 8


def test_maintain_never_waits_for_the_lock(tmp_path: Path) -> None:
    b = WhooshBackend(str(tmp_path))
    for page in PAGES:
        b.apply([page], [])
    writer = WhooshBackend(str(tmp_path))._locked_writer()  # another process is writing
    try:
        assert not b.maintain()
    finally:
        writer.cancel()
    assert b.maintain()


def test_searches_go_on_when_a_merge_removes_a_segment_while_the_searcher_reopens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process merged segments between this reader's look at the table of contents
    and its opening of one of them: Whoosh retries; searches must not fail, now or later."""
    from whoosh import reading

    reader_b, writer_b = WhooshBackend(str(tmp_path)), WhooshBackend(str(tmp_path))
    for page in PAGES[:4]:
        writer_b.apply([page], [])  # a few segments
    assert search(reader_b, "celery").total == 3
    writer_b.apply([doc(50, "Fresh", "celery news")], [])
    real_init = reading.SegmentReader.__init__
    failures = [1]

    def gone_once(self, *args, **kwargs):
        if failures:
            failures.pop()
            raise OSError("segment file removed by a merge")
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(reading.SegmentReader, "__init__", gone_once)
    for _ in range(3):
        assert search(reader_b, "celery").total == 4
    assert not failures  # the opening did fail once


def test_concurrent_apply_from_many_backends_loses_nothing(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        b = WhooshBackend(str(tmp_path))
        try:
            for i in range(5):
                page_id = n * 100 + i
                b.apply([doc(page_id, f"Page {page_id}", f"thread{n} item{i}", rev=i + 1)], [])
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            b.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    revisions = WhooshBackend(str(tmp_path)).indexed_revisions()
    assert revisions == {n * 100 + i: i + 1 for n in range(8) for i in range(5)}


def test_backend_follows_a_rebuild_by_another_instance(tmp_path: Path) -> None:
    first, second = WhooshBackend(str(tmp_path)), WhooshBackend(str(tmp_path))
    first.apply(PAGES[:2], [])
    assert search(first, "celery").total == 2
    assert first.needs_rebuild()  # it created the index, so pages may be missing
    second.rebuild(PAGES[2:5])
    assert not first.needs_rebuild()
    assert set(titles(search(first, "redis"))) == {"Redis", "Caching"}
    first.apply([doc(99, "Late", "written after the rebuild")], [])
    assert search(second, "late").total == 1
    assert len([n for n in os.listdir(tmp_path) if n.startswith("gen-")]) == 1


def test_missing_index_is_created_and_asks_for_rebuild(tmp_path: Path) -> None:
    b = WhooshBackend(str(tmp_path / "new"))
    assert b.needs_rebuild()
    assert search(b, "anything").total == 0 and search(b, "tag:x").total == 0
    assert b.suggest("any") == [] and b.indexed_revisions() == {}
    progress: list[int] = []
    assert b.rebuild(PAGES, progress.append) == len(PAGES)
    assert progress[-1] == len(PAGES)
    assert not b.needs_rebuild() and not WhooshBackend(str(tmp_path / "new")).needs_rebuild()


@pytest.mark.parametrize("damage", ["delete", "garble", "toc"])
def test_corrupt_index_is_detected_and_rebuilt(tmp_path: Path, damage: str) -> None:
    WhooshBackend(str(tmp_path)).rebuild(PAGES)
    live = tmp_path / os.readlink(tmp_path / "CURRENT")
    pattern = "*.toc" if damage == "toc" else "*.seg"
    for path in live.glob(pattern):
        if damage == "delete":
            path.unlink()
        else:
            path.write_bytes(b"\x00garbage" * 64)
    assert not is_healthy(str(tmp_path))
    b = WhooshBackend(str(tmp_path))
    assert b.needs_rebuild()
    with pytest.raises(IndexCorrupt):
        search(b, "celery")
    with pytest.raises(IndexCorrupt):
        b.apply([doc(1, "Celery")], [])
    assert b.rebuild(PAGES) == len(PAGES)
    assert not b.needs_rebuild() and is_healthy(str(tmp_path))
    assert titles(search(b, "celery"))[0] == "Celery"


def test_corrections_follow_words_added_after_a_misspelling_was_corrected(
    tmp_path: Path,
) -> None:
    # Each segment remembers what is near a misspelt word; a later save adds a segment,
    # whose words must count as if nothing had been remembered.
    b = WhooshBackend(str(tmp_path / "index"))
    b.rebuild([doc(1, "Kettle", "Descale the kettle."), doc(2, "Stripes", "Zebras graze.")])
    assert search(b, "kettlle").corrected_query == "kettle"
    assert search(b, "quokkka").total == 0 and search(b, "quokkka").corrected_query is None
    assert search(b, "zebbra").corrected_query == "zebras"  # two edits away
    b.apply([doc(3, "Quokka", "A quokka.")], [])
    b.apply([doc(4, "Zebra", "A zebra.")], [])
    assert search(b, "quokkka").corrected_query == "quokka"
    assert search(b, "zebbra").corrected_query == "zebra"  # one edit away, newer segment
    b.close()
