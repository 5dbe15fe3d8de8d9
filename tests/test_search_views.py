"""GET /search and GET /search/suggest through HTTP, on every (database, search backend) pair."""

import re
from html import unescape
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests import search_support
from tests.conftest import save_page
from tests.search_support import html_hits
from tests.test_search_query import HOSTILE_QUERIES
from wiki.extensions import db
from wiki.models import SearchMiss
from wiki.search import misses

# Every test here runs on each (database, search backend) pair.
search_case, backend, app_config = (
    search_support.search_case,
    search_support.backend,
    search_support.app_config,
)

MORE_HOSTILE = [
    "a & b | !c",
    "'a':*",
    "foo:*A",
    "a <-> b",
    "<2> b",
    "'",
    "''",
    "$$",
    "%",
    "_",
    "a\\'b",
    "über* straße*",
    "x* y* z* w* v* u* t* s* r* q*",
    "-tag:x",
    "author:%",
    "under:%_",
    "under:a\\b",
    "title:'x'",
    "(a) [b] {c}",
    ":*",
]
ALL_HOSTILE = HOSTILE_QUERIES + MORE_HOSTILE


def _url(path: str, q: str, **args) -> str:
    extra = "".join(f"&{k}={v}" for k, v in args.items())
    return f"{path}?q={quote(q.encode('utf-8', 'surrogatepass'))}{extra}"


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def pages(client, editor):
    save_page(client, "Celery", "# Celery\n\nA distributed **task queue** for Python.")
    save_page(client, "Celery/Beat", "Periodic tasks for celery workers, scheduled by beat.")
    save_page(client, "Task queues", "Celery and RQ are task queues. " * 3)
    return client


def test_empty_query_shows_a_hint(client):
    for url in ("/search", "/search?q=", "/search?q=%20%20"):
        response = client.get(url)
        assert response.status_code == 200
        text = _text(response.get_data(as_text=True))
        assert "Type what you are looking for" in text and "How to search" in text


def test_hostile_queries_answer_200(pages):
    # One wiki for every query (a wiki per query was most of this file's time).
    refused = {}
    for n, q in enumerate(ALL_HOSTILE):
        statuses = (
            pages.get(_url("/search", q)).status_code,
            pages.get(_url("/search", q, page="999999")).status_code,
        )
        suggest = pages.get(_url("/search/suggest", q))
        listed = suggest.status_code == 200 and isinstance(suggest.json["suggestions"], list)
        if statuses != (200, 200) or not listed:
            refused[n, q[:80]] = (*statuses, suggest.status_code)
    assert refused == {}


def test_results_page_shows_ranked_results_with_snippets_and_last_change(pages):
    response = pages.get("/search?q=celery")
    html = response.get_data(as_text=True)
    hits = html_hits(html)
    assert hits[0] == "Celery" and set(hits) == {"Celery", "Celery/Beat", "Task_queues"}
    text = _text(html)
    assert "3 results" in text
    assert "There is a page called Celery" in text and "Go to page" in text
    assert "<mark>celery</mark> workers" in html or "<mark>Celery</mark>" in html
    assert re.search(r"Last changed by bob\s+just now", text)
    assert 'aria-label="Path of Celery/Beat"' in html  # breadcrumb path above the sub-page
    assert 'value="celery"' in html  # the header search box keeps the query


def test_title_match_beats_body_matches_through_http(pages):
    save_page(pages, "Beat schedules", "How to plan recurring jobs.")
    hits = html_hits(pages.get("/search?q=beat").get_data(as_text=True))
    assert hits.index("Beat_schedules") < hits.index("Celery/Beat") or hits[0] == "Celery/Beat"
    assert hits[:2] != ["Task_queues"]


def test_snippet_cannot_inject_markup(client, editor):
    body = (
        "Never paste <script>alert('prose')</script> into pages.\n\n"
        '```html\n<script>alert("code")</script>\n<img src=x onerror=alert(1)>\n```\n'
    )
    save_page(client, "XSS notes", body)
    for q in ("alert", "onerror", "script", "pages"):
        html = client.get(_url("/search", q)).get_data(as_text=True)
        assert "XSS_notes" in html_hits(html), q
        main = html[html.index("<main") : html.index("</main>")]
        assert "<script" not in main and "<img" not in main, q
        assert not re.search(r"<[^>]*onerror", main), q
    snippet = client.get("/search?q=onerror").get_data(as_text=True)
    assert "&lt;img src=x <mark>onerror</mark>=alert" in snippet


