"""With the database out of reach (PostgreSQL restarting), requests answer 503 with
``Retry-After`` instead of 500, and a refused save shows the user's text back. Before, the
error page itself asked the database who was reading, failed again, and answered a bare 500
(seen in the load run's PostgreSQL restart)."""

from __future__ import annotations

from contextlib import contextmanager

from tests.conftest import current_rev, refused_editor_page, save_page
from wiki.extensions import db

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
    page = refused_editor_page(refused, "my <careful> edit", base_rev=1)
    assert "cannot reach its database" in page and "nothing was saved yet" in page
    assert "Editing Guide" in page  # not "Creating": its base revision says the page exists
    assert current_rev(app, "Guide") == 1
    assert save_page(client, "Guide", "my <careful> edit\n", base_rev=1).status_code == 302


def test_the_api_answers_a_503_problem(app, client, editor, monkeypatch):
    with database_out_of_reach(app, monkeypatch):
        answer = client.get("/api/v1/pages")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.mimetype == "application/problem+json"
