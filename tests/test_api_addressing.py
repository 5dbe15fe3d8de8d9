"""Addressing pages through the JSON API (issue #17 leftovers): sub-pages called "revisions"
or "diff" (a trailing "/"), and renamed pages' old titles (308 to the new title for reads and
for edits of a revision; a create there is refused unless the client asks for it)."""

from __future__ import annotations

import json

from tests.api_support import assert_problem, bearer, make_token, put_page

API = "/api/v1/pages/"


def test_sub_pages_called_revisions_or_diff_are_addressed_with_a_trailing_slash(
    client, editor, app
):
    token = make_token(app, "bob")
    assert put_page(client, "Guides", token, {"body": "parent"}).status_code == 201
    for leaf in ("revisions", "diff"):
        title = f"Guides/{leaf}"
        # Without the slash the URL is Guides's history or diff: a save there is refused.
        refused = assert_problem(put_page(client, title, token, {"body": "x"}), 405)
        assert f"{API}Guides/{leaf}/" in refused["detail"]
        created = put_page(client, f"{title}/", token, {"body": f"about {leaf}"})
        assert created.status_code == 201, created.get_data(as_text=True)
        assert created.get_json()["title"] == title
        assert created.headers["Location"].endswith(f"{API}Guides/{leaf}/")
        page = client.get(created.headers["Location"]).get_json()
        assert (page["title"], page["body"]) == (title, f"about {leaf}")
        saved = put_page(client, f"{title}/", token, {"body": "v2", "base_rev": 1})
        assert saved.status_code == 200 and saved.get_json()["revision"] == 2
        # Its own history and diff, and still the parent's.
        own = client.get(f"{API}Guides/{leaf}/revisions").get_json()
        assert own["title"] == title and own["total"] == 2
        assert client.get(f"{API}Guides/{leaf}/diff").get_json()["title"] == title
    assert client.get(f"{API}Guides/revisions").get_json()["title"] == "Guides"
    assert client.get(f"{API}Guides/diff").get_json()["title"] == "Guides"
    options = client.options(f"{API}Guides/revisions/")
    assert "PUT" in options.headers["Allow"]
    assert "PUT" not in client.options(f"{API}Guides/revisions").headers["Allow"]
    # A top-level page may be called "revisions": nothing else reads its URL.
    assert put_page(client, "revisions", token, {"body": "top"}).status_code == 201
    assert client.get(f"{API}revisions").get_json()["body"] == "top"
    assert_problem(client.get(f"{API}Guides//"), 400)  # one "/" at most


def test_the_document_says_how(client):
    doc = client.get("/api/openapi.json").get_json()
    (title,) = [
        p for p in doc["paths"]["/api/v1/pages/{title}"]["put"]["parameters"] if p["in"] == "path"
    ]
    assert "may end in one “/”" in title["description"] and "`Foo/diff/`" in title["description"]
    moved = doc["paths"]["/api/v1/pages/{title}/revisions"]["get"]["responses"]["308"]
    assert moved["headers"]["Location"]["required"] is True


def _rename(client, editor, old: str, new: str) -> None:
    assert client.post(f"/rename/{old}", data={"new_title": new}).status_code == 302


def test_reads_of_an_old_title_are_redirected(client, editor, app):
    token = make_token(app, "bob")
    put_page(client, "Old", token, {"body": "one"})
    put_page(client, "Old", token, {"body": "two", "base_rev": 1})
    _rename(client, editor, "Old", "Topic/diff")  # a new title that needs its "/"
    moved = client.get(f"{API}Old?rev=1")
    assert moved.status_code == 308 and moved.mimetype == "application/json"
    assert moved.headers["Location"] == f"{API}Topic/diff/?rev=1"
    assert moved.get_json() == {
        "title": "Old",
        "moved_to": "Topic/diff",
        "location": f"{API}Topic/diff/?rev=1",
    }
    followed = client.get(f"{API}Old?rev=1", follow_redirects=True)
    assert followed.status_code == 200 and followed.get_json()["body"] == "one"
    history = client.get(f"{API}Old/revisions")
    assert history.headers["Location"] == f"{API}Topic/diff/revisions"
    diff = client.get(f"{API}Old/diff?from=1&to=2")
    assert diff.status_code == 308
    assert diff.headers["Location"] == f"{API}Topic/diff/diff?from=1&to=2"
    assert client.get(f"{API}Old/diff?from=1&to=2", follow_redirects=True).get_json()["to"] == 2
    assert_problem(client.get(f"{API}Never"), 404)  # no redirect: still a 404
    odd = client.get(f"{API}Old?rev=1&x=%0D%0A\x7f\xff")
    assert odd.status_code == 308 and odd.headers["Location"].isascii()
    assert odd.headers["Location"].startswith(f"{API}Topic/diff/?rev=1&x=%0D%0A%7F")


def test_writes_to_an_old_title_never_create_a_page_unasked(client, editor, app):
    token = make_token(app, "bob")
    put_page(client, "Old", token, {"body": "one"})
    _rename(client, editor, "Old", "New")
    # An edit of revision 1 belongs to the renamed page: redirected, method and body kept.
    edit = {"body": "edited", "base_rev": 1}
    moved = put_page(client, "Old", token, edit)
    assert moved.status_code == 308 and moved.headers["Location"] == f"{API}New"
    assert moved.get_json()["moved_to"] == "New"
    # Repeated there, as an HTTP client does (Werkzeug's test client cannot resend a body).
    followed = client.put(
        moved.headers["Location"],
        data=json.dumps(edit),
        headers={"Content-Type": "application/json", **bearer(token)},
    )
    assert followed.status_code == 200 and followed.get_json()["title"] == "New"
    assert client.get(f"{API}New").get_json()["body"] == "edited"
    # A create there is refused, saying where the page went.
    refused = assert_problem(put_page(client, "Old", token, {"body": "fresh"}), 409)
    assert refused["moved_to"] == "New" and refused["location"] == f"{API}New"
    assert "replace_redirect=true" in refused["detail"]
    assert client.get(f"{API}Old").status_code == 308  # nothing was created
    # Unless the client says it means a new page in place of the redirect.
    created = put_page(client, "Old?replace_redirect=true", token, {"body": "fresh"})
    assert created.status_code == 201 and created.get_json()["title"] == "Old"
    assert client.get(f"{API}Old").get_json()["body"] == "fresh"
    assert client.get(f"{API}New").get_json()["body"] == "edited"
    assert_problem(put_page(client, "Old?replace_redirect=maybe", token, {"body": "x"}), 400)


def test_the_html_view_still_follows_the_redirect(client, editor, app):
    token = make_token(app, "bob")
    put_page(client, "Old", token, {"body": "one"})
    _rename(client, editor, "Old", "New")
    view = client.get("/wiki/Old")
    assert view.status_code == 302 and view.headers["Location"].startswith("/wiki/New?")
