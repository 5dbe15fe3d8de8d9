"""The review queue (issue 16): editors' unreviewed revisions oldest first with their diff,
reviewers and admins only, marking a revision marks the earlier ones, admins' edits count as
reviewed, the mark shows in history, and the reviewer role is granted from the command line."""

from __future__ import annotations

import pytest

from tests.collab_support import save_as, users


@pytest.fixture
def wiki(client, auth, runner):
    users(auth, "alice", "bob", "rita")
    result = runner.invoke(args=["review", "grant", "rita"])
    assert result.exit_code == 0 and "rita is now a reviewer" in result.output
    return auth


def test_queue_lists_editors_changes_oldest_first_with_diffs(client, wiki):
    save_as(wiki, client, "bob", "First", "one\n")
    save_as(wiki, client, "alice", "Admin page", "by the admin\n")
    save_as(wiki, client, "bob", "Second", "two\n")
    save_as(wiki, client, "bob", "First", "one\nmore\n")
    wiki.login("rita")
    page = client.get("/review").get_data(as_text=True)
    assert 'Unreviewed changes <span class="muted">(3)</span>' in page
    assert "Admin page" not in page  # admins' own edits count as reviewed
    order = [
        page.index(marker)
        for marker in ('/wiki/First?rev=1"', '/wiki/Second?rev=1"', '/wiki/First?rev=2"')
    ]
    assert order == sorted(order)
    assert '<td class="mk">+</td><td class="code">more</td>' in page


def test_marking_a_revision_marks_the_earlier_ones(client, wiki):
    for n in range(1, 4):
        save_as(wiki, client, "bob", "Topic", "x\n" * n)
    wiki.login("rita")
    assert client.post("/review/Topic?rev=2").status_code == 302
    page = client.get("/review").get_data(as_text=True)
    assert (
        "/wiki/Topic?rev=3" in page
        and "/wiki/Topic?rev=1" not in page
        and "/wiki/Topic?rev=2" not in page
    )
    assert client.post("/review/Topic?rev=1").status_code == 302  # never moves the mark back
    history = client.get("/history/Topic").get_data(as_text=True)
    assert "Reviewed up to" in history and "revision 2</a> by rita" in history
    assert client.post("/review/Topic?rev=3").status_code == 302
    assert "Everything is reviewed." in client.get("/review").get_data(as_text=True)


def test_only_reviewers_and_admins(client, wiki, runner):
    save_as(wiki, client, "bob", "Topic", "x")
    wiki.login("bob")
    assert client.get("/review").status_code == 403
    assert client.post("/review/Topic?rev=1").status_code == 403
    wiki.logout()
    wiki.login("alice")
    assert client.get("/review").status_code == 200
    assert client.post("/review/Topic?rev=9").status_code == 404
    assert client.post("/review/Topic").status_code == 400
    assert client.post("/review/Topic?rev=abc").status_code == 400
    wiki.logout()
    assert runner.invoke(args=["review", "revoke", "rita"]).exit_code == 0
    wiki.login("rita")
    assert client.get("/review").status_code == 403
    assert runner.invoke(args=["review", "grant", "nobody"]).exit_code != 0


def test_recent_changes_filter_to_unreviewed(client, wiki):
    save_as(wiki, client, "bob", "Checked", "a")
    save_as(wiki, client, "bob", "Unchecked", "b")
    save_as(wiki, client, "alice", "By admin", "c")
    wiki.login("rita")
    client.post("/review/Checked?rev=1")
    page = client.get("/recent?unreviewed=1").get_data(as_text=True)
    assert "Unchecked" in page and "/wiki/Checked" not in page and "By admin" not in page
    everything = client.get("/recent").get_data(as_text=True)
    assert "/wiki/Checked" in everything and "By admin" in everything


def test_admins_grant_the_role_from_the_users_page(client, wiki):
    from sqlalchemy import select

    from tests.collab_support import scalar
    from wiki.models import User

    bob = scalar(client.application, select(User.id).where(User.username == "bob"))
    wiki.login("alice")
    assert "Make reviewer" in client.get("/admin/users").get_data(as_text=True)
    assert client.post(f"/admin/reviewers/{bob}/grant").status_code == 302
    assert scalar(client.application, select(User.role).where(User.id == bob)) == "reviewer"
    assert client.post(f"/admin/reviewers/{bob}/revoke").status_code == 302
    assert scalar(client.application, select(User.role).where(User.id == bob)) == "editor"
    wiki.logout()
    wiki.login("rita")
    assert client.post(f"/admin/reviewers/{bob}/grant").status_code == 403
