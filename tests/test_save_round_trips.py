"""The round trips of a save.

- Its commit keeps what it wrote (wiki.db.commit_keeping_values): the redirect's flash
  message and the response headers read the page, the new revision and the signed-in user
  without loading them again, each a transaction and a round trip on PostgreSQL.
- It reads the page's current revision once, before the write lock (the API note and the
  no-change check under the lock use it while the page is still at it), and tags the
  render-cache row with the page's new generation from within its INSERT.
"""

from __future__ import annotations

from sqlalchemy import select

from tests.collab_support import statements_of
from tests.conftest import save_page
from wiki.extensions import db
from wiki.models import Page, RenderCache, Revision


def test_a_save_loads_nothing_again_after_its_commit(app, client, editor):
    app.config["SEARCH_SYNC"] = "background"  # as served: no index update in the request
    assert save_page(client, "Kestrel", "Kestrels hover.\n").status_code == 302
    saved, seen = statements_of(
        app, lambda: save_page(client, "Kestrel", "Kestrels hover, then dive.\n", base_rev=1)
    )
    assert saved.status_code == 302
    assert seen.count("COMMIT") == 1  # the save's; the index is updated by the indexer thread
    after = seen[seen.index("COMMIT") + 1 :]
    reloads = [s for s in after if s.startswith("SELECT") and " FROM " in s]
    assert reloads == []
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Saved revision 2." in page and "then dive" in page


def test_a_save_never_loads_its_user(app, client, editor):
    """The editor's save reads its user's plain row with the session (as a read does) and
    never loads the ``User``: not at the start, under the page lock, or for the response."""
    app.config["SEARCH_SYNC"] = "background"
    assert save_page(client, "Kestrel", "Kestrels hover.\n").status_code == 302
    saved, seen = statements_of(
        app, lambda: save_page(client, "Kestrel", "Kestrels hover, then dive.\n", base_rev=1)
    )
    assert saved.status_code == 302
    # The session's row comes through db.first_row's own cursor, which this listener does
    # not see; a read of the ORM ``User`` would show here.
    users = [s for s in seen if s.startswith("SELECT") and "FROM users" in s]
    assert users == []
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Saved revision 2." in page and "then dive" in page


def test_a_save_reads_the_current_revision_once_and_no_generation_back(app, client, editor):
    app.config["SEARCH_SYNC"] = "background"
    assert (
        save_page(client, "Kestrel", "Kestrels hover.\n\nThey nest on cliffs.\n").status_code == 302
    )
    assert (
        save_page(
            client, "Kestrel", "Kestrels hover high.\n\nThey nest on cliffs.\n", base_rev=1
        ).status_code
        == 302
    )
    saved, seen = statements_of(
        app,
        lambda: save_page(
            client, "Kestrel", "Kestrels hover, then dive.\n\nThey nest on cliffs.\n", base_rev=2
        ),
    )
    assert saved.status_code == 302
    reads = [s for s in seen if s.startswith("SELECT")]
    assert len([s for s in reads if "FROM revisions" in s]) == 1, reads
    assert not [s for s in reads if s.startswith("SELECT pages.generation")], reads
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == "Kestrel"))
        row = db.session.scalar(
            select(RenderCache)
            .join(Revision, Revision.id == RenderCache.revision_id)
            .where(Revision.page_id == page.id, Revision.number == 3)
        )
        assert page.current_rev == 3 and "then dive" in row.html
        assert row.generation == page.generation  # the generation its own save left
    # A save on top of an older revision is merged: its reads follow the page as it is now.
    merged = save_page(
        client, "Kestrel", "Kestrels hover.\n\nThey nest on high cliffs.\n", base_rev=1
    )
    assert merged.status_code == 302
    text = client.get("/raw/Kestrel").get_data(as_text=True)
    assert "then dive" in text and "high cliffs" in text
