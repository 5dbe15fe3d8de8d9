"""A save's commit keeps what it wrote (wiki.db.commit_keeping_values): the redirect's flash
message and the response headers read the page, the new revision and the signed-in user
without loading them again, each a transaction and a round trip on PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import event

from tests.conftest import save_page
from wiki.extensions import db


def test_a_save_loads_nothing_again_after_its_commit(app, client, editor):
    app.config["SEARCH_SYNC"] = "background"  # as served: no index update in the request
    assert save_page(client, "Kestrel", "Kestrels hover.\n").status_code == 302
    with app.app_context():
        engine = db.engine
    here = threading.get_ident()  # the test client runs the request in this thread
    seen: list[str] = []

    def statement(_conn, _cursor, sql, *_args) -> None:
        if threading.get_ident() == here:
            seen.append(" ".join(sql.split()))

    def commit(_conn) -> None:
        if threading.get_ident() == here:
            seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        saved = save_page(client, "Kestrel", "Kestrels hover, then dive.\n", base_rev=1)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    assert saved.status_code == 302
    assert seen.count("COMMIT") == 1  # the save's; the index is updated by the indexer thread
    after = seen[seen.index("COMMIT") + 1 :]
    reloads = [s for s in after if s.startswith("SELECT") and " FROM " in s]
    assert reloads == []
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Saved revision 2." in page and "then dive" in page
