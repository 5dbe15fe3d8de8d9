"""Rename/move, link rewriting, delete/restore and protection (wiki/structure_service.py),
driven through the app on the real database (SQLite, and PostgreSQL when configured)."""

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import save_page
from wiki.auth import permissions
from wiki.extensions import db
from wiki.models import (
    Draft,
    Link,
    Page,
    PageTag,
    Redirect,
    RenderCache,
    Revision,
    SearchStale,
    User,
)
from wiki.pages import editing
from wiki.structure import service as structure_service


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _page(title: str) -> Page | None:
    return db.session.scalar(select(Page).where(Page.title == title))


def _revisions(title: str) -> list[Revision]:
    page = _page(title)
    return list(
        db.session.scalars(
            select(Revision).where(Revision.page_id == page.id).order_by(Revision.number)
        )
    )


def _body(title: str) -> str:
    return _revisions(title)[-1].body


def _links_to(target: str) -> set[str]:
    stmt = select(Page.title).join(Link, Link.source_id == Page.id)
    return set(db.session.scalars(stmt.where(Link.target_title == target)))


def _snapshot():
    """Everything a refused structure change must leave as it was."""
    pages = db.session.execute(select(Page.title, Page.current_rev).order_by(Page.title)).all()
    return (
        pages,
        db.session.scalar(select(func.count()).select_from(Revision)),
        sorted(db.session.scalars(select(Redirect.title))),
        sorted(db.session.execute(select(Link.source_id, Link.target_title)).all()),
    )


def test_rename_moves_history_and_leaves_a_redirect(app, client, editor):
    save_page(client, "Celery", "# Celery\n\nversion one")
    save_page(client, "Celery", "# Celery\n\nversion two")
    with app.app_context():
        result = structure_service.rename_page("Celery", "Celery Tasks", _user("bob"))
        assert result.moves == {"Celery": "Celery Tasks"}
        assert _page("Celery") is None
        revisions = _revisions("Celery Tasks")
        assert [r.number for r in revisions] == [1, 2, 3]
        assert [r.title for r in revisions] == ["Celery", "Celery", "Celery Tasks"]
        assert revisions[-1].kind == "rename"
        assert revisions[-1].summary == "Renamed from Celery to Celery Tasks"
        assert revisions[-1].body == revisions[-2].body
        assert revisions[-1].author.username == "bob"
        assert db.session.get(Redirect, "Celery").page_id == _page("Celery Tasks").id
        assert _page("Celery Tasks").title_key == "celery tasks"
    old = client.get("/wiki/Celery")
    assert old.status_code == 302
    assert old.headers["Location"].endswith("/wiki/Celery_Tasks?redirectedfrom=Celery")
    followed = client.get(old.headers["Location"])
    assert b"version two" in followed.data and b"Redirected from" in followed.data


def test_rename_rewrites_every_kind_of_link_as_a_revision(app, client, editor):
    save_page(client, "Old", "the page")
    save_page(client, "A", "[[Old]] and [[Old|label]] and [[Old#Setup]]")
    save_page(client, "B", "[see](/wiki/Old) and [ref]\n\n[ref]: /wiki/Old#x")
    save_page(client, "C", "no links to it, only [[Other]] and `[[Old]]`")
    with app.app_context():
        result = structure_service.rename_page("Old", "New", _user("bob"))
        assert sorted(result.rewritten) == ["A", "B"]
        assert _body("A") == "[[New]] and [[New|label]] and [[New#Setup]]"
        assert _body("B") == "[see](/wiki/New) and [ref]\n\n[ref]: /wiki/New#x"
        assert _body("C") == "no links to it, only [[Other]] and `[[Old]]`"
        assert [r.number for r in _revisions("C")] == [1]
        for title in ("A", "B"):
            latest = _revisions(title)[-1]
            assert latest.number == 2 and latest.author.username == "bob"
            assert latest.summary == "Updated links after renaming Old to New"
        assert _links_to("New") == {"A", "B"}
        assert _links_to("Old") == set()
        cache = db.session.get(RenderCache, _revisions("A")[-1].id)
        assert json.loads(cache.missing_json) == []  # rendered knowing "New" exists
        assert 'href="/wiki/New"' in cache.html
    rendered = client.get("/wiki/A").data
    assert b'href="/wiki/New"' in rendered and b"missing" not in rendered


