"""API reference pages through the app: the page view, the diff's "API changes" view and
recent changes (issue #18)."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import save_page
from tests.openapi_docs import document, fence
from tests.test_xss_corpus import script_problems
from wiki.history import api_changes


@pytest.fixture
def api_page(client, editor):
    """Revision 1: a 6-operation API; revision 2: an operation and a response field removed,
    a new required parameter; revision 3: only prose changed."""
    old = document(6)
    new = copy.deepcopy(old)
    del new["paths"]["/things1"]["post"]
    new["components"]["schemas"]["Book"]["properties"].pop("tags")
    new["paths"]["/things0"]["get"]["parameters"].append(
        {"name": "sort", "in": "query", "required": True, "schema": {"type": "string"}}
    )
    assert save_page(client, "Books API", fence(old)).status_code == 302
    assert save_page(client, "Books API", fence(new)).status_code == 302
    assert save_page(client, "Books API", "More intro.\n\n" + fence(new)).status_code == 302
    return "Books API"


def test_page_shows_the_api_reference(client, api_page):
    html = client.get("/wiki/Books_API").get_data(as_text=True)
    assert '<div class="openapi">' in html
    assert 'id="h-op-list0"' in html and 'href="#h-op-list0"' in html
    assert '<span class="oa-method oa-get">GET</span>' in html
    assert "css/openapi.css" in html


def test_invalid_document_still_saves_and_shows_an_error_box(client, editor):
    body = fence("openapi: 3.1.0\ninfo: {title: x}\npaths: {}")
    assert save_page(client, "Broken API", body).status_code == 302
    response = client.get("/wiki/Broken_API")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This OpenAPI document cannot be shown" in html
    assert "version" in html and "is a required property" in html
    assert "<code>info</code>" in html


def test_diff_has_an_api_changes_view_with_breaking_changes_first(client, api_page):
    source = client.get("/diff/Books_API?from=1&to=2").get_data(as_text=True)
    assert "mode=api" in source and "6 breaking</span>" in source  # the tab, with its count
    # Above the source diff: the first ten (here all seven), breaking first.
    assert source.count('<li class="api-change api-change-breaking">') == 6
    assert source.count('<li class="api-change">') == 1
    assert "operation removed" in source
    response = client.get("/diff/Books_API?from=1&to=2&mode=api")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "6 breaking, " in html
    items = html[html.index('class="api-change-list"') :]
    breaking = items.index("api-change-breaking")
    assert "POST /things1" in html and "operation removed" in html
    assert "new required parameter" in html and "field removed" in html
    # Every breaking change is listed before the first non-breaking one.
    last_breaking = items.rindex("api-change-breaking")
    first_plain = items.find('<li class="api-change">')
    assert first_plain == -1 or last_breaking < first_plain
    assert breaking >= 0


def test_diff_of_prose_only_edit_says_the_api_did_not_change(client, api_page):
    html = client.get("/diff/Books_API?from=2&to=3&mode=api").get_data(as_text=True)
    assert "No change to the API between these revisions" in html


def test_recent_changes_say_how_many_breaking_changes(client, api_page, app):
    html = client.get("/recent").get_data(as_text=True)
    with app.app_context():
        summary = api_changes.api_summary(_revision_id(app, "Books API", 2))
    assert summary.startswith("API: ") and "breaking change" in summary
    assert summary in html
    assert html.count("breaking change") == 1  # revision 3 changed only prose
    assert summary in client.get("/user/bob").get_data(as_text=True)  # contributions too
    assert f"; {summary})" in client.get("/recent.atom").get_data(as_text=True)  # and the feed


def test_api_summary_for_notifications(app, client, api_page):
    with app.app_context():
        assert api_changes.api_summary(_revision_id(app, "Books API", 3)) == ""
        first = api_changes.api_summary(_revision_id(app, "Books API", 1))
        assert first == "API: 6 changes"  # six operations added, none breaking


def test_unknown_mode_falls_back_to_source(client, api_page):
    response = client.get("/diff/Books_API?from=1&to=2&mode=<script>")
    assert response.status_code == 200
    assert (
        "<script>" not in response.get_data(as_text=True).split("<main", 1)[1].split("</main>")[0]
    )


def test_script_in_descriptions_never_reaches_the_page(client, editor):
    doc = document(2, description='<script>__xss=1</script><img src=x onerror="__xss=1">')
    doc["info"]["title"] = "<svg onload=__xss=1>"
    assert save_page(client, "Evil API", fence(doc)).status_code == 302
    html = client.get("/wiki/Evil_API").get_data(as_text=True)
    assert '<div class="openapi">' in html
    assert script_problems(html) == []
    assert "&lt;script&gt;__xss=1&lt;/script&gt;" in html  # shown as text


def test_huge_document_is_refused_clearly_and_the_text_is_kept(client, editor):
    body = fence(json.dumps(document(10_000), separators=(",", ":")))
    response = save_page(client, "Huge API", body)
    # Over the page size limit (413), or saved with an error box: never a 500.
    assert response.status_code in (302, 413)
    if response.status_code == 413:
        assert "Huge API" in response.get_data(as_text=True) or response.data
    else:
        assert "operations; at most" in client.get("/wiki/Huge_API").get_data(as_text=True)


def _revision_id(app, title: str, number: int) -> int:
    from sqlalchemy import select

    from wiki.extensions import db
    from wiki.models import Page, Revision

    return db.session.scalar(
        select(Revision.id).join(Page).where(Page.title == title, Revision.number == number)
    )


def test_block_naming_an_attachment_shows_that_document(client, editor):
    from tests.test_files_views import upload
    from tests.test_openapi import BOOKS

    assert save_page(client, "Attached API", "Text.").status_code == 302
    response = upload(client, "Attached_API", BOOKS.encode(), "api.yaml")
    assert response.status_code in (200, 302, 303)
    body = "Our API:\n\n```openapi\nopenapi: api.yaml\n```\n"
    assert save_page(client, "Attached API", body).status_code == 302
    html = client.get("/wiki/Attached_API").get_data(as_text=True)
    assert 'id="h-op-getbook"' in html and "oa-error" not in html
    assert save_page(client, "Other API", "```openapi\nopenapi: nope.yaml\n```").status_code == 302
    html = client.get("/wiki/Other_API").get_data(as_text=True)
    assert "no attachment called “nope.yaml”" in html


def test_source_diff_lists_ten_api_changes_and_links_to_all(client, editor):
    old = document(20)
    assert save_page(client, "Big API", fence(old)).status_code == 302
    assert save_page(client, "Big API", fence(document(4))).status_code == 302
    html = client.get("/diff/Big_API?from=1&to=2").get_data(as_text=True)
    assert html.count('<li class="api-change api-change-breaking">') == 10
    assert "… and 6 more" in html and "mode=api" in html and "all API changes</a>" in html


def test_alias_bomb_page_saves_with_an_error_box(client, editor):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    body = fence("openapi: 3.1.0\n" + "\n".join(lines))
    assert save_page(client, "Bomb API", body).status_code == 302
    html = client.get("/wiki/Bomb_API").get_data(as_text=True)
    assert "expands to more than" in html
    assert "*a8, *a8" in client.get("/raw/Bomb_API").get_data(as_text=True)  # text kept
