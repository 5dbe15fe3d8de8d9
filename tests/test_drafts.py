"""Autosaved drafts through the app (wiki.pages.drafts + wiki/pages/drafts_views.py): autosave,
the restore offer, discard, privacy, limits, expiry, presence, and text kept across an
expired login. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from tests.conftest import CSRFClient, save_page
from wiki.auth.accounts import create_user
from wiki.extensions import db
from wiki.models import Draft, Page, User, now_utc
from wiki.pages import drafts

JSON = {"Accept": "application/json"}


def post_draft(client, title: str, body: str, base_rev="", **extra):
    data = {"body": body, "summary": extra.pop("summary", ""), "base_rev": str(base_rev), **extra}
    return client.post(f"/draft/{title}", data=data, headers=JSON)


def age_drafts(app, delta: timedelta) -> None:
    """Move every draft's times into the past, as if ``delta`` had passed."""
    with app.app_context():
        for draft in db.session.scalars(select(Draft)):
            draft.updated_at -= delta
            draft.created_at -= delta
        db.session.commit()


def draft_rows(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(User.username, Draft.page_title, Draft.body).join(User).order_by(Draft.id)
        )
        return [tuple(r) for r in rows]


def words_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def textarea(response) -> str:
    match = re.search(
        r'<textarea[^>]*name="body"[^>]*>\r?\n?(.*?)</textarea>',
        response.get_data(as_text=True),
        re.S,
    )
    assert match, "no body textarea"
    return html.unescape(match.group(1))


def field(response, name: str) -> str:
    page = response.get_data(as_text=True)
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page
    )
    assert match, f"no {name} field"
    return html.unescape(match.group(1))


@pytest.fixture
def alice(app, editor):
    app.test_client_class = CSRFClient
    other = app.test_client()
    other.post("/login", data={"username": "alice", "password": "password123"})
    return other


def test_autosave_then_restore_offer_and_restore(client, editor):
    save_page(client, "Notes", "first text")
    response = post_draft(
        client, "Notes", "first text, and more I typed", base_rev=1, summary="wip"
    )
    assert response.status_code == 200 and response.get_json()["status"] == "saved"
    assert response.get_json()["saved_at"].endswith("UTC")
    editor_page = client.get("/edit/Notes")
    words = words_of(editor_page)
    assert re.search(
        r"Restore your unsaved draft from \d\d:\d\d UTC \(based on revision 1\)", words
    )
    assert 'href="/edit/Notes?draft=1"' in editor_page.get_data(as_text=True)
    assert textarea(editor_page) == "first text"  # nothing replaced until asked
    restored = client.get("/edit/Notes?draft=1")
    assert textarea(restored) == "first text, and more I typed"
    assert field(restored, "base_rev") == "1" and field(restored, "summary") == "wip"
    assert "This is your unsaved draft from" in words_of(restored)
    loaded = client.get("/draft/Notes", headers=JSON).get_json()
    assert loaded["body"] == "first text, and more I typed" and loaded["base_rev"] == 1


def test_restored_stale_draft_merges_on_save(client, alice):
    save_page(client, "Merge me", "a\nb\nc\nd\ne\n")
    post_draft(client, "Merge me", "A\nb\nc\nd\ne\n", base_rev=1)
    save_page(alice, "Merge me", "a\nb\nc\nd\nE\n", base_rev=1)
    restored = client.get("/edit/Merge_me?draft=1")
    assert "it is at revision 2 now" in words_of(restored)
    save = save_page(client, "Merge me", textarea(restored), base_rev=field(restored, "base_rev"))
    assert save.status_code == 302
    assert client.get("/raw/Merge_me").get_data(as_text=True) == "A\nb\nc\nd\nE\n"


def test_discard_with_the_form_and_as_json(client, editor):
    save_page(client, "Notes", "text")
    post_draft(client, "Notes", "draft one")
    response = client.post("/draft/Notes/discard")
    assert response.status_code == 302 and response.headers["Location"].endswith("/edit/Notes")
    assert "Restore your unsaved draft" not in words_of(client.get("/edit/Notes"))
    assert client.get("/draft/Notes", headers=JSON).status_code == 404
    age_drafts(client.application, timedelta(seconds=5))
    post_draft(client, "Notes", "draft two")
    response = client.post("/draft/Notes/discard", headers=JSON)
    assert response.get_json() == {"status": "discarded"}
    assert draft_rows(client.application) == []