def test_texts_are_rendered_before_the_write_lock(app, client, editor, monkeypatch):
    save_page(client, "Old", "o")
    save_page(client, "Old/Sub", "[[Old]]")
    save_page(client, "A", "[[Old]] and [[Old/Sub]]")
    under_lock = []
    render = structure_service.render_for_save
    monkeypatch.setattr(
        structure_service, "render_for_save", lambda *a: under_lock.append(a) or render(*a)
    )
    with app.app_context():
        result = structure_service.rename_page("Old", "New", _user("bob"), move_subpages=True)
        assert sorted(result.rewritten) == ["A", "New/Sub"]
    assert under_lock == []


def test_a_page_edited_while_the_rename_waits_is_rendered_again(app, client, editor, monkeypatch):
    save_page(client, "Old", "o")
    save_page(client, "A", "[[Old]] first")
    prerender = structure_service._prerender

    def edit_in_between(*args):
        ready = prerender(*args)
        editing.save_edit("A", "[[Old]] second", "", 1, _user("alice"))
        return ready

    monkeypatch.setattr(structure_service, "_prerender", edit_in_between)
    with app.app_context():
        structure_service.rename_page("Old", "New", _user("bob"))
        latest = _revisions("A")[-1]
        assert latest.number == 3 and latest.body == "[[New]] second"
        cache = db.session.get(RenderCache, latest.id)
        assert "second" in cache.html and 'href="/wiki/New"' in cache.html


def test_rename_without_rewriting_keeps_bodies_and_links_still_work(app, client, editor):
    save_page(client, "Old", "the page")
    save_page(client, "A", "[[Old]]")
    with app.app_context():
        result = structure_service.rename_page("Old", "New", _user("bob"), rewrite=False)
        assert result.rewritten == []
        assert _body("A") == "[[Old]]" and len(_revisions("A")) == 1
        assert _links_to("Old") == {"A"}
    view = client.get("/wiki/A").data
    assert b'href="/wiki/Old"' in view and b"missing" not in view  # blue: Old redirects


def test_move_with_subpages_moves_them_and_their_links(app, client, editor):
    save_page(client, "Django", "[[Django/ORM]] is part of [[Django]]")
    save_page(client, "Django/ORM", "back to [[Django]]")
    save_page(client, "Django/ORM/Queries", "q")
    save_page(client, "Djangoish", "not a sub-page")
    with app.app_context():
        result = structure_service.rename_page(
            "Django", "Web/Django", _user("bob"), move_subpages=True
        )
        assert result.moves == {
            "Django": "Web/Django",
            "Django/ORM": "Web/Django/ORM",
            "Django/ORM/Queries": "Web/Django/ORM/Queries",
        }
        assert _page("Djangoish") is not None
        for old, new in result.moves.items():
            assert db.session.get(Redirect, old).page_id == _page(new).id
            rename = [r for r in _revisions(new) if r.kind == "rename"]
            assert rename[0].summary == f"Renamed from {old} to {new}"
        assert _body("Web/Django") == "[[Web/Django/ORM]] is part of [[Web/Django]]"
        assert _body("Web/Django/ORM") == "back to [[Web/Django]]"
        summary = _revisions("Web/Django/ORM")[-1].summary
        assert summary == "Updated links after renaming Django and its sub-pages to Web/Django"


def test_without_move_subpages_the_subpages_stay(app, client, editor):
    save_page(client, "Django", "d")
    save_page(client, "Django/ORM", "o")
    with app.app_context():
        result = structure_service.rename_page("Django", "Flask", _user("bob"))
        assert result.moves == {"Django": "Flask"}
        assert _page("Django/ORM") is not None and _page("Flask/ORM") is None


