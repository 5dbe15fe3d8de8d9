"""Block diff of rendered pages (rendering.html_diff): slices of the input, never new markup."""

from __future__ import annotations

from wiki.rendering.html_diff import Block, clip, diff_blocks, top_level_blocks
from wiki.rendering.markdown import render


def test_blocks_are_exact_slices_of_the_input():
    html = '<h1 id="h-a">A</h1>\n<p>one &amp; two</p>\n<ul>\n<li>x</li>\n</ul>\n<hr>\n<p>end</p>'
    blocks = top_level_blocks(html)
    assert blocks == [
        '<h1 id="h-a">A</h1>',
        "<p>one &amp; two</p>",
        "<ul>\n<li>x</li>\n</ul>",
        "<hr>",
        "<p>end</p>",
    ]
    assert all(block in html for block in blocks)


def test_nested_same_tags_stay_in_one_block():
    html = "<div><div><p>a</p></div><p>b</p></div><p>c</p>"
    assert top_level_blocks(html) == ["<div><div><p>a</p></div><p>b</p></div>", "<p>c</p>"]


def test_loose_text_and_inline_elements_form_one_block():
    html = "text <em>a</em> <strong>b</strong> &amp; more<p>x</p>tail<br>after"
    assert top_level_blocks(html) == [
        "text <em>a</em> <strong>b</strong> &amp; more",
        "<p>x</p>",
        "tail<br>after",
    ]


def test_unclosed_and_stray_tags_do_not_lose_text():
    assert top_level_blocks("<div><p>unclosed") == ["<div><p>unclosed"]
    assert top_level_blocks("</p><p>a</p>") == ["<p>a</p>"]
    assert top_level_blocks("") == []


def test_unicode_and_multiline_offsets():
    html = "<p>ünï\ncødé 日本</p>\n\n<pre><code>a &lt; b\n</code></pre>\n<p>z</p>"
    assert top_level_blocks(html) == [
        "<p>ünï\ncødé 日本</p>",
        "<pre><code>a &lt; b\n</code></pre>",
        "<p>z</p>",
    ]


def test_diff_marks_changed_blocks():
    old = "<h1>T</h1>\n<p>same</p>\n<p>old words</p>\n<p>gone</p>"
    new = "<h1>T</h1>\n<p>same</p>\n<p>new words</p>\n<p>added</p>\n<p>more</p>"
    result = diff_blocks(old, new)
    assert [(b.kind, b.html) for b in result.unified] == [
        ("equal", "<h1>T</h1>"),
        ("equal", "<p>same</p>"),
        ("delete", "<p>old words</p>"),
        ("delete", "<p>gone</p>"),
        ("insert", "<p>new words</p>"),
        ("insert", "<p>added</p>"),
        ("insert", "<p>more</p>"),
    ]
    assert result.changed == 5 and not result.identical
    assert result.rows[2] == (
        Block("delete", "<p>old words</p>"),
        Block("insert", "<p>new words</p>"),
    )
    assert result.rows[4] == (None, Block("insert", "<p>more</p>"))
    assert result.rows[0][0] is result.rows[0][1]


def test_identical_and_empty_sides():
    html = "<p>a</p><p>b</p>"
    assert diff_blocks(html, html).identical
    created = diff_blocks("", html)
    assert [b.kind for b in created.unified] == ["insert", "insert"]
    assert [row[0] for row in created.rows] == [None, None]
    assert [b.kind for b in diff_blocks(html, "").unified] == ["delete", "delete"]


def test_blocks_of_sanitized_markdown_contain_no_script():
    body = (
        "# Title\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "| a |\n|---|\n| 1 |"
    )
    html = render(body, existing=()).html
    blocks = top_level_blocks(html)
    assert "".join(blocks).replace("\n", "") == html.replace("\n", "")
    assert not any("<script" in b or "onerror" in b for b in blocks)
    assert any(b.startswith("<table>") for b in blocks)


def test_moved_block_shows_as_removed_and_added():
    old = "<p>a</p><p>b</p><p>c</p>"
    new = "<p>b</p><p>c</p><p>a</p>"
    kinds = [(b.kind, b.html) for b in diff_blocks(old, new).unified]
    assert ("delete", "<p>a</p>") in kinds and ("insert", "<p>a</p>") in kinds


def test_clip_keeps_the_first_blocks_of_each_layout() -> None:
    old = "".join(f"<p>{k}</p>\n" for k in range(6))
    new = old.replace("<p>1</p>", "<p>one</p>")
    whole = diff_blocks(old, new)
    same, clipped = clip(whole, max_blocks=100, max_chars=10_000)
    assert same == whole and not clipped
    cut, clipped = clip(whole, max_blocks=3, max_chars=10_000)
    assert clipped and cut.unified == whole.unified[:3] and cut.rows == whole.rows[:3]
    assert cut.changed == whole.changed == 2
    by_chars, clipped = clip(whole, max_blocks=100, max_chars=len("<p>0</p>"))
    assert clipped and [b.html for b in by_chars.unified] == ["<p>0</p>"]