def test_draft_is_deleted_when_the_page_is_saved(client, editor):
    save_page(client, "Notes", "v1")
    post_draft(client, "Notes", "v2 in progress", base_rev=1)
    assert save_page(client, "Notes", "v2 final").status_code == 302
    assert draft_rows(client.application) == []


def test_draft_equal_to_the_page_is_not_kept(client, editor):
    save_page(client, "Notes", "same")
    post_draft(client, "Notes", "changed")
    age_drafts(client.application, timedelta(seconds=5))
    response = post_draft(client, "Notes", "same", base_rev=1)
    assert response.get_json()["status"] == "unchanged"
    assert draft_rows(client.application) == []


def test_drafts_are_private_to_their_author(client, alice):
    save_page(client, "Shared", "page text")
    post_draft(client, "Shared", "bob's secret draft", base_rev=1)
    assert alice.get("/draft/Shared", headers=JSON).status_code == 404
    for url in ("/edit/Shared", "/edit/Shared?draft=1", "/wiki/Shared"):
        assert "bob's secret draft" not in alice.get(url).get_data(as_text=True)
    assert "Restore your unsaved draft" not in words_of(alice.get("/edit/Shared"))
    alice.post("/draft/Shared/discard")  # discards only alice's own (none)
    assert draft_rows(client.application) == [("bob", "Shared", "bob's secret draft")]


def test_anonymous_cannot_read_or_write_drafts(client, editor, auth):
    save_page(client, "Shared", "page text")
    post_draft(client, "Shared", "bob's draft")
    auth.logout()
    assert client.get("/draft/Shared", headers=JSON).status_code == 401
    assert post_draft(client, "Shared", "anon text").status_code == 401
    assert client.get("/draft/Shared/token", headers=JSON).status_code == 401
    assert draft_rows(client.application) == [("bob", "Shared", "bob's draft")]


def test_draft_for_a_protected_page_is_403_for_an_editor(client, alice):
    save_page(alice, "Rules", "admins only")
    with client.application.app_context():
        db.session.execute(update(Page).where(Page.title == "Rules").values(protected=True))
        db.session.commit()
    response = post_draft(client, "Rules", "bob tries", base_rev=1)
    assert response.status_code == 403 and response.get_json()["status"] == "error"
    assert post_draft(alice, "Rules", "alice may", base_rev=1).get_json()["status"] == "saved"
    assert draft_rows(client.application) == [("alice", "Rules", "alice may")]


def test_huge_draft_is_413(client, editor):
    response = post_draft(client, "Big", "x" * (1024 * 1024 + 1))
    assert response.status_code == 413 and "1 MiB" in response.get_json()["message"]
    assert draft_rows(client.application) == []


@pytest.mark.parametrize("base_rev", ["abc", "²", "5"])
def test_bad_base_rev_for_a_draft_is_400(client, editor, base_rev):
    save_page(client, "Notes", "text")
    assert post_draft(client, "Notes", "draft", base_rev=base_rev).status_code == 400
    assert client.post("/draft/Notes", data={"summary": "no body"}, headers=JSON).status_code == 400
    assert draft_rows(client.application) == []


def test_at_most_one_autosave_every_three_seconds_per_editor(client, editor):
    assert post_draft(client, "One", "first").get_json()["status"] == "saved"
    skipped = post_draft(client, "Two", "second page, too soon").get_json()
    assert skipped["status"] == "skipped" and 0 < skipped["retry_after"] <= 3
    assert post_draft(client, "One", "again too soon").get_json()["status"] == "skipped"
    assert draft_rows(client.application) == [("bob", "One", "first")]
    age_drafts(client.application, timedelta(seconds=3.5))
    assert post_draft(client, "One", "later").get_json()["status"] == "saved"
    assert draft_rows(client.application) == [("bob", "One", "later")]


