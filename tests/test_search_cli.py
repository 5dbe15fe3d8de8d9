"""``flask search reindex`` and ``flask search check``, on every (database, search backend) pair."""

import pytest

from tests import search_support
from tests.search_support import put
from wiki.search import service as search_service
from wiki.search.whoosh import write as whoosh_write

# Every test here runs on each (database, search backend) pair.
search_case, backend, app_config = (
    search_support.search_case,
    search_support.backend,
    search_support.app_config,
)


@pytest.fixture
def wiki(app, editor):
    with app.app_context():
        yield app
        search_service.close()


def _fail(*args, **kwargs):
    raise RuntimeError("the index is down")


def test_check_passes_after_writes_and_fails_when_an_entry_is_stale(wiki, runner, monkeypatch):
    put("Celery", "A task queue.")
    put("Redis", "A data store.")
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "The search index is up to date (2 pages)." in result.output

    backend_class = type(search_service._state().backend)
    monkeypatch.setattr(backend_class, "apply", _fail)
    put("Celery", "A distributed task queue.")
    put("Kafka", "An event log.")
    monkeypatch.undo()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "1 pages missing from the index:\n  Kafka" in result.output
    assert "1 pages stale in the index (older revision):\n  Celery" in result.output
    assert "search reindex" in result.output


def test_reindex_shows_progress_and_the_count_then_check_passes(wiki, runner, monkeypatch):
    for n in range(3):
        put(f"Page {n}", f"Body {n}.")
    monkeypatch.setattr(type(search_service._state().backend), "apply", _fail)
    put("Late", "Never indexed.")
    monkeypatch.undo()
    assert runner.invoke(args=["search", "check"]).exit_code == 1
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexing 4 pages" in result.output and "Indexed 4 pages." in result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert [h.title for h in search_service.search("never").results.hits] == ["Late"]


def test_check_reports_entries_of_deleted_pages(wiki, runner, monkeypatch):
    from wiki.structure import service as structure_service

    put("Gone", "Soon deleted.")
    monkeypatch.setattr(type(search_service._state().backend), "apply", _fail)
    structure_service.delete_page("Gone", search_support.user("alice"))
    monkeypatch.undo()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "1 pages in the index but deleted or gone:\n  Gone" in result.output


def test_optimize_leaves_every_search_answering_as_before(wiki, runner):
    food = ["urchin", "clam", "crab", "mussel", "abalone", "squid", "snail", "shrimp"]
    for n, eats in enumerate(food):  # one index segment per save on Whoosh
        put(f"Otter {n}", f"Otter number {n} eats {eats}.")
    before = [h.title for h in search_service.search("otter").results.hits]
    result = runner.invoke(args=["search", "optimize"])
    assert result.exit_code == 0, result.output
    assert "Optimizing the search index" in result.output and "Done in" in result.output
    assert [h.title for h in search_service.search("otter").results.hits] == before
    assert [h.title for h in search_service.search("abalone").results.hits] == ["Otter 4"]
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_import_optimizes_the_search_index_afterwards(wiki, runner, tmp_path, monkeypatch):
    monkeypatch.setattr(whoosh_write, "MERGE_MAX_DOCS", 1)  # saves merge nothing on their own
    for n in range(3):
        put(f"Pond {n}", "Still water.")
    for n, builds in enumerate(["dams", "lodges", "canals"]):
        (tmp_path / f"Beaver {n}.md").write_text(f"Beaver {n} builds {builds}.\n")
    result = runner.invoke(args=["import", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Optimizing the search index" in result.output
    assert [h.title for h in search_service.search("lodges").results.hits] == ["Beaver 1"]
    if search_service.backend_name() == "whoosh":
        segments = search_service._state().backend._index()[0]._segments()
        assert len(segments) == 1
