"""Structure routes through the app: backlinks, rename/move, delete/restore, protection on every
write route, tags, special pages and the page footer, on SQLite and PostgreSQL."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import save_page
from wiki.extensions import db
from wiki.models import Page, Redirect, Revision, SearchMiss


def _text(response) -> str:
    return response.get_data(as_text=True)


def _as(auth, name: str | None):
    auth.logout()
    if name:
        assert auth.login(name).status_code == 302


def _revision_count(app, title: str) -> int:
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == title))
        return len(db.session.scalars(select(Revision).where(Revision.page_id == page.id)).all())


ADMIN_ROUTES = [
    ("post", "/delete/Page", {}),
    ("post", "/restore/Page", {}),
    ("post", "/protect/Page", {"protected": "1"}),
    ("get", "/special/deleted", None),
]


@pytest.mark.parametrize(("method", "path", "data"), ADMIN_ROUTES)
def test_admin_routes_send_anonymous_users_to_login_and_refuse_editors(
    client, editor, method, path, data
):
    save_page(client, "Page", "p")
    send = getattr(client, method)
    fields = (lambda: {"data": dict(data)}) if data is not None else dict
    assert send(path, **fields()).status_code == 403  # bob is an editor
    editor.logout()
    anonymous = send(path, **fields())
    assert anonymous.status_code == 302 and "/login?next=" in anonymous.headers["Location"]


def test_anonymous_users_log_in_to_rename(client, editor):
    save_page(client, "Page", "p")
    editor.logout()
    for response in (client.get("/rename/Page"), client.post("/rename/Page", data={})):
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_delete_then_restore_through_the_routes(app, client, editor):
    save_page(client, "Page", "---\ntags: [ops]\n---\nsecret words")
    save_page(client, "Linker", "[[Page]]")
    _as(editor, "alice")
    response = client.post("/delete/Page")
    assert response.status_code == 302 and response.headers["Location"].endswith("/wiki/Page")
    gone = client.get("/wiki/Page")
    assert gone.status_code == 404
    assert "deleted by alice" in _text(gone) and "Restore this page" in _text(gone)
    assert "Page" not in re.findall(r'href="/wiki/([^"]+)"', _text(client.get("/pages")))
    assert client.get("/tags/ops").status_code == 404
    assert client.get("/raw/Page").status_code == 404
    deleted_list = _text(client.get("/special/deleted"))
    assert "/wiki/Page" in deleted_list and "/restore/Page" in deleted_list
    assert client.post("/delete/Page").status_code == 404
    still_linked = _text(client.get("/backlinks/Page"))
    assert "was deleted" in still_linked and "/wiki/Linker" in still_linked
    _as(editor, "bob")
    as_editor = client.get("/wiki/Page")
    assert as_editor.status_code == 404 and "Restore this page" not in _text(as_editor)
    _as(editor, "alice")
    assert client.post("/restore/Page").status_code == 302
    back = client.get("/wiki/Page")
    assert back.status_code == 200 and "secret words" in _text(back)
    assert _revision_count(app, "Page") == 3
    assert client.post("/restore/Page").status_code == 409
    assert "/wiki/Linker" in _text(client.get("/backlinks/Page"))


def test_deleted_pages_do_not_count_as_backlinks(client, editor):
    save_page(client, "Target", "t")
    save_page(client, "Linker", "[[Target]] and [[Ghost]]")
    _as(editor, "alice")
    client.post("/delete/Linker")
    assert "/wiki/Linker" not in _text(client.get("/backlinks/Target"))
    assert "Ghost" not in _text(client.get("/special/wanted"))


@pytest.mark.parametrize(
    ("path", "status"),
    [("/delete/Nope", 404), ("/restore/Nope", 404), ("/protect/Nope", 404), ("/delete/a//b", 400)],
)
def test_structure_actions_on_missing_pages(client, editor, path, status):
    _as(editor, "alice")
    assert client.post(path, data={"protected": "1"}).status_code == status


@pytest.mark.parametrize("value", ["", "yes", "2", None])
def test_protect_needs_one_or_zero(client, editor, value):
    save_page(client, "Page", "p")
    _as(editor, "alice")
    data = {} if value is None else {"protected": value}
    assert client.post("/protect/Page", data=data).status_code == 400


def test_protection_is_shown_and_toggled(app, client, editor):
    save_page(client, "Page", "p")
    _as(editor, "alice")
    assert client.post("/protect/Page", data={"protected": "1"}).status_code == 302
    view = _text(client.get("/wiki/Page"))
    assert ">protected</span>" in view and "Unprotect" in view
    assert client.post("/protect/Page", data={"protected": "0"}).status_code == 302
    assert "Unprotect" not in _text(client.get("/wiki/Page"))
    assert _revision_count(app, "Page") == 3


def _upload(client, title):
    data = {"file": (io.BytesIO(b"plain notes\n"), "notes.txt"), "name": "notes.txt"}
    return client.post(f"/files/{title}", data=data, content_type="multipart/form-data")


WRITE_ROUTES = {
    "edit form": lambda c: c.get("/edit/Locked"),
    "edit save": lambda c: save_page(c, "Locked", "changed", base_rev=3),
    "revert": lambda c: c.post("/revert/Locked?rev=1"),
    "rename form": lambda c: c.get("/rename/Locked"),
    "rename": lambda c: c.post("/rename/Locked", data={"new_title": "Unlocked"}),
    "upload": lambda c: _upload(c, "Locked"),
    "draft": lambda c: c.post("/draft/Locked", data={"body": "wip", "base_rev": "3"}),
    "file restore": lambda c: c.post(
        "/restore-file/Locked", data={"name": "notes.txt", "version": "1"}
    ),
}


@pytest.mark.parametrize("route", sorted(WRITE_ROUTES))
def test_protected_pages_refuse_every_write_route_to_editors(app, client, editor, route):
    save_page(client, "Locked", "one")
    save_page(client, "Locked", "two")
    assert _upload(client, "Locked").status_code == 302
    _as(editor, "alice")
    client.post("/protect/Locked", data={"protected": "1"})
    _as(editor, "bob")
    assert WRITE_ROUTES[route](client).status_code == 403
    assert _revision_count(app, "Locked") == 3
    with app.app_context():
        assert db.session.scalar(select(Page.title).where(Page.title == "Locked")) == "Locked"
    _as(editor, "alice")
    assert WRITE_ROUTES[route](client).status_code in (200, 302)


def test_deleted_pages_refuse_edits_and_renames(client, editor):
    save_page(client, "Gone", "g")
    _as(editor, "alice")
    client.post("/delete/Gone")
    assert save_page(client, "Gone", "new text", base_rev="").status_code == 403
    assert client.post("/rename/Gone", data={"new_title": "Back"}).status_code == 404


def test_rename_form_and_rename_through_the_routes(app, client, editor):
    save_page(client, "Old Name", "text")
    save_page(client, "Old Name/Child", "child")
    save_page(client, "Linker", "[[Old Name]] and [[Old Name/Child]]")
    form = client.get("/rename/Old_Name")
    assert form.status_code == 200
    assert 'name="new_title"' in _text(form) and 'value="Old Name"' in _text(form)
    assert re.search(r'<input checked id="rewrite_links"', _text(form))
    assert "It has 1 sub-page" in _text(form)
    response = client.post(
        "/rename/Old_Name",
        data={"new_title": "New Name", "rewrite_links": ["0", "1"], "move_subpages": ["0", "1"]},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/wiki/New_Name")
    assert "Updated links in 1 page" in _text(client.get("/wiki/New_Name"))
    assert client.get("/raw/Linker").data == b"[[New Name]] and [[New Name/Child]]"
    old_link = client.get("/wiki/Old_Name/Child")
    assert old_link.headers["Location"].endswith(
        "/wiki/New_Name/Child?redirectedfrom=Old_Name/Child"
    ) or old_link.headers["Location"].endswith("/wiki/New_Name/Child?redirectedfrom=Old+Name/Child")


@pytest.mark.parametrize(
    ("fields", "rewritten"),
    [({"rewrite_links": "0"}, False), ({}, True), ({"rewrite_links": ["0", "1"]}, True)],
)
def test_rewrite_option_unchecked_checked_and_default(client, editor, fields, rewritten):
    save_page(client, "Old", "o")
    save_page(client, "Linker", "[[Old]]")
    assert client.post("/rename/Old", data={"new_title": "New", **fields}).status_code == 302
    body = client.get("/raw/Linker").data
    assert body == (b"[[New]]" if rewritten else b"[[Old]]")


@pytest.mark.parametrize(
    ("new_title", "status", "message"),
    [
        ("Taken", 409, "already exists"),
        ("a//b", 400, "empty level"),
        ("Page/Under", 400, "own sub-page"),
        ("", 400, "Enter the new title"),
        ("Page", 400, "same as the old one"),
    ],
)
def test_refused_rename_shows_the_form_with_the_reason(
    app, client, editor, new_title, status, message
):
    save_page(client, "Page", "p")
    save_page(client, "Taken", "t")
    response = client.post("/rename/Page", data={"new_title": new_title})
    assert response.status_code == status
    assert message in _text(response) and 'name="new_title"' in _text(response)
    assert _revision_count(app, "Page") == 1
    with app.app_context():
        assert db.session.scalars(select(Redirect)).all() == []


def test_rename_without_csrf_token_is_refused(app, client, editor):
    save_page(client, "Page", "p")
    assert client.post("/rename/Page", data={"new_title": "X"}, csrf=False).status_code == 400
    assert client.get("/wiki/Page").status_code == 200


def test_backlinks_direct_via_redirect_and_for_missing_pages(client, editor):
    save_page(client, "Target", "t")
    save_page(client, "Direct", "[[Target]]")
    save_page(client, "Md Link", "[x](/wiki/Target#part)")
    save_page(client, "Self", "[[Self]]")
    save_page(client, "Wants", "[[Not Yet Written]]")
    client.post("/rename/Target", data={"new_title": "Renamed", "rewrite_links": "0"})
    save_page(client, "Fresh", "[[Renamed]]")
    page = _text(client.get("/backlinks/Renamed"))
    assert "/wiki/Direct" in page and "/wiki/Md_Link" in page and "/wiki/Fresh" in page
    assert "via redirect “Target”" in page
    old = _text(client.get("/backlinks/Target"))
    assert "redirects to" in old and "/wiki/Direct" in old
    missing = client.get("/backlinks/Not_Yet_Written")
    assert missing.status_code == 200
    assert "/wiki/Wants" in _text(missing) and "no page called" in _text(missing)
    assert "No pages link to “Self”" in _text(client.get("/backlinks/Self"))
    assert client.get("/backlinks/a//b").status_code == 400


def test_tags_list_and_tag_pages(client, editor):
    save_page(client, "A", "---\ntags: [Python, testing]\n---\na")
    save_page(client, "B", "---\ntags: python\n---\nb")
    save_page(client, "C", "no tags")
    tags = _text(client.get("/tags"))
    assert re.search(r'href="/tags/python"[^>]*>python <span class="tag-count">2</span>', tags)
    assert re.search(r'href="/tags/testing"[^>]*>testing <span class="tag-count">1</span>', tags)
    python = _text(client.get("/tags/python"))
    assert "/wiki/A" in python and "/wiki/B" in python and "/wiki/C" not in python
    assert client.get("/tags/Python").status_code == 200  # tags are lower-cased
    assert client.get("/tags/nothing").status_code == 404
    assert client.get("/tags/%20").status_code == 404
    assert 'href="/tags/testing"' in _text(client.get("/wiki/A"))


def test_wanted_pages_rank_red_links_and_missed_searches(app, client, editor):
    save_page(client, "One", "[[Popular]] [[Rare]] [[Exists]]")
    save_page(client, "Two", "[[Popular]]")
    save_page(client, "Three", "[[Popular]] [[Searched Too]]")
    save_page(client, "Exists", "here")
    with app.app_context():
        now = datetime.now(UTC)
        for query, count in [
            ("kubernetes ingress", 5),
            ("searched too", 3),
            ("exists", 9),
            ("tag:nothing", 9),
        ]:
            db.session.add(
                SearchMiss(query_key=query, query=query, count=count, last_at=now, searchers=3)
            )
        db.session.commit()
    page = _text(client.get("/special/wanted"))
    order = re.findall(r'<span class="wanted-title">([^<]+)</span>', page)
    assert order == ["kubernetes ingress", "Searched Too", "Popular", "Rare"]
    assert 'href="/edit/Popular"' in page and ">Create</a>" in page
    assert 'href="/backlinks/Popular">3 pages</a>' in page


def test_orphaned_pages(client, editor):
    save_page(client, "Home", "[[Linked]]")
    save_page(client, "Linked", "[[Old Title]]")
    save_page(client, "Old Title", "renamed below")
    save_page(client, "Alone", "nobody links here, but I link to [[Linked]]")
    save_page(client, "Selfish", "[[Selfish]]")
    client.post("/rename/Old_Title", data={"new_title": "New Title", "rewrite_links": "0"})
    page = _text(client.get("/special/orphaned"))
    listed = set(re.findall(r'<li><a href="/wiki/([^"]+)">', page))
    assert listed == {"Alone", "Selfish"}
    assert client.get("/special/orphaned?page=abc").status_code == 200


def test_stale_pages_oldest_first(client, editor):
    old = (datetime.now(UTC) - timedelta(days=800)).date().isoformat()
    older = (datetime.now(UTC) - timedelta(days=900)).date().isoformat()
    fresh = datetime.now(UTC).date().isoformat()
    save_page(client, "Old", f"---\nlast_verified: {old}\n---\nx")
    save_page(client, "Older", f"---\nlast_verified: {older}\n---\nx")
    save_page(client, "Fresh", f"---\nlast_verified: {fresh}\n---\nx")
    page = _text(client.get("/special/stale"))
    assert re.findall(r'<td><a href="/wiki/([^"]+)">', page) == ["Older", "Old"]


def test_random_page(client, editor):
    empty = client.get("/special/random")
    assert empty.status_code == 302 and empty.headers["Location"].endswith("/pages")
    save_page(client, "Only", "o")
    save_page(client, "Gone", "g")
    _as(editor, "alice")
    client.post("/delete/Gone")
    for _ in range(5):
        assert client.get("/special/random").headers["Location"].endswith("/wiki/Only")


def test_footer_shows_actions_only_to_roles_that_may_use_them(client, editor):
    save_page(client, "Parent", "---\ntags: [ops]\n---\np")
    save_page(client, "Parent/Kid", "k")
    as_editor = _text(client.get("/wiki/Parent"))
    assert 'action="/rename/Parent"' in as_editor and "/delete/Parent" not in as_editor
    assert (
        'href="/backlinks/Parent"' in as_editor and 'href="/wiki/Parent/Kid">Kid</a>' in as_editor
    )
    _as(editor, "alice")
    as_admin = _text(client.get("/wiki/Parent"))
    # Delete goes through its confirmation page (GET /delete/<title>).
    for action in ('action="/rename/Parent"', 'href="/delete/Parent"', "/protect/Parent"):
        assert action in as_admin
    client.post("/protect/Parent", data={"protected": "1"})
    _as(editor, "bob")
    protected = _text(client.get("/wiki/Parent"))
    assert 'action="/rename/Parent"' not in protected and "What links here" in protected
    _as(editor, None)
    anonymous = _text(client.get("/wiki/Parent"))
    assert "/rename/" not in anonymous and "/delete/" not in anonymous
    assert "/protect/" not in anonymous and "What links here" in anonymous


def test_template_picker_on_the_create_form(client, editor):
    save_page(client, "Templates/How-to", "## Steps\n\n1. First")
    save_page(client, "Templates/Reference", "## Reference")
    create = _text(client.get("/edit/New_Guide"))
    assert '<option value="Templates/How-to">How-to</option>' in create
    assert "tags:" in create  # the picker documents where tags come from
    chosen = _text(client.get("/edit/New_Guide?template=Templates/How-to"))
    assert "## Steps" in chosen and 'value="Templates/How-to" selected' in chosen
    assert "template-select" not in _text(client.get("/edit/Templates/How-to"))


def test_pages_index_links_the_special_pages(client, editor):
    save_page(client, "Django/ORM", "o")
    index = _text(client.get("/pages"))
    for path in ("/tags", "/special/wanted", "/special/orphaned", "/special/random"):
        assert f'href="{path}"' in index
    assert "/special/deleted" not in index  # admins only


def test_read_access_registered_covers_structure_pages(app_config):
    from wiki import create_app

    app_config["WIKI_READ_ACCESS"] = "registered"
    client = create_app(**app_config).test_client()
    for path in ("/tags", "/special/wanted", "/backlinks/X", "/special/random"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