@pytest.mark.parametrize(
    ("new_title", "error", "status"),
    [
        ("Taken", structure_service.TitleTaken, 409),
        ("Trashed", structure_service.TitleTaken, 409),  # a deleted page keeps its title
        ("a//b", editing.EditError, 400),
        ("x|y", editing.EditError, 400),
        ("   ", editing.EditError, 400),
        ("Page", editing.EditError, 400),
        ("Page_", editing.EditError, 400),  # the same title once normalised
        ("Page/Child", editing.EditError, 400),  # into its own sub-page
        ("Other/Sub", structure_service.TitleTaken, 409),  # an existing sub-page elsewhere
    ],
)
def test_refused_renames_change_nothing(app, client, editor, new_title, error, status):
    save_page(client, "Page", "[[Taken]]")
    save_page(client, "Page/Sub", "s")
    save_page(client, "Taken", "t")
    save_page(client, "Other/Sub", "o")
    save_page(client, "Trashed", "x")
    with app.app_context():
        structure_service.delete_page("Trashed", _user("alice"))
        before = _snapshot()
        with pytest.raises(error) as raised:
            structure_service.rename_page("Page", new_title, _user("bob"), move_subpages=True)
        assert raised.value.status == status
        db.session.rollback()
        assert _snapshot() == before


def test_moving_subpages_onto_a_taken_title_changes_nothing(app, client, editor):
    save_page(client, "Page", "p")
    save_page(client, "Page/Sub", "s")
    save_page(client, "Other", "o")  # free target for Page…
    save_page(client, "Else/Sub", "taken")  # …but not for Page/Sub
    with app.app_context():
        structure_service.delete_page("Other", _user("alice"))
        before = _snapshot()
        with pytest.raises(structure_service.TitleTaken):
            structure_service.rename_page("Page", "Else", _user("bob"), move_subpages=True)
        db.session.rollback()
        assert _snapshot() == before
        assert structure_service.rename_page("Page", "Else", _user("bob")).moves == {"Page": "Else"}


def test_missing_or_deleted_page_cannot_be_renamed(app, client, editor):
    save_page(client, "Gone", "g")
    with app.app_context():
        with pytest.raises(structure_service.NotFound):
            structure_service.rename_page("Nope", "New", _user("bob"))
        structure_service.delete_page("Gone", _user("alice"))
        with pytest.raises(structure_service.NotFound):
            structure_service.rename_page("Gone", "New", _user("alice"))


def test_a_new_page_at_the_old_title_wins_over_the_redirect(app, client, editor):
    save_page(client, "Old", "moved text")
    with app.app_context():
        structure_service.rename_page("Old", "New", _user("bob"))
    assert client.get("/wiki/Old").status_code == 302
    assert save_page(client, "Old", "brand new page").status_code == 302
    view = client.get("/wiki/Old")
    assert view.status_code == 200 and b"brand new page" in view.data
    with app.app_context():
        assert db.session.get(Redirect, "Old") is None
        assert _body("New") == "moved text"


def test_renaming_back_replaces_the_redirect(app, client, editor):
    save_page(client, "A", "text")
    save_page(client, "L", "[[A]]")
    with app.app_context():
        structure_service.rename_page("A", "B", _user("bob"))
        structure_service.rename_page("B", "A", _user("bob"))
        page = _page("A")
        assert [r.kind for r in _revisions("A")] == ["create", "rename", "rename"]
        assert db.session.get(Redirect, "A") is None
        assert db.session.get(Redirect, "B").page_id == page.id
        assert _body("L") == "[[A]]"
        assert [r.number for r in _revisions("L")] == [1, 2, 3]


def test_protected_linking_pages_are_skipped_for_editors(app, client, editor, auth):
    save_page(client, "Old", "o")
    save_page(client, "Locked", "[[Old]]")
    save_page(client, "Open", "[[Old]]")
    with app.app_context():
        structure_service.set_protected("Locked", True, _user("alice"))
        result = structure_service.rename_page("Old", "New", _user("bob"))
        assert result.skipped == ["Locked"] and result.rewritten == ["Open"]
        assert _body("Locked") == "[[Old]]"
        structure_service.rename_page("New", "Newer", _user("alice"))
        assert _body("Locked") == "[[Old]]"  # links to the older title still use the redirect
        assert _body("Open") == "[[Newer]]"


