"""Terms with symbols (N+1, C++, C#, .NET, Node.js, OAuth2, HTTP/2, i18n, k8s,
@login_required, __init__) through the app, on every database and search backend; titles
holding every query word rank next after the exact title; snippets are plain text."""

from __future__ import annotations

import pytest

from tests.search_support import app_config, backend, search_case, titles, wiki_of  # noqa: F401
from wiki.search import service as search_service

PAGES = {
    "N+1 queries": "One query per row: the classic N+1 problem. Fix it with select_related.",
    "Database tuning": "Avoid N+1 loops; add indexes. Queries again and again.",
    "C++ toolchains": "Build C++ with g++ or clang++; use -std=c++20.",
    "C notes": "Plain C and its compilers; c is small.",
    "Dotnet": "The .NET SDK builds C# and F# projects; ASP.NET Core serves APIs.",
    "Node.js": "Node.js runs JavaScript; install it with nvm.",
    "Login flows": "OAuth2 with PKCE; never the implicit grant.",
    "HTTP versions": "HTTP/2 multiplexes streams; HTTP/1.1 does not.",
    "HTTPS": "TLS for http traffic.",
    "Translating": "i18n prepares code for translation (l10n).",
    "Deploying": "Our k8s cluster runs the API.",
    "Views": "Decorate views with @login_required in Django.",
    "Packages": "A package holds an `__init__.py` file; `__init__` runs on creation.",
    "Vagrant init": "Start a new box with vagrant init.",
}


@pytest.fixture
def wiki(app, editor):
    with wiki_of(app, PAGES):
        yield


SYMBOL_QUERIES = [
    ("N+1", "N+1 queries"),
    ("n+1", "N+1 queries"),
    ("C++", "C++ toolchains"),
    ("c++20", "C++ toolchains"),
    ("g++", "C++ toolchains"),
    ("clang++", "C++ toolchains"),
    ("C#", "Dotnet"),
    ("F#", "Dotnet"),
    (".NET", "Dotnet"),
    ("ASP.NET", "Dotnet"),
    ("Node.js", "Node.js"),
    ("OAuth2", "Login flows"),
    ("oauth", "Login flows"),
    ("HTTP/2", "HTTP versions"),
    ("HTTP/1.1", "HTTP versions"),
    ("i18n", "Translating"),
    ("l10n", "Translating"),
    ("k8s", "Deploying"),
    ("@login_required", "Views"),
    ("login_required", "Views"),
    ("__init__", "Packages"),
    ("__init__.py", "Packages"),
]


def test_symbol_terms_find_their_page_first(wiki):
    # One wiki for every query (a wiki per query was most of this file's time).
    found = {query: titles(query) for query, _ in SYMBOL_QUERIES}
    misses = {q: found[q][:3] for q, first in SYMBOL_QUERIES if found[q][:1] != [first]}
    assert misses == {}


def test_symbol_term_does_not_match_its_bare_letter(wiki):
    assert "C notes" not in titles("C++")
    assert "C notes" not in titles("C#")


def test_parts_of_symbol_terms_are_searchable(wiki):
    assert "Node.js" in titles("node")
    assert "Dotnet" in titles("net")
    assert "Views" in titles("login")
    assert "HTTP versions" in titles("http")


def test_symbol_terms_in_phrases_and_titles(wiki):
    assert titles('"N+1 queries"')[0] == "N+1 queries"
    assert titles("title:C++") == ["C++ toolchains"]
    assert titles("N+1 -select_related") == ["Database tuning"]


def test_title_with_every_word_ranks_above_body_repeats(app, editor):
    pages = {
        "Teapot Notes": "Kettle kettle kettle descaling descaling; the kettle boils.",
        "Kettle Descaling Guide": "Citric acid, once a month.",
    }
    with wiki_of(app, pages):
        assert titles("kettle descaling")[0] == "Kettle Descaling Guide"
        assert titles("descaling kettle")[0] == "Kettle Descaling Guide"


def test_suggestions_offer_symbol_titles(wiki, client):
    for prefix, title in (("N+1", "N+1 queries"), ("c++", "C++ toolchains"), (".n", None)):
        response = client.get("/search/suggest", query_string={"q": prefix})
        found = [s["title"] for s in response.json["suggestions"]]
        if title:
            assert found and found[0] == title, (prefix, found)
    assert client.get("/search/suggest", query_string={"q": "+++"}).status_code == 200


ODD_QUERIES = [
    "+++",
    "###",
    "...",
    "/",
    "@",
    'C++ "unbalanced',
    "'",
    "+" * 500,
    "#/.+-" * 100,
    "Node.js 東京 καλημέρα",
    "-",
    "--",
    "-+",
    "title:",
    "N+1 OR",
    "(C#)",
]


def test_symbol_only_and_odd_queries_answer_200(wiki, client):
    refused = {}
    for query in ODD_QUERIES:
        response = client.get("/search", query_string={"q": query})
        if response.status_code != 200 or "Traceback" in response.get_data(as_text=True):
            refused[query] = response.status_code
    assert refused == {}


def test_several_words_matching_no_page_show_pages_with_some(wiki, client):
    outcome = search_service.search("how do I fix N+1 zzqxw")
    assert outcome.results.relaxed and outcome.results.hits[0].title == "N+1 queries"
    text = client.get("/search", query_string={"q": "N+1 zzqxw"}).get_data(as_text=True)
    assert "No pages match" in text and "Pages with some of its words" in text
    assert "N+1 queries" in text
    assert not search_service.search("N+1 queries").results.relaxed
