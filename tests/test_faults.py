"""Faults injected at each step of the save path, and the invariants that must survive them.

The steps (``wiki.pages.editing._save_locked``): insert the revision, refresh links and tags and the
render cache, record the page as stale for search (all one transaction), commit, then bring
the index up to date. A fault before the commit must roll everything back; a fault in the
index update must not fail the save, and the index is repaired by the next write or start.

On PostgreSQL these run with ``SEARCH_BACKEND=postgres``, whose index write happens inside
the save's transaction (in a savepoint).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import CSRFClient, save_page
from wiki import create_app
from wiki.extensions import db
from wiki.lookup import find_page
from wiki.models import Draft, Link, Page, PageTag, RenderCache, Revision, SearchStale
from wiki.pages import editing
from wiki.search import indexing
from wiki.search import service as search_service


class InjectedFault(RuntimeError):
    pass


def _raise(*args, **kwargs):
    raise InjectedFault("injected")


@pytest.fixture
def app_config(app_config, backend):
    search = "postgres" if backend == "postgres" else "whoosh"
    return {**app_config, "SEARCH_BACKEND": search}


def _backend_class(app):
    with app.app_context():
        return type(search_service._state().backend)


def assert_consistent(app) -> None:
    """Revisions gapless and matching ``current_rev``; links and tags those of the current
    revision's render; every page stale-free after a sync."""
    with app.app_context():
        for page in db.session.scalars(select(Page)):
            numbers = db.session.scalars(
                select(Revision.number).where(Revision.page_id == page.id).order_by("number")
            ).all()
            assert numbers == list(range(1, page.current_rev + 1)), page.title
            current = db.session.scalar(
                select(Revision).where(
                    Revision.page_id == page.id, Revision.number == page.current_rev
                )
            )
            cache = db.session.get(RenderCache, current.id)
            links = set(json.loads(cache.links_json)) - {page.title}
            stored = set(
                db.session.scalars(select(Link.target_title).where(Link.source_id == page.id))
            )
            assert stored == (set() if page.deleted else links), page.title
            tags = set(editing.page_tags(json.loads(cache.meta_json)))
            stored_tags = set(
                db.session.scalars(select(PageTag.tag).where(PageTag.page_id == page.id))
            )
            assert stored_tags == (set() if page.deleted else tags), page.title
        db.session.remove()


def _links(page_id: int) -> list[str]:
    return sorted(db.session.scalars(select(Link.target_title).where(Link.source_id == page_id)))


def _state(app, title: str) -> dict:
    with app.app_context():
        page = find_page(title)
        if page is None:
            return {"page": None}
        result = {
            "current_rev": page.current_rev,
            "revisions": db.session.scalar(select(func.count()).where(Revision.page_id == page.id)),
            "links": sorted(
                db.session.scalars(select(Link.target_title).where(Link.source_id == page.id))
            ),
            "stale": db.session.get(SearchStale, page.id) is not None,
            "drafts": db.session.scalars(select(Draft.body).where(Draft.page_title == title)).all(),
        }
        db.session.remove()
        return result


def _search_finds(app, word: str) -> bool:
    with app.app_context():
        outcome = search_service.search(word)
        found = outcome.results.total > 0
        db.session.remove()
        return found


def _index_ok(app) -> bool:
    with app.app_context():
        ok = search_service.check().ok
        db.session.remove()
        return ok


def _after_queue_then_fail(original):
    def queue_then_fail(page_id: int) -> None:
        original(page_id)
        raise InjectedFault("after the stale record")

    return queue_then_fail


FAULTS = {
    "after the revision insert (links)": (
        "wiki.pages.editing.replace_links_and_tags",
        lambda _: _raise,
    ),
    "after the revision insert (render cache)": (
        "wiki.pages.editing.store_render",
        lambda _: _raise,
    ),
    "after the stale-index record": ("wiki.search.indexing.queue", _after_queue_then_fail),
}


@pytest.mark.parametrize("step", FAULTS)
def test_fault_before_commit_rolls_everything_back(app, client, editor, monkeypatch, step):
    assert save_page(client, "Target", "First links to [[Alpha]].").status_code == 302
    draft = client.post("/draft/Target", data={"body": "My unsaved words.", "base_rev": "1"})
    assert draft.get_json()["status"] == "saved"
    before = _state(app, "Target")
    assert before["revisions"] == 1 and not before["stale"]

    target, make = FAULTS[step]
    module, name = target.rsplit(".", 1)
    original = getattr(__import__(module, fromlist=[name]), name)
    monkeypatch.setattr(target, make(original))
    failed = save_page(client, "Target", "Second links to [[Beta]] zebrafish.", base_rev=1)
    new_page = save_page(client, "Brand new", "Never saved.")

    assert failed.status_code == 500
    assert new_page.status_code == 500
    assert b"zebrafish" not in failed.data and b"Traceback" not in failed.data
    assert before["drafts"] == ["My unsaved words."]
    # No revision, no links, no stale record; the refused text is kept as the draft.
    assert _state(app, "Target") == {**before, "drafts": ["Second links to [[Beta]] zebrafish."]}
    assert b"kept as a draft" in failed.data
    assert _state(app, "Brand new") == {"page": None}
    assert_consistent(app)

    monkeypatch.undo()
    assert save_page(client, "Target", "Second links to [[Beta]].", base_rev=1).status_code == 302
    after = _state(app, "Target")
    assert (after["current_rev"], after["links"]) == (2, ["Beta"])
    assert_consistent(app)
    assert _index_ok(app)


def test_fault_in_the_index_update_keeps_the_save_and_is_repaired_by_the_next_write(
    app, client, editor, monkeypatch
):
    assert save_page(client, "Other", "Unrelated.").status_code == 302
    monkeypatch.setattr(_backend_class(app), "apply", _raise)
    response = save_page(client, "Indexed", "A page about quokkas.")
    assert response.status_code == 302  # the save is acknowledged
    state = _state(app, "Indexed")
    assert state["current_rev"] == 1
    assert state["stale"]  # recorded as pending, so it will be repaired
    assert not _index_ok(app)
    assert_consistent(app)

    monkeypatch.undo()
    assert save_page(client, "Other", "Unrelated, edited.", base_rev=1).status_code == 302
    assert not _state(app, "Indexed")["stale"]
    assert _index_ok(app)
    assert _search_finds(app, "quokkas")


def test_crash_between_commit_and_index_is_repaired_at_start_up(
    app, app_config, client, editor, monkeypatch
):
    """The process died right after the commit: the stale record is all that is left."""
    monkeypatch.setattr(indexing, "sync_after_save", lambda size: None)
    monkeypatch.setattr(search_service, "index_in_transaction", _raise)  # PostgreSQL backend
    assert save_page(client, "Crashed", "Words about axolotls.").status_code == 302
    assert _state(app, "Crashed")["stale"]
    monkeypatch.undo()

    restarted = create_app(**app_config)
    restarted.test_client_class = CSRFClient
    response = restarted.test_client().get("/search?q=axolotls")
    assert response.status_code == 200
    assert b"Crashed" in response.data
    assert _index_ok(restarted)
    assert not _state(restarted, "Crashed")["stale"]
    with restarted.app_context():
        db.engine.dispose()
