"""Recent changes (HTML and Atom feed) through the app on a real database."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from tests.conftest import save_page
from wiki.extensions import db
from wiki.history import service as history_service
from wiki.models import Page

A = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def changes(client, editor, auth):
    """bob creates Celery and edits it; alice creates Redis."""
    save_page(client, "Celery", "tasks\n", summary="new page about celery")
    save_page(client, "Celery", "tasks and queues\n", summary="queues")
    auth.logout()
    auth.login("alice")
    save_page(client, "Redis", "cache\n", summary="<b>bold</b> & co")
    return client


def _feed(client, query: str = "") -> ET.Element:
    response = client.get(f"/recent.atom{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data)


def test_recent_groups_by_day_with_all_columns(changes):
    html = changes.get("/recent").get_data(as_text=True)
    assert "<h2>Today</h2>" in html
    assert html.index("Redis") < html.index("queues") < html.index("new page about celery")
    assert 'href="/diff/Celery?to=2"' in html and 'href="/wiki/Celery"' in html
    assert 'href="/user/bob"' in html and 'href="/user/alice"' in html
    assert 'class="delta delta-plus">+11<' in html  # "tasks\n" -> "tasks and queues\n"
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html and "<b>bold" not in html
    assert 'class="badge badge-new">new<' in html


def test_recent_filters_by_user_and_new_pages(changes):
    bob = changes.get("/recent?user=bob").get_data(as_text=True)
    assert "Celery" in bob and "Redis" not in bob
    assert 'value="bob"' in bob
    new = changes.get("/recent?new=1").get_data(as_text=True)
    assert "new page about celery" in new and "Redis" in new and ">queues<" not in new
    both = changes.get("/recent?user=ALICE&new=1").get_data(as_text=True)
    assert "Redis" in both and "Celery" not in both
    assert "no user called" in changes.get("/recent?user=%00").get_data(as_text=True)
    assert changes.get("/recent.atom?user=" + "x" * 5000).status_code == 200
    unknown = changes.get("/recent?user=nobody")
    assert unknown.status_code == 200 and "There is no user called “nobody”" in unknown.get_data(
        as_text=True
    )


def test_recent_paginates(changes, monkeypatch):
    monkeypatch.setattr(history_service, "PER_PAGE", 2)
    first = changes.get("/recent").get_data(as_text=True)
    assert "Redis" in first and "queues" in first and "new page about celery" not in first
    assert 'href="/recent?page=2"' in first
    second = changes.get("/recent?page=2").get_data(as_text=True)
    assert "new page about celery" in second and "Redis" not in second
    assert changes.get("/recent?page=3").status_code == 404
    assert changes.get("/recent?page=abc").status_code == 400
    filtered = changes.get("/recent?user=bob").get_data(as_text=True)
    assert "new page about celery" in filtered  # bob's two edits fit one page


def test_recent_hides_deleted_pages_from_non_admins(changes, app, auth):
    with app.app_context():
        db.session.scalar(select(Page).where(Page.title == "Celery")).deleted = True
        db.session.commit()
    admin_view = changes.get("/recent").get_data(as_text=True)
    assert "Celery" in admin_view and "page deleted" in admin_view
    auth.logout()
    reader_view = changes.get("/recent").get_data(as_text=True)
    assert "Celery" not in reader_view and "Redis" in reader_view
    titles = [e.findtext(f"{A}title") for e in _feed(changes).iter(f"{A}entry")]
    assert titles == ["Redis (new page)"]


def test_recent_with_no_changes(client):
    response = client.get("/recent")
    assert response.status_code == 200 and b"No changes" in response.data
    feed = _feed(client)
    assert feed.findtext(f"{A}updated") and not feed.findall(f"{A}entry")


def test_atom_feed_is_valid_and_complete(changes):
    feed = _feed(changes)
    assert feed.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert feed.findtext(f"{A}{name}"), name
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links["self"].endswith("/recent.atom") and links["alternate"].endswith("/recent")
    entries = feed.findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == [
        "Redis (new page)",
        "Celery (revision 2)",
        "Celery (new page)",
    ]
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert entry.findtext(f"{A}{name}"), name
        assert entry.find(f"{A}author").findtext(f"{A}name") in ("alice", "bob")
        # No WIKI_BASE_URL and no trusted hosts: links are relative, never from Host.
        assert entry.find(f"{A}link").get("href").startswith("/diff/")
    assert len({e.findtext(f"{A}id") for e in entries}) == 3
    assert entries[0].findtext(f"{A}summary") == "<b>bold</b> & co (+6 bytes)"
    assert entries[1].find(f"{A}link").get("href").endswith("/diff/Celery?to=2")
    assert feed.findtext(f"{A}updated") == entries[0].findtext(f"{A}updated")


def test_atom_feed_filters_like_the_page(changes):
    entries = _feed(changes, "?user=bob&new=1").findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == ["Celery (new page)"]


def test_atom_feed_survives_control_characters(changes):
    save_page(changes, "Odd", "text\n", summary="bell \x07 and \x01 here")
    entries = _feed(changes).findall(f"{A}entry")
    assert entries[0].findtext(f"{A}summary").startswith("bell  and  here")
