"""Tests for wiki.search.documents: what a page's Markdown becomes in the index."""

from datetime import UTC, datetime

from wiki.search.documents import doc_from_markdown

JAN = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_doc_from_markdown_splits_headings_code_and_prose() -> None:
    markdown = (
        "# Install\n\nRun the [[Setup|setup page]] and [docs](https://x.org).\n\n"
        "```python\nimport celery\n```\n\n## Usage ##\n- use <b>it</b>\n"
    )
    page = doc_from_markdown(1, "T", markdown, ["a"], "me", JAN, 2)
    assert page.headings == "Install\nUsage"
    assert page.code.strip() == "import celery"
    assert "setup page" in page.body_text and "docs" in page.body_text
    assert "#" not in page.body_text and "<b>" not in page.body_text
    assert "import" not in page.body_text and "https" not in page.body_text
    assert (page.tags, page.rev) == (("a",), 2)


def test_doc_from_markdown_drops_emphasis_markers_but_not_identifiers() -> None:
    markdown = "A **task queue**, *emph* ~~old~~ and __init__."
    page = doc_from_markdown(1, "T", markdown, [], "", JAN, 1)
    assert page.body_text == "A task queue, emph old and __init__."
