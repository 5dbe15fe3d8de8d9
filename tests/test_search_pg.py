"""wiki.search.postgres (backend, sql): rows, tsquery building, snippets, in-transaction
indexing. The database tests exist only when TEST_DATABASE_URL points at PostgreSQL."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select, text

from tests.conftest import TEST_DATABASE_URL, save_page
from tests.search_support import put, titles, user
from wiki.extensions import db
from wiki.models import SearchDocument, SearchStale
from wiki.search import indexer, indexing
from wiki.search import service as search_service
from wiki.search.documents import SearchDoc
from wiki.search.postgres import backend as pg_backend
from wiki.search.postgres.backend import GT, LT, SEP, PgBackend, document_row, identifier_words
from wiki.search.postgres.lexemes import symbol_lexeme
from wiki.search.postgres.sql import _pg_inputs, _weighted, translate
from wiki.search.query import parse_query
from wiki.search.query_ast import Phrase, Prefix, Term
from wiki.structure import service as structure_service

JAN = datetime(2026, 1, 15, tzinfo=UTC)


def test_rows_carry_identifier_parts_after_the_separator() -> None:
    doc = SearchDoc(
        1,
        "DOM/getElementById",
        "Call document.getElementById <b>now</b>\x00 and select_related.",
        "Heading \x02",
        "x = docker-compose.yml",
        ("Python", "Web  Dev"),
        "bob",
        JAN,
        3,
    )
    row = document_row(doc)
    body, parts = row["body_text"].split(SEP)
    assert body == f"Call document.getElementById {LT}b{GT}now{LT}/b{GT}  and select_related."
    assert parts.splitlines() == [
        "document getElementById get Element By Id " + symbol_lexeme("document.getElementById"),
        "select related " + symbol_lexeme("select_related"),
    ]
    assert row["title_terms"] == "get Element By Id" and SEP not in row["headings"]
    assert row["code"].split(SEP)[1] == "docker compose yml " + symbol_lexeme("docker-compose.yml")
    assert row["tags"] == "python\nweb dev" and row["rev"] == 3 and row["title"] == doc.title
    assert (
        SEP
        not in document_row(SearchDoc(2, "T", "plain words", "", "", (), "", JAN, 1))["body_text"]
    )


def test_identifier_words_lists_each_identifier_once() -> None:
    assert identifier_words("a getX getX b_c plain") == f"get X\nb c {symbol_lexeme('b_c')}"
    assert identifier_words("N+1 and C++") == (
        f"N 1 {symbol_lexeme('n+1')}\nC {symbol_lexeme('c++')}"
    )


def test_symbol_lexemes_are_word_characters_only() -> None:
    for term in ("C++", "c++", "N+1", "HTTP/2", ".NET", "@login_required", "東京.js"):
        lexeme = symbol_lexeme(term)
        assert lexeme.isalnum() and lexeme.isascii() and lexeme == symbol_lexeme(term.upper())


def test_tsquery_inputs_are_functions_of_bound_text() -> None:
    assert _pg_inputs(Term("celery")) == [("phraseto_tsquery", "celery")]
    assert _pg_inputs(Term("getElementById")) == [
        ("phraseto_tsquery", "getElementById"),
        ("phraseto_tsquery", "get Element By Id"),
    ]
    assert _pg_inputs(Term("C++")) == [("to_tsquery", f"'{symbol_lexeme('c++')}'")]
    assert _pg_inputs(Term("HTTP/2")) == [
        ("to_tsquery", f"'{symbol_lexeme('http/2')}'"),
        ("phraseto_tsquery", "HTTP"),
    ]
    assert _pg_inputs(Term("std=c++20"))[-1] == (
        "to_tsquery",
        f"'std' & '{symbol_lexeme('c++20')}'",
    )
    assert _pg_inputs(Term("+" * 500)) == [("phraseto_tsquery", "+" * 500)]
    assert _pg_inputs(Phrase(("task", "queue"))) == [("phraseto_tsquery", "task queue")]
    assert _pg_inputs(Prefix("deploy")) == [("to_tsquery", "'deploy':*")]
    assert _pg_inputs(Prefix("docker-comp")) == [("to_tsquery", "'docker' <-> 'comp':*")]
    assert _pg_inputs(Prefix("it's")) == [("to_tsquery", "'it' <-> 's':*")]
    assert _pg_inputs(Prefix("'--")) == [("phraseto_tsquery", "'--")]


def test_title_weights_are_added_to_every_lexeme() -> None:
    assert _weighted("( 'a' <-> 'b''c' | 'd':* )") == "( 'a':A <-> 'b''c':A | 'd':*A )"
    assert _weighted("'a':A") == "'a':A"


if TEST_DATABASE_URL:

    @pytest.fixture
    def backend() -> str:
        return "postgres"

    @pytest.fixture
    def app_config(app_config) -> dict:
        app_config["SEARCH_BACKEND"] = "postgres"
        return app_config

    @pytest.fixture
    def wiki(app, editor):
        with app.app_context():
            assert search_service.backend_name() == "postgres"
            yield app

    def test_translate_drops_stop_words_and_quotes_everything(wiki) -> None:
        tsq = translate(db.session, parse_query('the celery\'s "task queue" -draft title:x'))
        assert tsq.positive == (
            "( 'celeri' | 'celery' <-> 's' ) & ( 'task' <-> 'queue' ) & ( 'x':A )"
        )
        assert tsq.banned == "( 'draft' )"
        assert tsq.in_title == (
            "( 'celeri':A | 'celery':A <-> 's':A ) & ( 'task':A <-> 'queue':A ) & ( 'x':A )"
        )
        assert translate(db.session, parse_query("the a of")).positive is None
        odd = translate(db.session, parse_query("a'b:*A & !c \\ <-> x*"))
        for piece in (odd.positive, odd.in_title):
            db.session.execute(text("SELECT CAST(:q AS tsquery)"), {"q": piece})

    def test_the_row_is_written_in_the_save_transaction(wiki, monkeypatch) -> None:
        monkeypatch.setattr(
            indexing, "sync_after_save", lambda size: None
        )  # nothing happens after commit
        put("Celery", "A task queue.")
        row = db.session.scalar(select(SearchDocument).where(SearchDocument.title == "Celery"))
        assert row is not None and row.rev == 1
        assert db.session.scalars(select(SearchStale)).all() == []
        structure_service.delete_page("Celery", user("alice"))
        assert db.session.scalars(select(SearchDocument)).all() == []
        assert titles("queue") == []

    def test_saves_write_through_the_gin_indexes_with_no_pending_list(wiki) -> None:
        """A pending list (GIN's default) is read by every search until VACUUM merges it,
        and it makes the planner scan every row instead (migration c29)."""
        for n in range(5):
            put(f"Pending {n}", f"Words of page {n}: celery broker retries.")
        for name in ("ix_search_documents_tsv", "ix_pages_title_lower_trgm"):
            options = db.session.scalar(
                text("SELECT reloptions FROM pg_class WHERE relname = :name"), {"name": name}
            )
            assert options == ["fastupdate=off"], name
            # The number of pending-list pages merged: none were waiting.
            assert db.session.scalar(text(f"SELECT gin_clean_pending_list('{name}')")) == 0

    def test_a_save_in_a_request_leaves_its_search_row_to_the_indexer(
        app, client, editor, monkeypatch
    ):
        """With SEARCH_SYNC="background" (the default) the save commits its stale record and
        no search row, so it holds its page's lock for less time; the host's indexer writes
        the row just after, as on Whoosh (#21)."""
        app.config["SEARCH_SYNC"] = "background"
        monkeypatch.setattr(indexer, "kick", lambda app: None)  # the indexer sleeps through it
        try:
            assert save_page(client, "Narwhal", "Whales with a tusk.").status_code == 302
            with app.app_context():
                assert search_service.backend_name() == "postgres"
                assert len(db.session.scalars(select(SearchStale)).all()) == 1
                assert db.session.scalars(select(SearchDocument)).all() == []
            monkeypatch.undo()
            indexer.kick(app)
            assert indexer.indexer_for(app).wait_idle(timeout=30)
            with app.app_context():
                assert db.session.scalars(select(SearchStale)).all() == []
                assert titles("tusk") == ["Narwhal"]
        finally:
            indexer.stop(app)

    def test_failed_in_transaction_indexing_leaves_the_record_for_sync(wiki, monkeypatch):
        def fail(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(search_service, "index_in_transaction", fail)
        monkeypatch.setattr(indexing, "sync_after_save", lambda size: None)
        put("Celery", "A task queue.")
        assert len(db.session.scalars(select(SearchStale)).all()) == 1
        monkeypatch.undo()
        indexing.sync()
        assert db.session.scalars(select(SearchStale)).all() == [] and titles("queue")

    def test_snippets_are_escaped_and_marked(wiki) -> None:
        put("Templates", "Run the celery worker.\n\n```\nif x<y and y>z & w: zebra()\n```\n")
        hit = search_service.search("celery").results.hits[0]
        assert hit.snippet_html == "Run the <mark>celery</mark> worker."
        code = search_service.search("zebra").results.hits[0].snippet_html
        assert code == "if x&lt;y and y&gt;z &amp; w: <mark>zebra</mark>()"

    def test_rebuild_keeps_newer_rows_and_drops_deleted_pages(wiki) -> None:
        put("Celery", "A task queue.")
        put("Redis", "A store.")
        old = SearchDoc(
            db.session.scalar(text("SELECT id FROM pages WHERE title = 'Celery'")),
            "Celery",
            "stale text",
            "",
            "",
            (),
            "bob",
            JAN,
            0,
        )
        db.session.execute(text("UPDATE pages SET deleted = true WHERE title = 'Redis'"))
        db.session.commit()
        assert PgBackend().rebuild([old]) == 1
        assert titles("stale") == [] and titles("queue") == ["Celery"]
        assert db.session.scalars(select(SearchDocument.title)).all() == ["Celery"]

    def test_vocabulary_is_cached_and_refreshed(wiki, monkeypatch) -> None:
        put("Celery", "A task queue.")
        assert search_service.search("celary").results.corrected_query == "celery"
        put("Kombu", "Messaging library.")
        assert search_service.search("kombuu").results.corrected_query is None  # cached
        clock = [1e9]
        # The backend's own clock only: patching time.monotonic itself would reach every thread
        # (the render pool's manager died of a 1e9 s timeout once, failing the tests after it).
        monkeypatch.setattr(pg_backend, "time", SimpleNamespace(monotonic=lambda: clock[0]))
        assert search_service.search("kombuu").results.corrected_query == "kombu"

    def test_a_search_is_two_statements_after_the_synonyms(wiki, monkeypatch) -> None:
        put("Celery", "A task queue.\n\n```\ncelery worker --loglevel=info\n```\n")
        put("Celery beat", "Schedules celery tasks, with a long text around them. " * 40)
        search_service.search("celery")  # warm: the index is ready
        seen: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            seen.append(statement)

        real_first_row = search_service.first_row

        def first_row(statement, params):  # on a pooled connection, past the engine's events
            seen.append(str(statement))
            return real_first_row(statement, params)

        monkeypatch.setattr(search_service, "first_row", first_row)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            outcome = search_service.search("celery")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        results = outcome.results
        # The synonyms page, the tsquery texts with the exact title, the ranked page of hits
        # with their snippets.
        assert len(seen) == 3, seen
        assert "revisions.body" in seen[0]
        assert results.exact_title == "Celery" and results.total == 2
        assert [hit.title for hit in results.hits] == ["Celery", "Celery beat"]
        # No match in the prose: the code's headline.
        assert results.hits[0].snippet_html == "<mark>celery</mark> worker --loglevel=info"
        assert "<mark>celery</mark>" in results.hits[1].snippet_html
        assert len(results.hits[1].snippet_html) < 1000  # fragments of a 2,200-character text
        second = search_service.search("celery", page=2, per_page=1).results
        assert [hit.title for hit in second.hits] == ["Celery beat"] and second.pages == 2
        # No words to rank by: newest first, snippets from the start of the prose.
        tagless = search_service.search("updated:>2000-01-01").results
        assert tagless.total == 2 and tagless.hits[0].title == "Celery beat"
        assert tagless.hits[0].snippet_html.startswith("Schedules celery tasks")

    def test_titles_have_a_trigram_index_for_word_starts(wiki) -> None:
        available = db.session.scalar(
            text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
        )
        indexes = db.session.scalars(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_pages_title_lower_trgm'")
        ).all()
        assert len(indexes) == available  # created whenever the extension could be
        if indexes:
            assert "gin_trgm_ops" in indexes[0] and "lower" in indexes[0]
        put("Tools/zip archives", "Packing files.")
        put("zipper", "A fastener.")
        assert search_service.suggest("zip") == ["zipper", "Tools/zip archives"]
