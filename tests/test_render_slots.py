"""Saves are held to the render slots like previews (#20 point 7): a save renders the page,
so when every slot stays taken it answers 503 with ``Retry-After`` and saves nothing, and a
refused edit shows the user's text back (and keeps it as their draft)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from tests.api_support import assert_problem, make_token, put_page
from tests.conftest import current_rev, refused_editor_page, save_page
from wiki import slots
from wiki.extensions import db
from wiki.models import Draft, Revision, User
from wiki.pages import drafts
from wiki.rendering import guard


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WIKI_RENDER_WAIT": 0.2}


@contextmanager
def every_slot_taken(app):
    """The only render slot is held (by a long preview elsewhere) for the duration."""
    with app.test_request_context(), slots.render_slot():
        yield


def _draft_body(app, username: str, title: str) -> str | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        found = drafts.get_draft(user.id, title)
        return found.body if found else None


def test_a_save_with_every_slot_taken_is_503_with_the_text_back(app, client, editor):
    save_page(client, "Guide", "first\n")
    with every_slot_taken(app):
        refused = save_page(client, "Guide", "my <careful> edit\n", base_rev=1)
    page = refused_editor_page(refused, "my <careful> edit", base_rev=1)
    assert "nothing was saved yet" in page and "kept as a draft" in page
    assert current_rev(app, "Guide") == 1
    assert _draft_body(app, "bob", "Guide") == "my <careful> edit\n"
    saved = save_page(client, "Guide", "my <careful> edit\n", base_rev=1)
    assert saved.status_code == 302 and current_rev(app, "Guide") == 2
    assert _draft_body(app, "bob", "Guide") is None  # the save replaced the draft


def test_a_refused_section_save_keeps_the_whole_page_as_the_draft(app, client, editor):
    save_page(client, "Doc", "# One\n\nfirst\n\n# Two\n\nsecond\n")
    form = {"body": "# Two\n\nmine\n", "summary": "", "base_rev": "1", "save": "Save"}
    with every_slot_taken(app):
        refused = client.post("/edit/Doc?section=2", data=form)
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert "# Two\n\nmine" in refused.get_data(as_text=True)  # the section editor again
    assert _draft_body(app, "bob", "Doc") == "# One\n\nfirst\n\n# Two\n\nmine\n"


def test_the_editor_preview_button_with_every_slot_taken_is_503_with_the_text(app, client, editor):
    form = {"body": "draft *text*", "summary": "", "base_rev": "", "preview": "Preview"}
    with every_slot_taken(app):
        refused = client.post("/edit/Fresh", data=form)
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert "draft *text*" in refused.get_data(as_text=True)
    assert current_rev(app, "Fresh") == 0


def test_an_api_save_with_every_slot_taken_is_a_503_problem(app, client, editor):
    token = make_token(app, "bob")
    with every_slot_taken(app):
        refused = put_page(client, "Api_Page", token, {"body": "text\n"})
    doc = assert_problem(refused, 503)
    assert int(refused.headers["Retry-After"]) > 0 and "busy" in doc["detail"]
    assert current_rev(app, "Api Page") == 0
    assert put_page(client, "Api_Page", token, {"body": "text\n"}).status_code == 201


def test_a_restore_with_every_slot_taken_is_503(app, client, editor):
    save_page(client, "Undo", "one\n")
    save_page(client, "Undo", "two\n")
    with every_slot_taken(app):
        refused = client.post("/revert/Undo?rev=1")
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert "busy with other large pages" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Draft)) is None
        assert db.session.scalar(select(Revision.body).where(Revision.number == 3)) is None
    assert client.post("/revert/Undo?rev=1").status_code == 302
    assert current_rev(app, "Undo") == 3


def test_a_cold_render_worker_starts_before_the_save_takes_a_slot(app, client, editor, monkeypatch):
    """A worker's first save starts its render child (seconds on a busy host). Started
    inside the slot, every worker starting at once queued behind the one slot and the last
    was refused with 503 (seen in the 50-user load run)."""
    slot_free_at_warm_up = []
    real_get_pool = guard._get_pool

    def get_pool():
        if not guard._warm:  # this call starts or warms the child
            outcome = []
            probe = threading.Thread(target=_try_a_slot, args=(app, outcome))
            probe.start()
            probe.join()
            slot_free_at_warm_up.append(outcome[0])
        return real_get_pool()

    monkeypatch.setattr(guard, "_warm", False)
    monkeypatch.setattr(guard, "_get_pool", get_pool)
    assert save_page(client, "Cold", "first\n").status_code == 302
    assert slot_free_at_warm_up == [True]


def _try_a_slot(app, outcome: list) -> None:
    with app.test_request_context():
        try:
            with slots.render_slot(wait=0):
                outcome.append(True)
        except slots.Busy:
            outcome.append(False)