def test_throttle_is_per_editor(client, alice):
    assert post_draft(client, "Page", "bob's").get_json()["status"] == "saved"
    assert post_draft(alice, "Page", "alice's").get_json()["status"] == "saved"


def test_drafts_expire_after_thirty_days(app, client, editor):
    save_page(client, "Old", "text")
    post_draft(client, "Old", "an old draft", base_rev=1)
    age_drafts(app, timedelta(days=30, minutes=1))
    assert client.get("/draft/Old", headers=JSON).status_code == 404
    assert "Restore your unsaved draft" not in words_of(client.get("/edit/Old"))
    with app.app_context():
        assert drafts.expire_drafts() == 1
        assert drafts.expire_drafts() == 0
    assert draft_rows(app) == []


def test_a_new_autosave_purges_the_editors_expired_drafts(app, client, editor):
    post_draft(client, "Ancient", "from long ago")
    age_drafts(app, timedelta(days=31))
    post_draft(client, "Fresh", "today")
    assert draft_rows(app) == [("bob", "Fresh", "today")]


def test_presence_shows_others_editing_on_view_and_editor(client, alice):
    save_page(client, "Busy", "text")
    post_draft(client, "Busy", "bob typing", base_rev=1)
    for url in ("/wiki/Busy", "/edit/Busy"):
        words = words_of(alice.get(url))
        assert re.search(r"bob is editing this page \(since \d\d:\d\d UTC ?\)", words), url
    assert "is editing this page" not in words_of(client.get("/wiki/Busy"))  # not yourself
    age_drafts(client.application, timedelta(minutes=2, seconds=5))
    assert "is editing this page" not in words_of(alice.get("/wiki/Busy"))


def test_presence_since_restarts_with_a_new_editing_session(app, client, editor):
    post_draft(client, "Busy", "one")
    age_drafts(app, timedelta(hours=2))
    post_draft(client, "Busy", "two")
    with app.app_context():
        draft = db.session.scalar(select(Draft))
        assert draft.updated_at - draft.created_at < timedelta(seconds=1)
        assert [e.username for e in drafts.active_editors("Busy")] == ["bob"]
        assert drafts.active_editors("Busy", exclude_user_id=draft.user_id) == []


