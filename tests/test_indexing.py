"""wiki.search.indexing: the stale-pages table, draining it after commit, and every repair path;
on every (database, search backend) pair."""

import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from tests import search_support
from tests.conftest import save_page
from tests.search_support import CASES, put, titles, user
from wiki import create_app
from wiki.auth.accounts import system_user
from wiki.content import importing
from wiki.extensions import db
from wiki.models import Page, SearchDocument, SearchStale
from wiki.search import indexing
from wiki.search import service as search_service
from wiki.structure import service as structure_service

# Every test here runs on each (database, search backend) pair.
search_case, backend, app_config = (
    search_support.search_case,
    search_support.backend,
    search_support.app_config,
)


class InjectedFault(RuntimeError):
    pass


@pytest.fixture
def wiki(app, editor):
    with app.app_context():
        yield app
        search_service.close()


def _backend_class():
    return type(search_service._state().backend)


def _stale_ids() -> list[int]:
    return sorted(db.session.scalars(select(SearchStale.page_id)))


def _page_id(title: str) -> int:
    return db.session.scalar(select(Page.id).where(Page.title == title))


def _restart(app_config: dict):
    """A new process's app on the same database and index."""
    return create_app(**app_config)


def test_queue_is_part_of_the_callers_transaction(wiki, search_case):
    put("Celery", "A task queue.")
    page_id = _page_id("Celery")
    assert _stale_ids() == []  # the save's sync drained it
    indexing.queue(page_id)
    db.session.rollback()
    assert _stale_ids() == []
    indexing.queue(page_id)
    indexing.queue(page_id)  # queued twice: still one row
    db.session.commit()
    # PostgreSQL search writes the page's row in the transaction and clears the record.
    assert _stale_ids() == ([] if search_case[1] == "postgres" else [page_id])
    indexing.sync()
    assert _stale_ids() == [] and search_service.check().ok


def test_a_page_queued_again_while_indexed_stays_queued(wiki, monkeypatch):
    put("Celery", "A task queue.")
    page_id = _page_id("Celery")
    db.session.add(SearchStale(page_id=page_id))  # left over, e.g. by a crashed worker
    db.session.commit()
    requeued_at = db.session.scalar(select(SearchStale.queued_at)) + timedelta(seconds=1)
    other = create_engine(wiki.config["SQLALCHEMY_DATABASE_URI"])
    original = _backend_class().apply
    calls = []

    def apply_while_another_save_requeues(self, updates, removals):
        updates = list(updates)
        calls.append([d.page_id for d in updates])
        if len(calls) == 1:  # meanwhile another process saves the page and queues it again
            with other.begin() as conn:
                conn.execute(update(SearchStale).values(queued_at=requeued_at))
        return original(self, updates, removals)

    monkeypatch.setattr(_backend_class(), "apply", apply_while_another_save_requeues)
    indexing.sync()
    assert calls == [[page_id]] and _stale_ids() == [page_id]  # not lost
    indexing.sync()
    assert calls == [[page_id], [page_id]] and _stale_ids() == []
    other.dispose()


def _fail(*args, **kwargs):
    raise InjectedFault("the index is down")


def test_index_failure_keeps_the_save_and_the_next_write_repairs(wiki, monkeypatch):
    put("Other", "Unrelated.")
    monkeypatch.setattr(_backend_class(), "apply", _fail)
    result = put("Quokkas", "A page about quokkas.")
    assert result.revision is not None and result.revision.number == 1
    assert _stale_ids() == [_page_id("Quokkas")]
    assert titles("quokkas") == [] and not search_service.check().ok
    monkeypatch.undo()
    put("Other", "Unrelated, edited.")
    assert _stale_ids() == [] and titles("quokkas") == ["Quokkas"]
    assert search_service.check().ok


def test_leftover_stale_records_are_drained_at_start_up(wiki, app_config, monkeypatch):
    monkeypatch.setattr(indexing, "sync_after_save", lambda size: None)  # died after the commit
    monkeypatch.setattr(search_service, "index_in_transaction", _fail)
    put("Axolotl", "Salamanders that keep their gills.")
    assert _stale_ids() == [_page_id("Axolotl")]
    monkeypatch.undo()
    restarted = _restart(app_config)
    with restarted.app_context():
        assert titles("salamanders") == ["Axolotl"]
        assert _stale_ids() == [] and search_service.check().ok
        search_service.close()
        db.engine.dispose()


def test_a_lost_index_write_is_found_and_repaired_at_start_up(wiki, app_config, monkeypatch):
    put("Lemur", "Primates of Madagascar.")
    monkeypatch.setattr(_backend_class(), "apply", lambda self, updates, removals: None)
    put("Lemur", "Primates of Madagascar, with ring tails.")  # the index never got this
    monkeypatch.undo()
    assert _stale_ids() == [] and search_service.check().stale == [_page_id("Lemur")]
    restarted = _restart(app_config)
    with restarted.app_context():
        assert titles("tails") == ["Lemur"] and search_service.check().ok
        search_service.close()
        db.engine.dispose()