def test_a_save_is_visible_in_the_next_search(client, editor):
    assert html_hits(client.get("/search?q=zeppelin").get_data(as_text=True)) == []
    save_page(client, "Airships", "The zeppelin was a rigid airship.")
    assert html_hits(client.get("/search?q=zeppelin").get_data(as_text=True)) == ["Airships"]
    save_page(client, "Airships", "Blimps only now.")
    assert html_hits(client.get("/search?q=zeppelin").get_data(as_text=True)) == []
    assert html_hits(client.get("/search?q=blimps").get_data(as_text=True)) == ["Airships"]


def test_typo_shows_results_for_the_correction(pages):
    html = pages.get("/search?q=celary").get_data(as_text=True)
    text = _text(html)
    assert "Showing results for celery" in text and "Search instead for celary" in text
    assert html_hits(html)[0] == "Celery"
    insist = pages.get("/search?q=celary&nofix=1").get_data(as_text=True)
    assert html_hits(insist) == [] and re.search(r"Did you mean celery ?\?", _text(insist))


def test_no_results_offers_to_create_the_page(pages, auth):
    text = _text(pages.get("/search?q=Flower+dashboard").get_data(as_text=True))
    assert "No pages match “Flower dashboard”" in text
    html = pages.get("/search?q=Flower+dashboard").get_data(as_text=True)
    assert 'href="/edit/Flower_dashboard"' in html and "Create page “Flower dashboard”" in text
    assert "Create page" not in _text(pages.get("/search?q=a%7Cb+zzqx").get_data(as_text=True))
    auth.logout()
    anonymous = _text(pages.get("/search?q=Flower+dashboard").get_data(as_text=True))
    assert "Create page" not in anonymous and "Log in to create the page" in anonymous
    with pages.application.app_context():
        assert misses.flush()  # written in batches, not by the search request
        miss = db.session.scalar(
            select(SearchMiss).where(SearchMiss.query_key == "flower dashboard")
        )
        assert miss is not None and miss.count == 3
        assert miss.searchers == 2  # the logged-in user and one anonymous address


def test_long_queries_are_cut_with_a_notice(pages):
    q = "celery " + "x" * 600
    text = _text(pages.get(_url("/search", q)).get_data(as_text=True))
    assert "only its first 500 characters were used" in text
    assert "only its first 500" not in _text(pages.get("/search?q=celery").get_data(as_text=True))


def test_pagination(client, editor):
    for n in range(23):
        save_page(client, f"Note {n:02d}", f"kettle number {n}")
    first = client.get("/search?q=kettle").get_data(as_text=True)
    second = client.get("/search?q=kettle&page=2").get_data(as_text=True)
    assert len(html_hits(first)) == 20 and len(html_hits(second)) == 3
    assert not set(html_hits(first)) & set(html_hits(second))
    assert "23 results, page 1 of 2" in _text(first)
    assert 'href="/search?q=kettle&amp;page=2"' in first and 'rel="prev"' in second
    assert html_hits(client.get("/search?q=kettle&page=9").get_data(as_text=True))
    assert client.get("/search?q=kettle&page=abc").status_code == 200


def test_suggest_returns_json_titles(pages):
    data = pages.get("/search/suggest?q=cel").json
    assert data["suggestions"][:2] == [
        {"title": "Celery", "url": "/wiki/Celery"},
        {"title": "Celery/Beat", "url": "/wiki/Celery/Beat"},
    ]
    assert pages.get("/search/suggest?q=queu").json["suggestions"] == [
        {"title": "Task queues", "url": "/wiki/Task_queues"}
    ]
    assert pages.get("/search/suggest").json["suggestions"] == []
    for n in range(10):
        save_page(pages, f"Cello {n}", "strings")
    assert len(pages.get("/search/suggest?q=cel").json["suggestions"]) == 8


def test_search_needs_an_account_when_reading_does(app, client):
    app.config["WIKI_READ_ACCESS"] = "registered"
    assert client.get("/search?q=x").status_code == 302
    assert client.get("/search/suggest?q=x").status_code == 302


def test_a_busy_index_answers_503_with_a_message(pages, monkeypatch):
    from wiki.search import service as search_service
    from wiki.search.documents import IndexBusy

    with pages.application.app_context():
        backend_class = type(search_service._state().backend)

    def busy(*args, **kwargs):
        raise IndexBusy("locked elsewhere")

    monkeypatch.setattr(backend_class, "search", busy)
    monkeypatch.setattr(backend_class, "suggest", busy)
    response = pages.get("/search?q=celery")
    assert response.status_code == 503
    assert "being rebuilt" in _text(response.get_data(as_text=True))
    assert pages.get("/search/suggest?q=cel").json["suggestions"] == []
