"""Page history, diffs, old revisions and restore, through the app on a real database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import save_page
from wiki.extensions import db
from wiki.history import service as history_service
from wiki.models import Page, Redirect, Revision


def _set_page(app, title: str, **values) -> None:
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == title))
        for name, value in values.items():
            setattr(page, name, value)
        db.session.commit()


def _history_rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'title="View revision (\d+)"', html)]


@pytest.fixture
def celery(client, editor):
    """A page with three revisions by bob."""
    save_page(client, "Celery", "# Celery\n\nline one\nline two\n", summary="first")
    save_page(client, "Celery", "# Celery\n\nline one changed\nline two\n", summary="second")
    save_page(client, "Celery", "# Celery\n\nline one changed\nline two\nline three\n")
    return "Celery"


def test_history_lists_revisions_newest_first_with_details(client, celery):
    response = client.get("/history/Celery")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _history_rows(html) == [3, 2, 1]
    assert 'href="/user/bob"' in html
    assert "first" in html and "second" in html and "no summary" in html
    assert 'class="delta delta-plus">+11<' in html  # "line three\n" added 11 bytes
    assert 'name="from" value="2"' in html and 'name="to" value="3"' in html
    assert 'action="/diff/Celery"' in html and 'method="get"' in html
    assert 'href="/diff/Celery?from=1&amp;to=2"' in html  # diff to previous
    assert "/revert/Celery?rev=1" in html  # editors get restore buttons


def test_history_has_no_restore_buttons_for_anonymous_readers(client, celery, auth):
    auth.logout()
    html = client.get("/history/Celery").get_data(as_text=True)
    assert _history_rows(html) == [3, 2, 1]
    assert "/revert/" not in html


def test_history_escapes_summaries(client, editor):
    save_page(client, "Xss", "body", summary="<script>alert(1)</script>")
    html = client.get("/history/Xss").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_history_paginates_on_revision_numbers(client, editor, monkeypatch):
    monkeypatch.setattr(history_service, "PER_PAGE", 2)
    for k in range(5):
        save_page(client, "Paged", f"version {k}")
    assert _history_rows(client.get("/history/Paged").get_data(as_text=True)) == [5, 4]
    page2 = client.get("/history/Paged?page=2").get_data(as_text=True)
    assert _history_rows(page2) == [3, 2] and "Page 2 of 3" in page2
    assert _history_rows(client.get("/history/Paged?page=3").get_data(as_text=True)) == [1]
    missing = client.get("/history/Paged?page=4")
    assert missing.status_code == 404 and b"there is no page 4" in missing.data


@pytest.mark.parametrize("value", ["0", "x", "-1", "1.5", "9999999999", "²", "%00"])
def test_history_bad_page_number_is_400(client, celery, value):
    response = client.get(f"/history/Celery?page={value}")
    assert response.status_code == 400 and b"page number" in response.data


def test_history_of_missing_page_is_404(client, editor):
    assert client.get("/history/Nope").status_code == 404
    assert client.get("/history/a//b").status_code == 400


def test_history_of_deleted_page_only_for_admins(client, app, celery, auth):
    _set_page(app, "Celery", deleted=True)
    assert client.get("/history/Celery").status_code == 404  # bob is an editor
    assert client.get("/diff/Celery?from=1&to=2").status_code == 404
    auth.logout()
    auth.login("alice")
    response = client.get("/history/Celery")
    assert response.status_code == 200 and b"This page is deleted" in response.data
    assert client.post("/revert/Celery?rev=1").status_code == 403


def test_history_follows_a_renamed_title(client, app, celery):
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == "Celery"))
        db.session.add(Redirect(title="Old Celery", page_id=page.id))
        db.session.commit()
    response = client.get("/history/Old_Celery?page=1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/history/Celery?page=1")


def test_diff_marks_words_lines_and_numbers(client, celery):
    response = client.get("/diff/Celery?from=1&to=3&view=inline")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "line one<ins> changed</ins>" in html
    assert (
        '<tr class="d-ins"><td class="ln"></td><td class="ln">5</td><td class="mk">+</td>' in html
    )
    assert '<td class="code">line three</td>' in html
    assert "Revision 1" in html and "Revision 3" in html
    assert 'class="delta-plus">+2<' in html and 'class="delta-minus">−1<' in html


def test_diff_collapses_unchanged_stretches(client, editor):
    lines = [f"line {k}" for k in range(100)]
    save_page(client, "Long", "\n".join(lines) + "\n")
    lines[50] = "line fifty"
    save_page(client, "Long", "\n".join(lines) + "\n")
    html = client.get("/diff/Long?from=1&to=2").get_data(as_text=True)
    assert "… 47 unchanged lines …" in html and "… 46 unchanged lines …" in html
    assert '<td class="code">line 10</td>' not in html
    full = client.get("/diff/Long?from=1&to=2&full=1").get_data(as_text=True)
    assert "unchanged lines" not in full and "line 10</td>" in full


def test_diff_defaults_to_the_last_change_and_creation(client, celery):
    latest = client.get("/diff/Celery").get_data(as_text=True)
    assert "Revision 2" in latest and "Revision 3" in latest and "line three" in latest
    created = client.get("/diff/Celery?to=1").get_data(as_text=True)
    assert "Before revision 1" in created and "<ins>" not in created
    assert '<td class="code">line two</td>' in created


def test_diff_split_view_and_cookie_remembers_choice(client, celery):
    split = client.get("/diff/Celery?from=1&to=2&view=split")
    assert 'class="diff diff-split"' in split.get_data(as_text=True)
    assert "diff_view=split" in split.headers["Set-Cookie"]
    again = client.get("/diff/Celery?from=2&to=3").get_data(as_text=True)
    assert 'class="diff diff-split"' in again
    inline = client.get("/diff/Celery?from=2&to=3&view=inline").get_data(as_text=True)
    assert 'class="diff diff-inline"' in inline
    odd = client.get("/diff/Celery?from=2&to=3&view=sideways")
    assert odd.status_code == 200 and "Set-Cookie" not in odd.headers


def test_diff_from_after_to_redirects_swapped(client, celery):
    response = client.get("/diff/Celery?from=3&to=1&view=split")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "from=1" in location and "to=3" in location and "view=split" in location


def test_diff_of_a_revision_with_itself(client, celery):
    response = client.get("/diff/Celery?from=2&to=2")
    assert response.status_code == 200 and b"with itself" in response.data


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("from=x&to=2", 400, b"revision number"),
        ("from=1&to=abc", 400, b"revision number"),
        ("from=0&to=2", 400, b"revision number"),
        ("from=1&to=99", 404, b"has no revision 99"),
        ("from=77&to=99", 404, b"has no revision 99"),
        ("to=99999999999", 400, b"revision number"),
        ("from=%C2%B2&to=2", 400, b"revision number"),
        ("from=1&to=%00", 400, b"revision number"),
    ],
)
def test_diff_bad_revisions_are_clear_errors(client, celery, query, status, message):
    response = client.get(f"/diff/Celery?{query}")
    assert response.status_code == status and message in response.data


def test_huge_unanchored_diff_says_it_was_simplified(client, editor):
    save_page(client, "Shuffle", "x\ny\n" * 150)
    save_page(client, "Shuffle", "y\nx\n" * 150)
    html = client.get("/diff/Shuffle?from=1&to=2").get_data(as_text=True)
    assert "This diff is simplified" in html


def test_rendered_diff_highlights_changed_blocks_and_stays_sanitized(client, celery):
    save_page(client, "Celery", "# Celery\n\nline one changed\n\n<script>alert(1)</script>\n")
    html = client.get("/diff/Celery?from=3&to=4&mode=rendered&view=inline").get_data(as_text=True)
    assert '<div class="rd rd-equal"><h1 id="h-celery">' in html
    assert re.search(r'class="rd rd-delete"><span class="visually-hidden">Removed:</span><p>', html)
    assert re.search(r'class="rd rd-insert"><span class="visually-hidden">Added:</span><p>', html)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    split = client.get("/diff/Celery?from=3&to=4&mode=rendered&view=split").get_data(as_text=True)
    assert 'class="rdiff-row"' in split and "rd-insert" in split


def test_rendered_diff_of_identical_renderings(client, celery):
    save_page(client, "Celery", "# Celery\n\nline one changed\nline two\nline three")
    html = client.get("/diff/Celery?from=3&to=4&mode=rendered").get_data(as_text=True)
    assert "The rendered pages look the same" in html


def test_restore_appends_a_revision_equal_to_the_old_one(client, app, celery):
    response = client.post("/revert/Celery?rev=1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/wiki/Celery")
    assert b"Restored revision 1 as revision 4" in client.get("/wiki/Celery").data
    assert client.get("/raw/Celery?rev=4").data == client.get("/raw/Celery?rev=1").data
    with app.app_context():
        latest = db.session.scalar(select(Revision).where(Revision.number == 4))
        assert latest.summary == "Restored revision 1" and latest.kind == "revert"
    assert _history_rows(client.get("/history/Celery").get_data(as_text=True)) == [4, 3, 2, 1]


def test_restore_of_the_current_text_adds_nothing(client, celery):
    client.post("/revert/Celery?rev=3")
    assert b"nothing to restore" in client.get("/wiki/Celery").data
    assert client.get("/raw/Celery?rev=4").status_code == 404


def test_restore_needs_login_and_csrf(client, celery, auth):
    assert client.post("/revert/Celery?rev=1", csrf=False).status_code == 400
    auth.logout()
    response = client.post("/revert/Celery?rev=1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/raw/Celery?rev=4").status_code == 404


def test_restore_of_protected_page_is_for_admins(client, app, celery, auth):
    _set_page(app, "Celery", protected=True)
    assert client.post("/revert/Celery?rev=1").status_code == 403
    auth.logout()
    auth.login("alice")
    assert client.post("/revert/Celery?rev=1").status_code == 302
    assert client.get("/raw/Celery").data == client.get("/raw/Celery?rev=1").data


@pytest.mark.parametrize(
    ("query", "status"), [("", 400), ("?rev=x", 400), ("?rev=0", 400), ("?rev=9", 404)]
)
def test_restore_bad_revision(client, celery, query, status):
    assert client.post(f"/revert/Celery{query}").status_code == status
    assert client.post("/revert/Nope?rev=1").status_code == 404


def test_old_revision_banner_offers_restore_to_editors(client, celery, auth):
    html = client.get("/wiki/Celery?rev=1").get_data(as_text=True)
    assert "revision 1 of 3" in html and "Restore this revision" in html
    assert 'action="/revert/Celery?rev=1"' in html
    assert "Restore this revision" not in client.get("/wiki/Celery").get_data(as_text=True)
    auth.logout()
    assert "Restore this revision" not in client.get("/wiki/Celery?rev=1").get_data(as_text=True)


def test_changed_since_last_visit_links_to_the_diff(client, editor, auth):
    save_page(client, "Kafka", "v1")
    auth.logout()
    auth.login("alice")
    client.get("/wiki/Kafka")  # alice sees revision 1
    auth.logout()
    auth.login("bob")
    save_page(client, "Kafka", "v2")
    save_page(client, "Kafka", "v3")
    auth.logout()
    auth.login("alice")
    html = client.get("/wiki/Kafka").get_data(as_text=True)
    assert "Changed since your last visit (2 edits)" in html
    link = re.search(r'href="(/diff/Kafka\?[^"]+)">see changes', html).group(1)
    assert "from=1" in link and "to=3" in link
    diff = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "v1" in diff and "v3" in diff
    assert "Changed since your last visit" not in client.get("/wiki/Kafka").get_data(as_text=True)


def test_contributions_list_a_users_edits(client, celery, monkeypatch):
    save_page(client, "Redis", "cache", summary="about redis")
    html = client.get("/user/bob").get_data(as_text=True)
    assert "Contributions of bob" in html and "4 edits" in html
    assert html.index("Redis") < html.index("Celery") and "about redis" in html
    assert 'href="/diff/Celery?to=3"' in html
    assert client.get("/user/BOB").status_code == 200
    monkeypatch.setattr(history_service, "PER_PAGE", 3)
    page2 = client.get("/user/bob?page=2").get_data(as_text=True)
    assert "Celery" in page2 and "Redis" not in page2
    assert client.get("/user/bob?page=3").status_code == 404
    assert client.get("/user/nobody").status_code == 404
    assert client.get("/user/%00bob").status_code == 404
    assert client.get("/user/" + "b" * 5000).status_code == 404
    assert client.get("/user/bob?page=x").status_code == 400
