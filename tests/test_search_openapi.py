"""A page whose ```openapi block names an attachment is found by the file's operation ids,
paths and summaries, and by the newest version's after a re-upload or restore (#18)."""

from __future__ import annotations

from sqlalchemy import select

from tests.search_support import app_config, backend, put, search_case, titles, user  # noqa: F401
from tests.test_openapi import BOOKS
from tests.test_openapi_attachments import BODY, BOOKS_3
from wiki.extensions import db
from wiki.files import service as files
from wiki.models import Page, SearchStale
from wiki.search import service as search_service


def _upload(text: str) -> None:
    page = db.session.scalar(select(Page).where(Page.title == "Attached API"))
    files.store_upload(page, "api.yaml", text.encode(), user("bob").id, max_bytes=1 << 20)


def test_attached_document_is_searchable_and_follows_reuploads(app, editor):
    with app.app_context():
        put("Attached API", "Our books service.")
        _upload(BOOKS)
        put("Attached API", BODY)
        search_service.sync()
        for query in ("getBook", "/books/{id}", '"One book"'):
            assert titles(query) == ["Attached API"], query
        assert titles("listBooks") == [] and titles("Zanzibar") == []
        _upload(BOOKS_3)  # queued and re-indexed, with no new revision
        search_service.sync()
        for query in ("listBooks", "Zanzibar", "/books/{id}"):
            assert titles(query) == ["Attached API"], query
        page = db.session.scalar(select(Page).where(Page.title == "Attached API"))
        files.restore_version(page, "api.yaml", 1, user("bob").id)
        search_service.sync()
        assert titles("Zanzibar") == [] and titles('"One book"') == ["Attached API"]


def test_only_a_file_the_page_shows_queues_it(app, editor):
    with app.app_context():
        put("Attached API", BODY)
        search_service.sync()
        page = db.session.scalar(select(Page).where(Page.title == "Attached API"))
        files.store_upload(page, "notes.txt", b"notes", user("bob").id, max_bytes=1 << 20)
        assert db.session.scalar(select(SearchStale.page_id)) is None
        _upload(BOOKS)
        assert titles("getBook") == ["Attached API"]
