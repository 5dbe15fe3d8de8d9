"""App-level fuzzing: whatever a person types into the editor, the preview, the search box or
the address bar, the answer is never a 500 (PRODUCT.md: "Never a 500 for anything a user can
type"), and rendered answers stay free of script.

One app serves all the examples of a test (Hypothesis reuses the function's fixtures), which
is what a real server does too.
"""

from __future__ import annotations

from urllib.parse import quote, quote_from_bytes

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_rendering import markdownish
from tests.test_xss_corpus import script_problems

FUZZ = settings(
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text a URL can carry (lone surrogates cannot be encoded at all).
url_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
# Raw bytes, percent-encoded: not necessarily UTF-8.
url_bytes = st.binary(max_size=40).map(lambda b: quote_from_bytes(b, safe=""))
form_text = st.one_of(markdownish, st.text(st.characters(exclude_categories=("Cs",)), max_size=300))


def _q(text: str) -> str:
    return quote(text, safe="")


@FUZZ
@given(body=form_text, title=st.one_of(st.none(), url_text))
def test_preview_of_any_text_is_sanitized_or_refused(client, editor, body: str, title) -> None:
    data = {"body": body} if title is None else {"body": body, "title": title}
    response = client.post("/preview", data=data)
    assert response.status_code in (200, 400, 413), response.status_code
    if response.status_code == 200:
        assert script_problems(response.get_data(as_text=True), fragment=True) == []


@FUZZ
@given(q=st.one_of(url_text.map(_q), url_bytes), page=st.one_of(url_text.map(_q), url_bytes))
def test_search_and_suggest_never_fail(client, editor, q: str, page: str) -> None:
    response = client.get(f"/search?q={q}&page={page}")
    assert response.status_code in (200, 400), response.status_code
    assert script_problems(response.get_data(as_text=True)) == []
    response = client.get(f"/search/suggest?q={q}")
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert response.is_json


@settings(FUZZ, max_examples=25)
@given(body=form_text, summary=url_text, base_rev=st.sampled_from(["", "1", "2"]) | url_text)
def test_saving_any_text_never_fails(client, editor, body: str, summary: str, base_rev: str):
    data = {"body": body, "summary": summary, "base_rev": base_rev, "save": "Save"}
    response = client.post("/edit/Fuzzed_page", data=data)
    assert response.status_code in (302, 400, 409, 413), response.status_code


@settings(FUZZ, max_examples=30)
@given(path=st.one_of(url_text.map(_q), url_bytes, url_text), rev=url_text.map(_q))
def test_any_title_path_is_answered_without_error(client, editor, path: str, rev: str) -> None:
    for route in ("wiki", "edit", "history", "raw", "blame", "backlinks", "files", "files/Fuzz"):
        response = client.get(f"/{route}/{path}?rev={rev}")
        assert response.status_code < 500, (route, path, response.status_code)


def test_the_fuzzed_routes_really_work(client, editor) -> None:
    response = client.post("/preview", data={"body": "**bold** [[Home]]"})
    assert response.status_code == 200 and b"<strong>bold</strong>" in response.data
    saved = client.post("/edit/Fuzzed_page", data={"body": "x", "base_rev": "", "save": "Save"})
    assert saved.status_code == 302
    assert client.get("/search?q=fuzzed").status_code == 200


def test_nul_characters_never_reach_the_database(client, editor) -> None:
    """PostgreSQL text cannot hold NUL: each way a person can send one must not fail."""
    body = '---\ntags: ["a\\0b"]\nverified_with: "x\\0y"\n---\nText\x00 here.\n'
    data = {"body": body, "summary": "sum\x00mary", "base_rev": "", "save": "Save"}
    assert client.post("/edit/Nul_page", data=data).status_code == 302
    assert b"Text here." in client.get("/wiki/Nul_page").data
    assert client.get("/tags/a%20b").status_code == 200  # the NUL became a space
    draft = {"body": "draft\x00", "summary": "draft\x00summary", "base_rev": "1"}
    assert client.post("/draft/Nul_page", data=draft).status_code == 200
    for url in ("/tags/%00", "/files/Nul_page/%00", "/user/%00", "/recent?user=%00"):
        assert client.get(url).status_code in (200, 400, 404), url