def test_a_missing_index_is_rebuilt_from_the_database(wiki, app_config, search_case):
    put("Narwhal", "Whales with a tusk.")
    search_service.close()
    if search_case[1] == "whoosh":
        shutil.rmtree(wiki.config["SEARCH_INDEX_DIR"])
    else:
        db.session.execute(SearchDocument.__table__.delete())
        db.session.commit()
    restarted = _restart(app_config)
    with restarted.app_context():
        assert titles("tusk") == ["Narwhal"] and search_service.check().ok
        search_service.close()
        db.engine.dispose()


@pytest.mark.parametrize(
    "search_case", [c for c in CASES if c[1] == "whoosh"], indirect=True, ids=lambda c: c[0]
)
def test_a_corrupt_index_is_rebuilt_instead_of_failing(wiki, search_case):
    put("Okapi", "A giraffe relative.")
    assert titles("giraffe") == ["Okapi"]
    search_service.close()
    for path in Path(wiki.config["SEARCH_INDEX_DIR"]).glob("gen-*/*"):
        if path.suffix in (".toc", ".seg"):
            path.write_bytes(b"\x00garbage" * 64)
    assert titles("giraffe") == ["Okapi"]
    assert search_service.check().ok
    put("Okapi", "A giraffe relative from the Congo.")  # and writes work again
    assert titles("congo") == ["Okapi"]


def test_structure_actions_and_imports_are_indexed(wiki, tmp_path):
    put("Gunicorn", "A WSGI server.")
    alice = user("alice")
    structure_service.rename_page("Gunicorn", "Servers/Gunicorn", alice)
    assert titles("wsgi") == ["Servers/Gunicorn"] and _stale_ids() == []
    structure_service.delete_page("Servers/Gunicorn", alice)
    assert titles("wsgi") == [] and search_service.check().ok
    folder = tmp_path / "import"
    (folder / "Tools").mkdir(parents=True)
    (folder / "Tools" / "Ripgrep.md").write_text("# ripgrep\n\nSearches files fast.\n")
    (folder / "Fd.md").write_text("# fd\n\nFinds files fast.\n")
    report = importing.import_folder(folder, system_user())
    assert len(report.created) == 2
    assert set(titles("fast")) == {"Tools/Ripgrep", "Fd"} and search_service.check().ok


def test_concurrent_saves_from_two_workers_lose_nothing(wiki, app_config):
    second = _restart(app_config)  # another gunicorn worker on the same index
    errors: list[BaseException] = []

    def worker(app, name: str) -> None:
        try:
            with app.app_context():
                for n in range(4):
                    put(f"{name} {n}", f"Concurrent page {name} number {n} marmot.")
                db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [
        threading.Thread(target=worker, args=(app, f"W{i}"))
        for i, app in enumerate([wiki, second, wiki, second])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(titles("marmot", per_page=100)) == 16
    assert _stale_ids() == [] and search_service.check().ok
    with second.app_context():
        search_service.close()
        db.engine.dispose()


def test_index_maintenance_runs_after_the_response(app, client, editor, monkeypatch):
    with app.app_context():
        backend_class = _backend_class()
    calls = []
    monkeypatch.setattr(backend_class, "maintain", lambda self: calls.append(self) or False)
    response = save_page(client, "Tapir", "Odd-toed ungulates.")
    assert response.status_code == 302 and calls == []  # not while answering
    response.close()  # what the server does once the response is sent
    assert len(calls) == 1
    with app.app_context():
        assert titles("ungulates") == ["Tapir"]


def test_a_long_page_is_indexed_once_its_response_is_sent(app, client, editor, search_case):
    body = "Okapis browse in the rainforest.\n\n" + "Filler words for a long page. " * 1500
    assert len(body.encode()) > indexing.INDEX_IN_REQUEST_MAX_BYTES
    with app.app_context():
        assert titles("okapis") == []  # the index is open and checked, as in a running server
    response = save_page(client, "Okapi", body)
    assert response.status_code == 302
    with app.app_context():
        expected = ["Okapi"] if search_case[1] == "postgres" else []  # same transaction there
        assert titles("okapis rainforest") == expected
    response.close()  # what the server does once the response is sent
    with app.app_context():
        assert titles("okapis rainforest") == ["Okapi"]
        assert _stale_ids() == [] and search_service.check().ok
        search_service.close()


def test_a_short_page_is_searchable_when_its_response_arrives(app, client, editor, search_case):
    response = save_page(client, "Tapir", "Tapirs browse in the rainforest.")
    assert response.status_code == 302
    with app.app_context():
        assert titles("tapirs rainforest") == ["Tapir"]
        search_service.close()
