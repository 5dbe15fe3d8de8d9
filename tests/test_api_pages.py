"""The JSON API's pages: read, list, create and save through the editor's own service."""

from __future__ import annotations

from tests.api_support import assert_problem, bearer, make_token, put_page
from tests.conftest import save_page


def test_create_then_read_a_page(client, editor, app):
    token = make_token(app, "bob")
    created = put_page(
        client, "API Guide", token, {"body": "---\ntags: [api, howto]\n---\n# Hi\n\nText **bold**."}
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json() == {
        "title": "API Guide",
        "revision": 1,
        "changed": True,
        "created": True,
        "merged": False,
        "merged_with": None,
    }
    assert created.headers["Location"].endswith("/api/v1/pages/API_Guide")
    page = client.get("/api/v1/pages/API_Guide")
    assert page.status_code == 200 and page.mimetype == "application/json"
    doc = page.get_json()
    assert set(doc) == {
        "title",
        "revision",
        "body",
        "html",
        "tags",
        "updated_at",
        "author",
        "protected",
    }
    assert doc["title"] == "API Guide" and doc["revision"] == 1 and doc["author"] == "bob"
    assert doc["tags"] == ["api", "howto"] and doc["protected"] is False
    assert "<strong>bold</strong>" in doc["html"] and doc["body"].endswith("Text **bold**.")
    # The HTML editor sees the same page.
    assert b"<strong>bold</strong>" in client.get("/wiki/API_Guide").data


def test_save_with_base_rev_and_read_old_revision(client, editor, app):
    token = make_token(app, "bob")
    put_page(client, "Celery", token, {"body": "one\n"})
    saved = put_page(client, "Celery", token, {"body": "two\n", "summary": "s", "base_rev": 1})
    assert saved.status_code == 200
    assert saved.get_json()["revision"] == 2 and saved.get_json()["created"] is False
    same = put_page(client, "Celery", token, {"body": "two\n", "base_rev": 2})
    assert same.status_code == 200 and same.get_json()["changed"] is False
    old = client.get("/api/v1/pages/Celery?rev=1").get_json()
    assert old["revision"] == 1 and old["body"] == "one\n"
    assert_problem(client.get("/api/v1/pages/Celery?rev=9"), 404)
    assert_problem(client.get("/api/v1/pages/Celery?rev=abc"), 400)


def test_three_way_merge_and_conflict_like_the_editor(client, editor, app):
    token = make_token(app, "bob")
    base = "line one\nline two\nline three\nline four\n"
    put_page(client, "Merge", token, {"body": base})
    # Someone else saves through the HTML editor.
    assert (
        save_page(client, "Merge", base.replace("line one", "LINE ONE"), base_rev=1).status_code
        == 302
    )
    merged = put_page(
        client, "Merge", token, {"body": base.replace("line four", "LINE FOUR"), "base_rev": 1}
    )
    assert merged.status_code == 200
    assert merged.get_json()["merged"] is True and merged.get_json()["merged_with"] == 2
    body = client.get("/api/v1/pages/Merge").get_json()["body"]
    assert "LINE ONE" in body and "LINE FOUR" in body
    conflict = put_page(
        client, "Merge", token, {"body": base.replace("line one", "first line"), "base_rev": 1}
    )
    doc = assert_problem(conflict, 409)
    assert doc["current_rev"] == 3
    assert "first line" in doc["merged_body"] and "LINE ONE" in doc["merged_body"]
    assert "<<<<<<<" in doc["merged_body"]
    assert client.get("/api/v1/pages/Merge").get_json()["revision"] == 3  # nothing saved


def test_bad_bodies_are_problems_not_500(client, editor, app):
    token = make_token(app, "bob")
    assert_problem(put_page(client, "X", token, b"{not json"), 400)
    assert_problem(put_page(client, "X", token, b"\xff\xfe"), 400)
    assert_problem(put_page(client, "X", token, {"body": 5}), 400)
    assert_problem(put_page(client, "X", token, {"body": "a", "base_rev": "1"}), 400)
    assert_problem(put_page(client, "X", token, {"body": "a", "base_rev": -1}), 400)
    doc = assert_problem(put_page(client, "X", token, {"body": "a", "colour": "red"}), 400)
    assert doc["errors"][0]["loc"] == ["colour"]
    assert_problem(put_page(client, "X", token, {"summary": "no body"}), 400)
    assert_problem(put_page(client, "X", token, [1, 2]), 400)
    assert_problem(put_page(client, "X", token, {"body": "a", "summary": "s" * 501}), 400)
    wrong_type = client.put(
        "/api/v1/pages/X", data="body=a", headers={**bearer(token), "Content-Type": "text/plain"}
    )
    assert_problem(wrong_type, 415)
    assert_problem(put_page(client, "X", token, {"body": "a", "base_rev": 7}), 400)
    assert_problem(put_page(client, "a%5Bb", token, {"body": "a"}), 400)
    assert_problem(put_page(client, "X", token, {"body": "x" * (1024 * 1024 + 1)}), 413)
    assert client.get("/api/v1/pages/X").status_code == 404  # nothing was created


def test_errors_under_api_are_never_html(client, editor, app):
    assert_problem(client.get("/api/v1/pages/Nope"), 404)
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    not_allowed = client.delete("/api/v1/pages/Nope")
    assert_problem(not_allowed, 405)
    assert "PUT" in not_allowed.headers["Allow"]
    assert_problem(client.get("/api/v1/pages?page=0"), 400)
    assert_problem(client.get("/api/v1/pages/.."), 400)


def test_protected_and_deleted_pages_follow_the_editor_rules(client, editor, app):
    alice, bob = make_token(app, "alice"), make_token(app, "bob")
    put_page(client, "Policy", alice, {"body": "rules"})
    put_page(client, "Old", alice, {"body": "old"})
    editor.logout()
    editor.login("alice")
    assert client.post("/protect/Policy", data={"protected": "1"}).status_code in (302, 303)
    assert client.post("/delete/Old").status_code in (302, 303)
    assert client.get("/api/v1/pages/Policy").get_json()["protected"] is True
    assert_problem(put_page(client, "Policy", bob, {"body": "mine", "base_rev": 1}), 403)
    assert put_page(client, "Policy", alice, {"body": "admin", "base_rev": 1}).status_code == 200
    assert_problem(client.get("/api/v1/pages/Old"), 404)
    assert_problem(put_page(client, "Old", bob, {"body": "back"}), 403)


def test_list_pages_with_filters_and_pagination(client, editor, app):
    token = make_token(app, "bob")
    for title in ("Guides/Docker", "Guides/Celery", "guides lower", "Other"):
        put_page(
            client,
            title,
            token,
            {"body": f"---\ntags: [{'x' if 'Guides' in title else 'y'}]\n---\n"},
        )
    everything = client.get("/api/v1/pages").get_json()
    assert everything["titles"] == ["guides lower", "Guides/Celery", "Guides/Docker", "Other"]
    assert everything["total"] == 4 and everything["has_next"] is False
    first = client.get("/api/v1/pages?per_page=3").get_json()
    second = client.get("/api/v1/pages?per_page=3&page=2").get_json()
    assert first["has_next"] and first["titles"] + second["titles"] == everything["titles"]
    assert client.get("/api/v1/pages?prefix=Guides/").get_json()["titles"] == [
        "Guides/Celery",
        "Guides/Docker",
    ]
    assert client.get("/api/v1/pages?tag=Y").get_json()["titles"] == ["guides lower", "Other"]
    assert client.get("/api/v1/pages?prefix=%25").get_json()["titles"] == []


def test_revisions_and_diff(client, editor, app):
    token = make_token(app, "bob")
    put_page(client, "Notes", token, {"body": "a\nb\n", "summary": "first"})
    put_page(client, "Notes", token, {"body": "a\nc\n", "summary": "second", "base_rev": 1})
    history = client.get("/api/v1/pages/Notes/revisions").get_json()
    assert [r["number"] for r in history["revisions"]] == [2, 1]
    assert history["revisions"][0]["summary"] == "second" and history["total"] == 2
    assert (
        history["revisions"][1]["kind"] == "create" and history["revisions"][1]["author"] == "bob"
    )
    assert_problem(client.get("/api/v1/pages/Notes/revisions?page=2"), 404)
    diff = client.get("/api/v1/pages/Notes/diff?from=1&to=2").get_json()
    assert diff["from"] == 1 and diff["to"] == 2 and diff["added"] == 1 and diff["removed"] == 1
    kinds = [(line["kind"], line["text"]) for line in diff["hunks"][0]["lines"]]
    assert ("delete", "b") in kinds and ("insert", "c") in kinds
    assert client.get("/api/v1/pages/Notes/diff").get_json()["from"] == 1
    assert_problem(client.get("/api/v1/pages/Notes/diff?from=1&to=5"), 404)


def test_search_snippets_are_plain_text(client, editor, app):
    token = make_token(app, "bob")
    body = "## Redis\n\nUse **Redis** for *caching* & `queues` <b>(bold)</b>."
    put_page(client, "Caching", token, {"body": body})
    result = client.get("/api/v1/search?q=redis").get_json()
    assert result["total"] >= 1 and result["results"][0]["title"] == "Caching"
    snippet = result["results"][0]["snippet"]
    # The text a reader sees: no markup, no entities, no Markdown; a tag the wiki escapes
    # (<b> is not allowed) is visible text on the page, so it is text in the snippet too.
    assert "Use Redis for caching & queues <b>(bold)</b>." in snippet, snippet
    assert "*" not in snippet and "`" not in snippet and "&amp;" not in snippet
    assert_problem(client.get("/api/v1/search"), 400)


def test_cached_page_documents_follow_every_change(client, editor, app):
    token = make_token(app, "bob")
    put_page(client, "Hub", token, {"body": "See [[Spoke]]."})
    first = client.get("/api/v1/pages/Hub").get_json()
    assert 'class="wikilink missing"' in first["html"]  # a red link: Spoke does not exist
    assert client.get("/api/v1/pages/Hub").get_json() == first  # served again (cached)
    put_page(client, "Spoke", token, {"body": "here"})
    assert "missing" not in client.get("/api/v1/pages/Hub").get_json()["html"]
    put_page(client, "Hub", token, {"body": "Changed.", "base_rev": 1})
    assert client.get("/api/v1/pages/Hub").get_json()["revision"] == 2
    assert client.get("/api/v1/pages/Hub?rev=1").get_json()["body"] == "See [[Spoke]]."
    editor.logout()
    editor.login("alice")
    assert client.post("/delete/Spoke").status_code in (302, 303)
    assert_problem(client.get("/api/v1/pages/Spoke"), 404)