def test_the_editor_reads_its_offer_and_presence_in_one_query(app, client, editor):
    """drafts.editor_drafts: the viewer's own draft of any age short of expiry, unless it
    holds the current text; everyone else active whose draft changed lately; in one query."""
    save_page(client, "Busy", "current text")
    now = now_utc()
    with app.app_context():
        users = {name: create_user(name, "a long password 1") for name in ("ann", "cy", "di")}
        db.session.flush()
        users["di"].active = False
        bob = db.session.scalar(select(User).where(User.username == "bob"))
        ages = {bob: timedelta(days=29), users["ann"]: timedelta(seconds=30)}
        ages |= {users["cy"]: timedelta(minutes=5), users["di"]: timedelta(seconds=10)}
        for user, age in ages.items():
            db.session.add(
                Draft(
                    user_id=user.id,
                    page_title="Busy",
                    body=f"{user.username}'s text",
                    summary="",
                    created_at=now - age,
                    updated_at=now - age,
                )
            )
        db.session.commit()
        page = Page.named("Busy")
        statements = []

        def note(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            offer, editors = drafts.editor_drafts(bob.id, "Busy", page, now=now)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert len([s for s in statements if "FROM drafts" in s]) == 1
        assert offer is not None and offer.body == "bob's text"
        assert [e.username for e in editors] == ["ann"]  # not cy (5 min), nor di (inactive)
        assert drafts.editor_drafts(users["ann"].id, "Busy", page, now=now)[1] == []
        # Expired, or holding the page's current text: nothing to offer.
        assert drafts.editor_drafts(bob.id, "Busy", page, now=now + timedelta(days=2))[0] is None
        db.session.execute(update(Draft).values(body="current text"))
        assert drafts.editor_drafts(bob.id, "Busy", page, now=now)[0] is None


def test_autosaved_draft_is_there_after_logging_in_again(client, editor, auth):
    save_page(client, "Essay", "start")
    post_draft(client, "Essay", "start, and a long paragraph", base_rev=1)
    auth.logout()
    assert client.get("/edit/Essay").status_code == 302  # to the log-in page
    auth.login("bob")
    assert "Restore your unsaved draft" in words_of(client.get("/edit/Essay"))
    assert textarea(client.get("/edit/Essay?draft=1")) == "start, and a long paragraph"


def test_expired_session_on_save_shows_the_text_and_writes_no_draft(client, editor, auth):
    save_page(client, "Essay", "start")
    editor_page = client.get("/edit/Essay")
    old_csrf, token = field(editor_page, "csrf_token"), field(editor_page, "draft_token")
    auth.logout()  # the session (and its CSRF secret) is gone, as after a timeout
    response = client.post(
        "/edit/Essay",
        data={
            "body": "the text I typed",
            "summary": "",
            "base_rev": "1",
            "save": "Save",
            "csrf_token": old_csrf,
            "draft_token": token,
        },
        csrf=False,
    )
    assert response.status_code == 400
    assert textarea(response) == "the text I typed" and field(response, "base_rev") == "1"
    assert 'data-logged-out="1"' in response.get_data(as_text=True)  # kept in the browser
    assert draft_rows(client.application) == []


def test_expired_session_without_a_token_shows_the_text_back(client, editor, auth):
    save_page(client, "Essay", "start")
    old_csrf = field(client.get("/edit/Essay"), "csrf_token")
    auth.logout()
    response = client.post(
        "/edit/Essay",
        data={"body": "still mine", "base_rev": "1", "save": "Save", "csrf_token": old_csrf},
        csrf=False,
    )
    assert response.status_code == 400
    assert textarea(response) == "still mine"
    assert "log in" in words_of(response)


def test_stale_csrf_while_logged_in_shows_the_editor_again(client, editor):
    save_page(client, "Essay", "start")
    token = field(client.get("/edit/Essay"), "draft_token")
    response = client.post(
        "/edit/Essay",
        data={
            "body": "my edit",
            "base_rev": "1",
            "save": "Save",
            "csrf_token": "stale",
            "draft_token": token,
        },
        csrf=False,
    )
    assert response.status_code == 400
    assert textarea(response) == "my edit" and field(response, "base_rev") == "1"
    assert "save again" in words_of(response)
    resubmit = client.post(
        "/edit/Essay",
        data={
            "body": "my edit",
            "base_rev": "1",
            "save": "Save",
            "csrf_token": field(response, "csrf_token"),
        },
        csrf=False,
    )
    assert resubmit.status_code == 302
    assert client.get("/raw/Essay").get_data(as_text=True) == "my edit"


def test_autosave_after_the_session_expired_writes_nothing(client, editor, auth):
    save_page(client, "Essay", "start")
    assert post_draft(client, "Essay", "my unsaved work", base_rev="1").status_code == 200
    token = field(client.get("/edit/Essay"), "draft_token")
    auth.logout()
    data = {
        "body": "typed while logged out",
        "base_rev": "1",
        "draft_token": token,
        "csrf_token": "from the old session",
    }
    response = client.post("/draft/Essay", data=data, headers=JSON, csrf=False)
    assert response.status_code == 400 and response.get_json()["status"] == "expired"
    # A leaked token with a valid anonymous CSRF token: still no write.
    leaked = client.post(
        "/draft/Essay", data={**data, "csrf_token": client.csrf_token()}, headers=JSON
    )
    assert leaked.status_code == 401 and leaked.get_json()["status"] == "logged_out"
    assert draft_rows(client.application) == [("bob", "Essay", "my unsaved work")]


def test_a_forged_edit_form_never_overwrites_a_draft(client, editor):
    """A cross-port form carries no valid CSRF token: the victim's draft stays as it was."""
    save_page(client, "Essay", "start")
    token = field(client.get("/edit/Essay"), "draft_token")
    assert post_draft(client, "Essay", "my unsaved work", base_rev="1").status_code == 200
    for extra in ({}, {"draft_token": token}):
        forged = client.post(
            "/edit/Essay",
            data={
                "body": "attacker text",
                "base_rev": "1",
                "save": "Save",
                "csrf_token": "x",
                **extra,
            },
            csrf=False,
        )
        assert forged.status_code == 400
    assert draft_rows(client.application) == [("bob", "Essay", "my unsaved work")]
    assert client.get("/raw/Essay").get_data(as_text=True) == "start"


def test_draft_token_is_bound_to_its_user_and_expires(app, client, editor, auth, monkeypatch):
    save_page(client, "Essay", "start")
    bobs_token = field(client.get("/edit/Essay"), "draft_token")
    auth.logout()
    auth.login("alice")
    posted = {"body": "alice's text", "base_rev": "1", "save": "Save", "csrf_token": "stale"}
    client.post("/edit/Essay", data={**posted, "draft_token": bobs_token}, csrf=False)
    assert draft_rows(app) == []  # bob's token does not work for alice
    import wiki.pages.drafts_views as drafts_views

    alices_token = field(client.get("/edit/Essay"), "draft_token")
    monkeypatch.setattr(drafts_views, "TOKEN_MAX_AGE", -1)  # every token is now too old
    client.post("/edit/Essay", data={**posted, "draft_token": alices_token}, csrf=False)
    assert draft_rows(app) == []
    monkeypatch.undo()
    client.post("/edit/Essay", data={**posted, "draft_token": alices_token}, csrf=False)
    assert draft_rows(app) == [("alice", "Essay", "alice's text")]


def test_draft_token_is_bound_to_its_title(client, editor, auth):
    token = field(client.get("/edit/Essay"), "draft_token")
    auth.logout()
    data = {"body": "elsewhere", "draft_token": token, "csrf_token": "x"}
    assert client.post("/draft/Other", data=data, headers=JSON, csrf=False).status_code == 400
    assert post_draft(client, "Other", "elsewhere", draft_token=token).status_code == 401
    assert draft_rows(client.application) == []


def test_token_endpoint_gives_fresh_tokens_to_a_logged_in_editor(client, editor):
    response = client.get("/draft/Essay/token", headers=JSON)
    assert response.status_code == 200
    fresh = response.get_json()
    assert fresh["csrf_token"] and fresh["draft_token"]
    data = {"body": "ok", "draft_token": fresh["draft_token"], "csrf_token": fresh["csrf_token"]}
    assert client.post("/draft/Essay", data=data, headers=JSON, csrf=False).status_code == 200


def test_csrf_failure_elsewhere_is_the_usual_400(client, editor):
    save_page(client, "Essay", "start")
    response = client.post("/revert/Essay?rev=1", csrf=False)
    assert response.status_code == 400 and "security token" in words_of(response)
    response = client.post("/draft/Essay/discard", csrf=False)
    assert response.status_code == 400 and "security token" in words_of(response)


def test_csrf_failure_on_preview_is_a_short_text_for_the_preview_pane(client, editor):
    response = client.post("/preview", data={"body": "x"}, csrf=False)
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert "preview is paused" in response.get_data(as_text=True)


def test_editor_carries_the_autosave_hooks(client, editor):
    page = client.get("/edit/Hooks").get_data(as_text=True)
    assert 'form="editor-form"' in page and 'data-save-url="/draft/Hooks"' in page
    assert "js/drafts.js" in page and "css/editing.css" in page


def test_drafts_expire_command_deletes_only_old_drafts(app, runner):
    """``flask drafts expire`` (run by bin/serve at every start) removes 30-day-old drafts."""
    from datetime import timedelta

    from wiki.extensions import db
    from wiki.models import Draft, User, now_utc

    with app.app_context():
        user = User(username="olddraft", username_key="olddraft", password_hash="x")
        db.session.add(user)
        db.session.flush()
        old = now_utc() - timedelta(days=31)
        db.session.add_all(
            [
                Draft(
                    user_id=user.id, page_title="Old", body="old", updated_at=old, created_at=old
                ),
                Draft(user_id=user.id, page_title="New", body="new"),
            ]
        )
        db.session.commit()
    result = runner.invoke(args=["drafts", "expire"])
    assert result.exit_code == 0, result.output
    assert "Expired 1 draft." in result.output
    with app.app_context():
        assert sorted(d.page_title for d in db.session.scalars(db.select(Draft))) == ["New"]