def test_protected_page_or_subpage_cannot_be_moved_by_an_editor(app, client, editor):
    save_page(client, "P", "p")
    save_page(client, "P/Sub", "s")
    with app.app_context():
        structure_service.set_protected("P/Sub", True, _user("alice"))
        with pytest.raises(editing.PermissionDenied):
            structure_service.rename_page("P", "Q", _user("bob"), move_subpages=True)
        structure_service.set_protected("P", True, _user("alice"))
        with pytest.raises(editing.PermissionDenied):
            structure_service.rename_page("P", "Q", _user("bob"))
        db.session.rollback()
        result = structure_service.rename_page("P", "Q", _user("alice"), move_subpages=True)
        assert set(result.moves.values()) == {"Q", "Q/Sub"}


def test_drafts_follow_the_renamed_page(app, client, editor):
    save_page(client, "Old", "o")
    with app.app_context():
        bob = _user("bob")
        db.session.add(Draft(user_id=bob.id, page_title="Old", base_rev=1, body="wip"))
        db.session.commit()
        structure_service.rename_page("Old", "New", bob)
        titles = db.session.scalars(select(Draft.page_title)).all()
        assert titles == ["New"]


def test_delete_hides_the_page_and_restore_brings_it_back(app, client, editor, auth):
    save_page(client, "Target", "---\ntags: [python]\n---\nlinks to [[Elsewhere]]")
    save_page(client, "Target", "---\ntags: [python]\n---\nlinks to [[Elsewhere]] v2")
    save_page(client, "Linker", "see [[Target]]")
    with app.app_context():
        alice = _user("alice")
        page = structure_service.delete_page("Target", alice)
        assert page.deleted and page.deleted_by_id == alice.id and page.deleted_at is not None
        assert _revisions("Target")[-1].kind == "delete"
        assert _links_to("Elsewhere") == set()  # a deleted page links nowhere
        assert db.session.scalars(select(PageTag).where(PageTag.page_id == page.id)).all() == []
        assert db.session.get(SearchStale, page.id) is None  # sync dropped it from search
        with pytest.raises(structure_service.NotFound):
            structure_service.delete_page("Target", alice)
        with pytest.raises(structure_service.NotFound):
            structure_service.delete_page("Missing", alice)
    assert client.get("/wiki/Target").status_code == 404
    assert b"missing" in client.get("/wiki/Linker").data  # the link turned red
    with app.app_context():
        page = structure_service.restore_page("Target", _user("alice"))
        assert not page.deleted and page.deleted_by_id is None and page.deleted_at is None
        revisions = _revisions("Target")
        assert [r.kind for r in revisions] == ["create", "edit", "delete", "restore"]
        assert revisions[-1].summary == "Restored the deleted page"
        assert revisions[-1].body == revisions[1].body
        assert _links_to("Elsewhere") == {"Target"}
        assert [t.tag for t in db.session.scalars(select(PageTag))] == ["python"]
        with pytest.raises(structure_service.TitleTaken):
            structure_service.restore_page("Target", _user("alice"))
    view = client.get("/wiki/Target")
    assert view.status_code == 200 and b"v2" in view.data


def test_only_admins_delete_restore_and_protect(app, client, editor):
    save_page(client, "P", "p")
    with app.app_context():
        bob = _user("bob")
        for action, args in (
            (structure_service.delete_page, ()),
            (structure_service.restore_page, ()),
            (structure_service.set_protected, (True,)),
        ):
            with pytest.raises(editing.PermissionDenied):
                action("P", *args, bob)
        db.session.rollback()
        assert not _page("P").deleted and not _page("P").protected


def test_protect_is_a_revision_and_blocks_editors(app, client, editor):
    save_page(client, "P", "p")
    with app.app_context():
        alice, bob = _user("alice"), _user("bob")
        assert structure_service.set_protected("P", True, alice) is True
        assert structure_service.set_protected("P", True, alice) is False
        assert [r.kind for r in _revisions("P")] == ["create", "protect"]
        assert _page("P").protected
        assert not permissions.can_edit(bob, _page("P")) and permissions.can_edit(alice, _page("P"))
        with pytest.raises(editing.PermissionDenied):
            editing.save_edit("P", "changed", "", 2, bob)
        assert structure_service.set_protected("P", False, alice) is True
        assert [r.kind for r in _revisions("P")] == ["create", "protect", "unprotect"]
        assert editing.save_edit("P", "changed", "", 3, _user("bob")).revision.number == 4
