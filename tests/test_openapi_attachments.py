"""API reference blocks that name a page attachment (``openapi: api.yaml``): each revision is
compared with the version it was saved with, a re-upload shows on the next view and reaches
search (issue #18)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.conftest import save_page
from tests.test_files_views import upload
from tests.test_openapi import BOOKS
from wiki.extensions import db
from wiki.history import api_changes
from wiki.models import Page, Revision
from wiki.pages import api_notes

BODY = "Our API:\n\n```openapi\nopenapi: api.yaml\n```\n"
# Version 2 drops GET /health: one breaking change against version 1.
HEALTH = "  /health:\n    get:\n      responses:\n        '200': {description: Alive.}\n"
BOOKS_2 = BOOKS.replace(HEALTH, "")
# Version 3 renames getBook's operationId and summary, and drops its 404 response.
NOT_FOUND = "        '404': {description: No such book.}\n"
BOOKS_3 = (
    BOOKS_2.replace("getBook", "listBooks")
    .replace("summary: One book", "summary: Zanzibar lookup")
    .replace(NOT_FOUND, "")
)


def _upload(client, text: str) -> None:
    response = upload(client, "Attached_API", text.encode(), "api.yaml")
    assert response.status_code in (200, 302, 303)


@pytest.fixture
def attached(client, editor):
    """Revision 1 names api.yaml at version 1; version 2 is uploaded; revision 2 changes only
    the prose (so it was saved with version 2); then version 3 is uploaded."""
    assert BOOKS_2 != BOOKS
    assert save_page(client, "Attached API", "Text.").status_code == 302
    _upload(client, BOOKS)
    assert save_page(client, "Attached API", BODY).status_code == 302  # revision 2
    _upload(client, BOOKS_2)
    assert save_page(client, "Attached API", "More. " + BODY).status_code == 302  # revision 3
    _upload(client, BOOKS_3)
    return client


def test_diff_compares_each_revision_with_its_own_attachment_version(attached, app):
    html = attached.get("/diff/Attached_API?from=2&to=3&mode=api").get_data(as_text=True)
    assert "GET /health" in html and "operation removed" in html
    assert "1 breaking" in html
    # Version 3 (uploaded after both revisions) is on neither side.
    assert "listBooks" not in html and "No change to the API" not in html
    with app.app_context():
        page_id = db.session.scalar(select(Page.id).where(Page.title == "Attached API"))
        assert api_changes.between(page_id, 2, 3).breaking == 1
        assert api_changes.between(page_id, 3, 3).total == 0


def test_revisions_saved_before_versions_were_recorded_use_upload_times(attached, app):
    with app.app_context():
        db.session.execute(update(Revision).values(openapi_sources=None))
        db.session.commit()
        page_id = db.session.scalar(select(Page.id).where(Page.title == "Attached API"))
        changes = api_changes.between(page_id, 2, 3)
        assert changes.breaking == 1
        assert [c.operation for c in changes.changes if c.breaking] == ["GET /health"]


def test_save_note_compares_the_current_revision_with_its_own_version(attached, app):
    with app.app_context():
        # api.yaml is at version 3 now: a save (of a prose change) brings its dropped 404
        # response, against the version 2 that revision 3 was saved with.
        page_id = db.session.scalar(select(Page.id).where(Page.title == "Attached API"))
        revision = {
            r.number: r for r in db.session.scalars(select(Revision).filter_by(page_id=page_id))
        }
        note = api_notes.before_saving(revision[3], "Even more. " + BODY, "Attached API")
        assert note.against == 3
        assert note.changes is not None and note.changes.breaking == 1
        assert "404" in note.changes.changes[0].text
        same = api_notes.before_saving(revision[2], "More. " + BODY, "Attached API")
        assert same.changes is not None and same.changes.breaking >= 1


def test_reupload_and_restore_show_on_the_next_view(client, editor):
    """Uploads bump the page's generation (wiki/pages/generations.py), which every cache of
    its view (render cache row, worker HTML cache, whole-page shells) is keyed by."""
    assert save_page(client, "Attached API", "Text.").status_code == 302
    _upload(client, BOOKS)
    assert save_page(client, "Attached API", BODY).status_code == 302
    assert 'id="h-op-getbook"' in client.get("/wiki/Attached_API").get_data(as_text=True)
    _upload(client, BOOKS_3)
    for reader in ("bob", None):  # a logged-in and an anonymous reader
        html = client.get("/wiki/Attached_API").get_data(as_text=True)
        assert 'id="h-op-listbooks"' in html and 'id="h-op-getbook"' not in html, reader
        editor.logout()
    editor.login("bob")
    restore = {"name": "api.yaml", "version": "1"}
    assert client.post("/restore-file/Attached_API", data=restore).status_code == 302
    html = client.get("/wiki/Attached_API").get_data(as_text=True)
    assert 'id="h-op-getbook"' in html and 'id="h-op-listbooks"' not in html
    editor.logout()
    html = client.get("/wiki/Attached_API").get_data(as_text=True)
    assert 'id="h-op-getbook"' in html


def test_an_old_revision_shows_the_attachment_version_it_was_saved_with(attached):
    old = attached.get("/wiki/Attached_API?rev=2").get_data(as_text=True)
    assert "/health" in old and "Zanzibar lookup" not in old  # version 1
    current = attached.get("/wiki/Attached_API").get_data(as_text=True)
    assert "Zanzibar lookup" in current  # revision 3 is current: the newest upload, version 3


def test_an_old_revision_of_a_renamed_page_finds_its_own_files(attached, client):
    response = client.post(
        "/rename/Attached_API", data={"new_title": "Books API", "rewrite_links": "y"}
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    assert save_page(client, "Attached API", "A new page at the old title.").status_code == 302
    old = client.get("/wiki/Books_API?rev=2").get_data(as_text=True)
    assert "/health" in old and "openapi-error" not in old
