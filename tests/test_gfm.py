"""GitHub's Markdown structure (issue #19): the ten cases, alerts, what must not change, and
``flask render diff``. Pure tests need no app; the CLI test runs on both databases."""

import json

import pytest
from sqlalchemy import select

from tests.conftest import save_page
from wiki.extensions import db
from wiki.models import Page, RenderCache, Revision
from wiki.rendering import pieces
from wiki.rendering.markdown import RENDERER_VERSION, RenderError, render


def html(markdown: str) -> str:
    return render(markdown, existing=()).html


NESTED = "<ul>\n<li>a<ul>\n<li>b<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>\n</li>\n<li>d</li>\n</ul>"


def test_1_a_list_nested_by_two_spaces_keeps_its_nesting():
    assert html("- a\n  - b\n    - c\n- d\n") == NESTED


def test_four_space_nested_lists_render_as_before():
    assert html("- a\n    - b\n        - c\n- d\n") == NESTED
    assert html("1. one\n    1. sub\n2. two\n") == (
        "<ol>\n<li>one<ol>\n<li>sub</li>\n</ol>\n</li>\n<li>two</li>\n</ol>"
    )
    loose = "*   item\n\n    second paragraph\n\n    - child\n\n*   next\n"
    assert html(loose) == (
        "<ul>\n<li>\n<p>item</p>\n<p>second paragraph</p>\n<ul>\n<li>child</li>\n</ul>\n"
        "</li>\n<li>\n<p>next</p>\n</li>\n</ul>"
    )


def test_2_a_fence_without_blank_lines_is_code_between_two_paragraphs():
    out = html("Text\n```\ncode\n```\nMore\n")
    assert out.startswith('<p>Text</p>\n<div class="language-text highlight"><pre>')
    assert "<code>code\n</code>" in out and out.endswith("<p>More</p>")


def test_3_a_reference_label_holding_code_is_a_link():
    out = html("See [`git-node`][] and [`x`].\n\n[`git-node`]: https://e.org/a\n[`x`]: /b\n")
    assert '<a href="https://e.org/a" rel="nofollow noopener"><code>git-node</code></a>' in out
    assert '<a href="/b"><code>x</code></a>' in out


def test_4_a_list_right_after_a_paragraph_line_is_a_list():
    assert html("You can also:\n- review\n- merge\n") == (
        "<p>You can also:</p>\n<ul>\n<li>review</li>\n<li>merge</li>\n</ul>"
    )


def test_5_markdown_inside_details_and_div_is_rendered():
    out = html("<details>\n<summary>More</summary>\n\n- item *x*\n\n</details>\n")
    assert out == (
        "<details>\n<summary>More</summary>\n<ul>\n<li>item <em>x</em></li>\n</ul>\n</details>"
    )
    assert html('<div align="center">\n\n**Bold**\n\n</div>\n') == (
        "<div>\n<p><strong>Bold</strong></p>\n</div>"
    )
    # A closed HTML block stays raw HTML, as on GitHub.
    assert html("<div>\n*not emphasis*\n</div>\n") == "<div>\n*not emphasis*\n</div>"


def test_6_an_item_content_indented_to_its_marker_stays_in_the_item():
    out = html("1. Step\n\n   ```sh\n   make\n   ```\n\n2. Next\n")
    assert out.startswith('<ol>\n<li>\n<p>Step</p>\n<div class="language-sh highlight">')
    assert "<ol" not in out[4:] and "<p>Next</p>\n</li>\n</ol>" in out


@pytest.mark.parametrize(
    "fence",
    [
        "````\ncode\n``````\n",
        "```\ncode\n  ```\n",
        "  ```\n  code\n  ```\n",
        "~~~ sh extra words\ncode\n~~~\n",
    ],
)
def test_7_fences_with_long_or_indented_closings_and_wordy_info_strings(fence):
    assert "<code>code\n</code>" in html(fence)


def test_7_the_language_is_the_first_word_of_the_info_string():
    assert '<span class="kd">let</span>' in html('```js title="x" more\nlet a;\n```\n')


def test_8_every_ascii_punctuation_character_can_be_escaped():
    assert html("can\\'t \\\" \\$ \\% \\& \\@ \\= \\~\n") == "<p>can't \" $ % &amp; @ = ~</p>"


def test_9_an_ordered_list_keeps_its_start_number():
    assert html("3. three\n4. four\n").startswith('<ol start="3">')


