"""Link rewriting after renames (wiki/structure_links.py): pure, no app needed."""

import pytest

from wiki.text.links import link_target, rewrite_links

MOVES = {"Old": "New Page", "Old/Sub": "New Page/Sub"}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("[[Old]]", "[[New Page]]"),
        ("[[Old|the old one]]", "[[New Page|the old one]]"),
        ("[[Old#Setup]]", "[[New Page#Setup]]"),
        ("[[Old#Setup|setting up]]", "[[New Page#Setup|setting up]]"),
        ("[[Old_]]", "[[New Page]]"),  # underscores and spaces are the same character
        ("[[ Old ]]", "[[New Page]]"),
        ("[[Old/Sub]]", "[[New Page/Sub]]"),
        ("[x](/wiki/Old)", "[x](/wiki/New_Page)"),
        ("[x](/wiki/Old#sec)", "[x](/wiki/New_Page#sec)"),
        ("[x](/wiki/Old?rev=2)", "[x](/wiki/New_Page?rev=2)"),
        ("[x](</wiki/Old>)", "[x](</wiki/New_Page>)"),
        ("[x]( /wiki/Old/Sub )", "[x]( /wiki/New_Page/Sub )"),
        ("[ref]: /wiki/Old", "[ref]: /wiki/New_Page"),
    ],
)
def test_links_to_moved_titles_point_at_the_new_title(before, after):
    assert rewrite_links(f"Intro.\n{before}\n", MOVES) == f"Intro.\n{after}\n"
    if not before.startswith("[ref]"):
        assert rewrite_links(f"See {before} here.", MOVES) == f"See {after} here."


@pytest.mark.parametrize(
    "text",
    [
        "[[Older]]",  # a different page that starts the same
        "[[old]]",  # titles are case-sensitive
        "[[Old/Other]]",  # a sub-page that was not moved
        "[x](/wiki/Older)",
        "[x](https://example.com/wiki/Old)",  # not a link into this wiki
        "plain /wiki/Old text",  # not a Markdown link
        "`[[Old]]`",  # inline code is not a link
        "``a ` [[Old]]``",
    ],
)
def test_other_text_is_left_exactly_as_it_was(text):
    assert rewrite_links(text, MOVES) == text


def test_fenced_code_blocks_keep_their_links():
    body = "[[Old]]\n\n```markdown\n[[Old]] and [x](/wiki/Old)\n```\n\n~~~\n[[Old]]\n~~~\n[[Old]]\n"
    assert rewrite_links(body, MOVES) == (
        "[[New Page]]\n\n```markdown\n[[Old]] and [x](/wiki/Old)\n```\n\n~~~\n[[Old]]\n~~~\n"
        "[[New Page]]\n"
    )


def test_an_unclosed_fence_protects_the_rest_of_the_page():
    body = "[[Old]]\n```\n[[Old]]\n"
    assert rewrite_links(body, MOVES) == "[[New Page]]\n```\n[[Old]]\n"


def test_a_longer_fence_is_not_closed_by_a_shorter_one():
    body = "````\n```\n[[Old]]\n````\n[[Old]]"
    assert rewrite_links(body, MOVES) == "````\n```\n[[Old]]\n````\n[[New Page]]"


def test_every_occurrence_is_rewritten_and_the_rest_kept():
    body = "---\ntags: [a]\n---\n# Title\n\n- [[Old]]\n- [[Old/Sub|sub]]\n\r\nEnd [[Old]]."
    assert rewrite_links(body, MOVES) == (
        "---\ntags: [a]\n---\n# Title\n\n- [[New Page]]\n- [[New Page/Sub|sub]]\n\r\n"
        "End [[New Page]]."
    )


def test_titles_with_special_characters_are_quoted_in_urls():
    moves = {"Old": "C++ & Ü"}
    assert rewrite_links("[x](/wiki/Old)", moves) == "[x](/wiki/C++_&_%C3%9C)"
    assert rewrite_links("[x](/wiki/C%2B%2B)", {"C++": "Cpp"}) == "[x](/wiki/Cpp)"


def test_no_moves_or_no_links_returns_the_same_text():
    body = "[[Old]]"
    assert rewrite_links(body, {}) is body
    assert rewrite_links("nothing to see", MOVES) == "nothing to see"


def test_invalid_link_targets_are_not_titles():
    assert link_target("a//b") is None
    assert link_target("Old_Title ") == "Old Title"
    assert rewrite_links("[[a//b]] [[Old]]", MOVES) == "[[a//b]] [[New Page]]"
