"""Snippets and indexed text come from the rendered, sanitized page: no Markdown syntax, no
front matter, table cells and code as text, math as its source, never raw HTML."""

from __future__ import annotations

import pytest

from tests.search_support import app_config, backend, put, search_case  # noqa: F401
from wiki.search import service as search_service
from wiki.search.documents import doc_from_markdown
from wiki.search.html_text import page_text

BODY = """---
tags: [celery, queues]
level: intermediate
---
# Queue notes

Use **retries** with _backoff_ for the zebrafish task. See [[Celery]].

| setting | value |
| --- | --- |
| zebrafish_retries | 5 |

$$q = 2$$

```python
def zebrafish(): return 1 < 2
```

<script>alert(1)</script>
"""


def test_page_text_is_what_a_reader_sees():
    html = (
        '<h2 id="x">Intro<a class="headerlink" href="#x">¶</a></h2>'
        '<p>Some <strong>bold</strong> and <span class="arithmatex">\\(x^2\\)</span>.</p>'
        "<table><tr><th>a</th><th>b</th></tr><tr><td>one</td><td>two</td></tr></table>"
        "<pre><code>if a &lt; b: pass</code></pre>"
    )
    text = page_text(html)
    assert text.headings == "Intro"
    assert "Some bold and x^2 ." in text.body
    assert "a · b" in text.body and "one · two" in text.body
    assert text.code == "if a < b: pass"
    assert "¶" not in text.body + text.headings and "<" not in text.body


def test_markdown_fallback_drops_front_matter_and_table_syntax():
    doc = doc_from_markdown(1, "T", BODY, (), "", None, 1)  # type: ignore[arg-type]
    assert "tags:" not in doc.body_text and "---" not in doc.body_text
    assert "|" not in doc.body_text and "$$" not in doc.body_text
    assert "zebrafish_retries" in doc.body_text


@pytest.mark.parametrize("query", ["zebrafish", "retries"])
def test_snippets_are_plain_text_of_the_rendered_page(app, editor, client, query):
    with app.app_context():
        put("Queue notes", BODY)
        search_service.sync()
        hits = search_service.search(query).results.hits
    assert hits, query
    snippet = hits[0].snippet_html
    for syntax in ("**", "| ---", "tags:", "level:", "$$", "[[", "<script", "<strong"):
        assert syntax not in snippet, (syntax, snippet)
    assert "<mark>" in snippet
    html = client.get("/search", query_string={"q": query}).get_data(as_text=True)
    assert "<script>alert(1)" not in html


def test_generated_api_reference_text_is_indexed_with_the_code() -> None:
    html = (
        "<h2>How the API works</h2><p>Tokens expire after an hour.</p>"
        '<div class="openapi"><h3 id="auth">Auth</h3>'
        '<h4><span>POST</span> <code class="oa-path">/auth/token/</code></h4>'
        '<p class="oa-auth">Authentication: bearer</p></div><p>After the reference.</p>'
    )
    text = page_text(html)
    assert text.headings == "How the API works"
    assert text.body == "Tokens expire after an hour.\nAfter the reference."
    assert "Authentication: bearer" in text.code and "/auth/token/" in text.code
    assert "Auth" in text.code.splitlines()
