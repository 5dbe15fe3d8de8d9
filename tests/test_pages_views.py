"""Viewing, creating and editing pages through the app on a real database."""

import html

import pytest

from tests.conftest import save_page


def test_create_view_edit_keeps_revisions(client, editor):
    assert save_page(client, "Django REST Framework", "# DRF\n\nSerializers.").status_code == 302
    view = client.get("/wiki/Django_REST_Framework")
    assert view.status_code == 200
    assert b"Serializers." in view.data and b"Edit" in view.data and b"History" in view.data
    assert save_page(client, "Django REST Framework", "# DRF\n\nViewsets.").status_code == 302
    assert b"Viewsets." in client.get("/wiki/Django_REST_Framework").data
    old = client.get("/wiki/Django_REST_Framework?rev=1")
    assert b"Serializers." in old.data and b"old revision" in old.data
    raw = client.get("/raw/Django_REST_Framework?rev=1")
    assert raw.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert raw.get_data(as_text=True) == "# DRF\n\nSerializers."


def test_home_is_the_home_page(client, editor):
    save_page(client, "Home", "Welcome to **Nexus**")
    assert b"<strong>Nexus</strong>" in client.get("/").data


def test_save_without_changes_adds_no_revision(client, editor, app):
    save_page(client, "Celery", "tasks")
    response = save_page(client, "Celery", "tasks")
    assert response.status_code == 302
    assert client.get("/raw/Celery?rev=2").status_code == 404


def test_spaces_and_percent20_redirect_to_underscores(client, editor):
    save_page(client, "Docker Compose", "yaml")
    response = client.get("/wiki/Docker%20Compose")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/wiki/Docker_Compose")


def test_case_insensitive_match_redirects(client, editor):
    save_page(client, "GraphQL", "schema")
    response = client.get("/wiki/graphql")
    assert response.status_code == 302 and response.headers["Location"].endswith("/wiki/GraphQL")


def test_missing_page_is_404_with_create_link_for_editors(client, editor, auth):
    response = client.get("/wiki/Nope")
    assert response.status_code == 404 and b"Create this page" in response.data
    auth.logout()
    anon = client.get("/wiki/Nope")
    assert anon.status_code == 404 and b"Create this page" not in anon.data


@pytest.mark.parametrize(
    "path",
    ["/wiki/a//b", "/wiki/a/../b", "/wiki/%EF%BC%8E%EF%BC%8E", "/wiki/x%7Cy", "/wiki/%E2%80%AEabc"],
)
def test_invalid_titles_are_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert b"Invalid title" in response.data


def test_invalid_title_on_edit_is_400(client, editor):
    assert client.get("/edit/a//b").status_code == 400
    response = client.post("/edit/bad%7Ctitle", data={"body": "x", "save": "Save"})
    assert response.status_code == 400


def test_anonymous_edit_redirects_to_login(client):
    assert client.get("/edit/Home").status_code == 302
    response = client.post("/edit/Home", data={"body": "x", "save": "Save", "base_rev": ""})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_revision_is_404_and_bad_rev_400(client, editor):
    save_page(client, "Redis", "cache")
    assert client.get("/wiki/Redis?rev=9").status_code == 404
    assert client.get("/wiki/Redis?rev=abc").status_code == 400
    assert client.get("/raw/Redis?rev=0").status_code == 400


def test_body_over_one_mib_is_413_and_text_kept(client, editor):
    body = "x" * (1024 * 1024 + 1)
    response = save_page(client, "Big", body)
    assert response.status_code == 413
    assert b"1 MiB" in response.data
    assert body[:1000].encode() in response.data
    assert client.get("/wiki/Big").status_code == 404


def test_stale_base_rev_never_overwrites_silently(client, editor):
    save_page(client, "Caching", "line one\nline two\n")
    save_page(client, "Caching", "line one changed\nline two\n", base_rev=1)
    response = save_page(client, "Caching", "line one mine\nline two\n", base_rev=1)
    assert response.status_code == 409
    assert b"line one mine" in response.data and b"line one changed" in response.data
    assert client.get("/raw/Caching").get_data(as_text=True) == "line one changed\nline two\n"


def test_non_overlapping_stale_edit_is_merged(client, editor):
    save_page(client, "Merge", "a\nb\nc\nd\ne\n")
    save_page(client, "Merge", "A\nb\nc\nd\ne\n", base_rev=1)
    response = save_page(client, "Merge", "a\nb\nc\nd\nE\n", base_rev=1)
    assert response.status_code == 302
    assert client.get("/raw/Merge").get_data(as_text=True) == "A\nb\nc\nd\nE\n"
    follow = client.get("/wiki/Merge")
    assert b"merged with revision 2" in follow.data


@pytest.mark.parametrize("base_rev", ["abc", "99"])
def test_bad_base_rev_is_400_with_text_shown(client, editor, base_rev):
    save_page(client, "Base", "one")
    response = save_page(client, "Base", "my precious text", base_rev=base_rev)
    assert response.status_code == 400
    assert b"my precious text" in response.data


def test_preview_button_without_javascript(client, editor):
    response = client.post(
        "/edit/Preview_me", data={"body": "**bold**", "summary": "", "base_rev": "", "preview": "1"}
    )
    assert response.status_code == 200
    assert b"<strong>bold</strong>" in response.data
    assert client.get("/wiki/Preview_me").status_code == 404


def test_preview_endpoint_sanitizes(client, editor):
    response = client.post(
        "/preview", data={"body": "<script>alert(1)</script>[x](javascript:alert(1))"}
    )
    assert response.status_code == 200
    assert b"<script" not in response.data and b"javascript:" not in response.data


def test_preview_needs_login(client):
    assert client.post("/preview", data={"body": "x"}).status_code == 302


@pytest.mark.parametrize("body", ["- " * 1000 + "x", "> " * 1000 + "x"])
def test_pathological_markdown_is_refused_not_500(client, editor, body):
    response = save_page(client, "Deep", body)
    assert response.status_code in (400, 413)
    assert b"too complex" in response.data
    assert html.escape(body[:200], quote=False).encode() in response.data
    assert client.get("/wiki/Deep").status_code == 404


def test_wiki_links_red_until_created(client, editor):
    save_page(client, "Python", "See [[Celery]] and [[Django|the framework]].")
    page = client.get("/wiki/Python").get_data(as_text=True)
    assert 'class="wikilink missing"' in page
    save_page(client, "Celery", "Tasks")
    page = client.get("/wiki/Python").get_data(as_text=True)
    assert 'href="/wiki/Celery"' in page
    assert page.count("wikilink missing") == 1  # Django is still missing


def test_pages_index_groups_by_top_level(client, editor):
    save_page(client, "Django", "x")
    save_page(client, "Django/ORM", "y")
    save_page(client, "Python", "z")
    page = client.get("/pages").get_data(as_text=True)
    assert "Django/ORM" in page and page.index("Django") < page.index("Python")


def test_security_headers_on_pages_and_errors(client):
    for path in ("/login", "/wiki/Missing"):
        response = client.get(path)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_read_access_registered_only(app_config):
    from wiki import create_app

    app = create_app(**app_config, WIKI_READ_ACCESS="registered")
    response = app.test_client().get("/wiki/Home")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_anonymous_reader_sees_page_with_edit_and_history_links(client, editor, auth):
    save_page(client, "Docker", "Containers")
    auth.logout()
    page = client.get("/wiki/Docker")
    assert page.status_code == 200
    assert b">Edit<" in page.data and b">History<" in page.data and b"Log in" in page.data
