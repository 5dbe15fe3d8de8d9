"""Notifications say what an edit did to a watched page's API (issue #18, point 2): the save
counts the changes, the event carries them, fan-out keeps them on the entry (summed over
folded edits), and /notifications says "API: 1 breaking change" (mail: tests/test_mail.py)."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from tests.collab_support import drain, save_as, scalar, users
from tests.conftest import save_page
from tests.openapi_docs import document, fence
from wiki.extensions import db
from wiki.models import Revision, User
from wiki.notify.models import Notification
from wiki.pages import api_notes

OLD = document(4)  # list, create, read, delete of /things0
NEW = copy.deepcopy(OLD)
del NEW["paths"]["/things0/{id}"]["delete"]  # a client calling it now fails: breaking


@pytest.fixture
def wiki(client, auth):
    """bob's API page, watched by carol (who saved it first)."""
    users(auth, "alice", "bob", "carol")
    save_as(auth, client, "carol", "Books API", fence(OLD))
    drain(client.application)
    return auth


def _entries(app, name: str) -> list[tuple[str, int, int, int]]:
    """The user's entries as (kind, edits, api_breaking, api_changes)."""
    uid = scalar(app, select(User.id).where(User.username == name))
    with app.app_context():
        rows = db.session.execute(
            select(
                Notification.kind,
                Notification.edits,
                Notification.api_breaking,
                Notification.api_changes,
            )
            .where(Notification.user_id == uid)
            .order_by(Notification.id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def _listing(client, auth, name: str) -> str:
    auth.login(name)
    html = client.get("/notifications").get_data(as_text=True)
    auth.logout()
    return html


def test_losing_an_operation_is_one_breaking_change(client, wiki):
    app = client.application
    save_as(wiki, client, "bob", "Books API", fence(NEW), summary="drop delete")
    drain(app)
    assert _entries(app, "carol") == [("edit", 1, 1, 1)]
    html = _listing(client, wiki, "carol")
    assert "bob edited Books API" in html and "API: 1 breaking change<" in html
    # The badge opens the diff's "API changes" view of the entry's revisions.
    assert 'class="badge oa-breaking" href="/diff/Books_API?from=1&amp;to=2&amp;mode=api"' in html


def test_a_plain_edit_says_nothing_about_the_api(client, wiki):
    app = client.application
    save_as(wiki, client, "bob", "Books API", "More prose.\n\n" + fence(OLD))
    save_as(wiki, client, "bob", "Notes", "no API here")
    drain(app)
    assert _entries(app, "carol") == [("edit", 1, 0, 0)]
    html = _listing(client, wiki, "carol")
    assert "bob edited Books API" in html and "API:" not in html


def test_an_added_operation_is_a_change(client, wiki):
    more = copy.deepcopy(OLD)
    more["paths"]["/extra"] = {"get": {"responses": {"200": {"description": "x"}}}}
    save_as(wiki, client, "bob", "Books API", fence(more))
    drain(client.application)
    assert _entries(client.application, "carol") == [("edit", 1, 0, 1)]
    assert 'class="badge" href="/diff/Books_API?from=1&amp;to=2&amp;mode=api">API: 1 change<' in (
        _listing(client, wiki, "carol")
    )


def test_folded_edits_add_up(client, wiki):
    app = client.application
    save_as(wiki, client, "bob", "Books API", fence(NEW))  # 1 breaking
    save_as(wiki, client, "bob", "Books API", "Prose.\n\n" + fence(NEW))  # no API change
    save_as(wiki, client, "bob", "Books API", "Prose.\n\n" + fence(OLD))  # 1 added
    drain(app)
    # One entry for bob's three edits, and the breaking one is not hidden by the later ones.
    assert _entries(app, "carol") == [("edit", 3, 1, 2)]
    html = _listing(client, wiki, "carol")
    assert "bob edited Books API (3 edits)" in html and "API: 1 breaking change<" in html


def test_a_merged_save_is_compared_with_what_it_follows(client, wiki):
    """A save based on an old revision is merged under the lock, and its note worked out
    there: the merged text against the revision it follows (not its base, not its own text)."""
    app = client.application
    alice = copy.deepcopy(OLD)
    del alice["paths"]["/things0"]["post"]
    save_as(wiki, client, "alice", "Books API", fence(alice))  # revision 2: 1 breaking
    wiki.login("bob")
    assert save_page(client, "Books API", fence(NEW), base_rev=1).status_code == 302
    wiki.logout()
    drain(app)
    body = scalar(app, select(Revision.body).where(Revision.number == 3))
    assert '"post"' not in body and '"delete"' not in body  # both removals, merged
    # Against its base it would be 2 breaking; bob's own text against revision 2, 1 of 2.
    assert _entries(app, "carol") == [("edit", 1, 1, 1), ("edit", 1, 1, 1)]


def test_a_comparison_over_budget_leaves_the_edit_without_a_note(client, wiki, monkeypatch):
    monkeypatch.setattr(api_notes, "BUDGET", -1.0)  # past the deadline before it starts
    save_as(wiki, client, "bob", "Books API", fence(NEW))
    drain(client.application)
    assert _entries(client.application, "carol") == [("edit", 1, 0, 0)]