def test_10_single_tildes_strike_through_and_a_final_backslash_breaks_the_line():
    assert html("~x~ and ~~y~~\n") == "<p><del>x</del> and <del>y</del></p>"
    assert html("line one\\\nline two\n") == "<p>line one<br>\nline two</p>"


@pytest.mark.parametrize("kind", ["NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"])
def test_alerts_are_callouts_with_a_title(kind):
    out = html(f"> [!{kind}]\n> Be **careful**.\n")
    assert out == (
        f'<div class="markdown-alert markdown-alert-{kind.lower()}">\n'
        f'<p class="markdown-alert-title">{kind.capitalize()}</p>\n'
        "<p>Be <strong>careful</strong>.</p>\n</div>"
    )


def test_consecutive_alerts_stay_apart_and_other_quotes_stay_quotes():
    out = html("> [!NOTE]\n> a\n\n> [!TIP]\n> b\n\n> [!TIP] inline\n\n> plain\n")
    assert out.count('class="markdown-alert ') == 2
    assert "<blockquote>\n<p>[!TIP] inline</p>" in out and "<p>plain</p>" in out


def test_the_new_structure_never_bypasses_the_sanitizer():
    out = html(
        '<details onclick="x()">\n<script>alert(1)</script>\n\n'
        "- [a](javascript:alert(1))\n\n</details>\n"
        '<div class="site-header">\n\n> [!NOTE]\n> <img src=x onerror=alert(1)>\n\n</div>\n'
    )
    assert "<script" not in out and "onclick" not in out and "onerror" not in out
    assert "javascript:" not in out and "site-header" not in out
    assert "&lt;script&gt;" in out


def test_pathological_nesting_is_still_refused():
    deep = "".join("  " * i + "- x\n" for i in range(100))
    with pytest.raises(RenderError) as error:
        html(deep)
    assert error.value.status == 400


def test_pieces_render_the_new_structure_byte_for_byte(monkeypatch):
    monkeypatch.setattr(pieces, "MIN_DOCUMENT", 1)
    monkeypatch.setattr(pieces, "CUT_ONE_IN", 1)  # cut wherever allowed
    parts = [
        f"## Part {n}\n\nIntro {n}:\n- a\n  - b\n\n1. Step\n\n   ```sh\n   make {n}\n   ```\n\n"
        f"> [!NOTE]\n> n{n}\n\n> [!TIP]\n> t{n}\n\n- x\n+ y\n\nText\n***\n#{n} tag\n"
        for n in range(20)
    ]
    for body, whole_renders in (
        ("\n".join(parts), 0),
        ("<details>\n<summary>S</summary>\n\n" + "\n".join(parts) + "\n</details>\n", 2),
    ):
        whole = render(body, existing=())
        cache = pieces.PieceCache()
        for _ in range(2):
            assert pieces.render_pieces(body, existing=(), cache=cache).html == whole.html
        assert cache.whole_renders == whole_renders  # (an open <details> is not cut)


def test_render_diff_lists_the_pages_a_new_renderer_changes(app, client, editor, runner):
    assert save_page(client, "Nested", "- a\n  - b\n").status_code == 302
    assert save_page(client, "Plain", "Just *text*.\n").status_code == 302
    with app.app_context():
        rows = db.session.execute(
            select(Page.title, RenderCache)
            .join(Revision, (Revision.page_id == Page.id) & (Revision.number == Page.current_rev))
            .join(RenderCache, RenderCache.revision_id == Revision.id)
        ).all()
        assert len(rows) == 2
        for title, row in rows:  # as the previous renderer cached them
            row.renderer_version = RENDERER_VERSION - 1
            if title == "Nested":
                row.html = "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
        db.session.commit()

    result = runner.invoke(args=["render", "diff", "--show"])
    assert result.exit_code == 0, result.output
    assert "Nested\tchanged" in result.output and "Plain" not in result.output
    assert "-<li>a</li>" in result.output and "+<li>a<ul>" in result.output
    assert f"1 of 2 pages render differently with renderer version {RENDERER_VERSION}." in (
        result.output
    )
    with app.app_context():  # a review only: the cache is left for the page views to refresh
        versions = db.session.scalars(select(RenderCache.renderer_version)).all()
        assert versions == [RENDERER_VERSION - 1] * 2
        assert json.loads(db.session.scalars(select(RenderCache.links_json)).first()) == []
