"""With the database out of reach (PostgreSQL restarting), requests answer 503 with
``Retry-After`` instead of 500, and a refused save shows the user's text back. Before, the
error page itself asked the database who was reading, failed again, and answered a bare 500
(seen in the load run's PostgreSQL restart)."""

from __future__ import annotations

import html
from contextlib import contextmanager

from sqlalchemy import select

from tests.conftest import save_page
from wiki.extensions import db
from wiki.models import Page

REFUSED = 'connection failed: connection to server at "127.0.0.1", port 5432 failed: refused'


@contextmanager
def database_out_of_reach(app, monkeypatch):
    """The database server is down: pooled connections are gone, and every new one fails
    the way psycopg fails to connect to a server that is down."""
    with app.app_context():
        engine = db.engine
    engine.dispose()

    def refuse(*_args, **_kwargs):
        raise engine.dialect.loaded_dbapi.OperationalError(REFUSED)

    with monkeypatch.context() as patch:
        patch.setattr(engine.dialect, "connect", refuse)
        yield
    engine.dispose()


def _revisions(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Page.current_rev).where(Page.title == title)) or 0


def test_a_logged_in_page_view_is_503_with_retry_after(app, client, editor, monkeypatch):
    save_page(client, "Guide", "first\n")
    with database_out_of_reach(app, monkeypatch):
        answer = client.get("/history/Guide")
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    assert "cannot reach its database" in answer.get_data(as_text=True)


def test_a_save_is_503_with_the_text_shown_back_and_nothing_saved(app, client, editor, monkeypatch):
    save_page(client, "Guide", "first\n")
    with database_out_of_reach(app, monkeypatch):
        refused = save_page(client, "Guide", "my <careful> edit\n", base_rev=1)
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)
    assert "cannot reach its database" in page and "nothing was saved yet" in page
    assert html.escape("my <careful> edit", quote=False) in page  # the editor, text in it
    assert 'name="base_rev" type="hidden" value="1"' in page
    assert _revisions(app, "Guide") == 1
    assert save_page(client, "Guide", "my <careful> edit\n", base_rev=1).status_code == 302


def test_the_api_answers_a_503_problem(app, client, editor, monkeypatch):
    with database_out_of_reach(app, monkeypatch):
        answer = client.get("/api/v1/pages")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.mimetype == "application/problem+json"
