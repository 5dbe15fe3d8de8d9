"""Piece-by-piece rendering (wiki.rendering.pieces) gives exactly the whole-document render.

The documents are cut as often as the rules allow (every allowed cut taken), so each rule
that decides where a cut is safe is exercised; the starter content adds real Markdown, and
``bench/check_render_pieces.py`` compares the two renders on the whole benchmark corpus
(outside the repository). Any difference between the two renders is a bug in the cut rules.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiki.rendering import markdown as rendering
from wiki.rendering import pieces as render_pieces
from wiki.rendering.pieces import PieceCache, cut, self_contained
from wiki.rendering.pieces import render_pieces as render_in_pieces

ROOT = Path(__file__).resolve().parents[1]
EXISTING = frozenset({"Home", "Docker"})

# Blocks chosen to reach across blank lines, or to look as if they might.
BLOCKS = [
    "A paragraph with *emphasis*, `code <b>` and a [[Home]] link.",
    "Another paragraph linking [[Missing page|somewhere]] and https://example.com/x.",
    "# Heading",
    "## Heading",
    "## Second heading\n\ntext under it",
    "Setext heading\n==============",
    "- item one\n- item two",
    "- loose item\n\n- second loose item",
    "1. first\n2. second\n\n    indented continuation of the second item",
    "3) other style",
    "* [ ] task\n* [x] done",
    "    indented code\n\n    more indented code",
    "```python\ndef f():\n\n    return 1\n```",
    "~~~\nfence with a blank line\n\n~~~",
    "```\nunclosed fence",
    "```regex\n[^abc]+ and [r]: not definitions inside code\n```",
    "- list with a fence:\n\n    ```bash\n    echo hi\n\n    echo there\n    ```",
    "```mermaid\ngraph TD\n\nA-->B\n```",
    "<div>\nraw block\n\nstill raw\n</div>",
    "<div>\nnever closed",
    "<details>\n<summary>More</summary>\n\nMarkdown *inside*\n\n</details>",
    "Inline <b>bold that never closes",
    "Inline <em>closed</em> html.",
    "<!-- a comment\n\nspanning blank lines -->",
    "<!-- closed comment -->",
    '<p align="center">\n  <img src="x.png">\n  <br/>\n</p>',
    "<script>alert(1)</script>",
    "> a quote\n\n> another quote",
    "> lazy\ncontinuation",
    "| a | b |\n|---|---|\n| 1 | [[Home|x]] |",
    "---",
    "***",
    "$$\nx^2\n\ny\n$$",
    "$$x = 1$$",
    "\\[\na\n\\]",
    "Math $a+b$ inline.",
    "![img](pic.png) relative image",
    "Trailing spaces for a break  \nnext line",
    "\tTabbed line",
    "Text\n\n\nafter two blank lines",
    "   ",
    "Footnote[^1].\n\n[^1]: The note.",
    "A [ref][r] link.\n\n[r]: https://example.com",
    "- item\n\n    [r2]: https://example.com/in-list\n\nUse [r2] and [r2][] here.",
    "> [r3]: https://example.com/quoted\n\nUse [r3][] here.",
    "[TOC]",
    "&copy; &amp; entities < > &",
    "<https://example.com/autolink>",
    "Term with ~~strike~~ and ~~~ tildes",
    "# Forged h-\ue0000\ue001 heading",
    "## Heading_1",
    "## Q&A <b>bold</b> \"quoted\" 'single' `code` [[Home]] &amp; <script>x</script>",
    "### Usage\n\ntext\n\n### Usage",
]


def _assert_same(body: str, **kwargs) -> PieceCache:
    whole = rendering.render(body, existing=EXISTING, page_title="Page", **kwargs)
    cache = PieceCache()
    for attempt in range(2):  # the second render comes from the cache
        pieces = render_in_pieces(body, existing=EXISTING, page_title="Page", cache=cache, **kwargs)
        if pieces != whole:
            diff = "\n".join(
                difflib.unified_diff(
                    whole.html.splitlines(), pieces.html.splitlines(), lineterm="", n=1
                )
            )
            pytest.fail(f"render {attempt + 1} differs for {body!r}:\n{diff}")
    return cache


@contextmanager
def cutting_everywhere() -> Iterator[None]:
    """Every document in pieces, cut wherever the rules allow."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(render_pieces, "MIN_DOCUMENT", 1)
        mp.setattr(render_pieces, "CUT_ONE_IN", 1)
        yield


@pytest.fixture
def cut_everywhere():
    with cutting_everywhere():
        yield


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(BLOCKS), min_size=2, max_size=12), st.sampled_from(["\n\n", "\n"]))
def test_generated_documents_render_the_same(blocks, separator):
    with cutting_everywhere():
        _assert_same(separator.join(blocks))


_SHARED = PieceCache()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(BLOCKS), min_size=2, max_size=12))
def test_pieces_cached_from_other_documents_fit_this_one(blocks):
    """One cache across all examples: a piece reused from another document (other stash
    numbers, other neighbours) must still give this document's whole render."""
    body = "\n\n".join(blocks)
    with cutting_everywhere():
        whole = rendering.render(body, existing=EXISTING, page_title="Page")
        assert render_in_pieces(body, existing=EXISTING, page_title="Page", cache=_SHARED) == whole


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_each_tricky_block_between_paragraphs(cut_everywhere, i):
    _assert_same(f"Before.\n\n{BLOCKS[i]}\n\nAfter.\n\n{BLOCKS[i]}\n\n# End")


def test_repeated_headings_are_numbered_across_pieces(cut_everywhere):
    body = "# Setup\n\ntext\n\n# Setup\n\nmore text\n\n# Setup_1\n\n# Setup\n\n# Other"
    _assert_same(body)
    html = render_in_pieces(body, existing=(), cache=PieceCache()).html
    ids = re.findall(r'id="(h-[^"]*)"', html)
    assert ids == ["h-setup", "h-setup_1", "h-setup_2", "h-setup_3", "h-other"]
    assert 'href="#h-setup_3"' in html  # the permalink follows its heading's id


def test_table_of_contents_links_are_sanitized_one_by_one(cut_everywhere):
    body = "\n\n".join(f"## Part {i} & <b>more</b>\n\ntext" for i in range(5))
    cache = _assert_same(body)
    links = [key for key in cache.tocs if len(key) == 1]
    assert len(links) == 5 and all(key[0].startswith("<a href=") for key in links)


def test_starter_content_renders_the_same(cut_everywhere):
    pages = sorted((ROOT / "wiki" / "content" / "starter").rglob("*.md"))
    assert pages
    in_pieces = sum(not _assert_same(p.read_text(encoding="utf-8")).whole_renders for p in pages)
    assert in_pieces >= 0.9 * len(pages)


def test_image_sizes_and_front_matter(cut_everywhere):
    body = "---\ntags: [a]\n---\n\n![a](a.png)\n\ntext\n\n![b](b.png)"
    _assert_same(body, image_sizes={"a.png": (10, 20)})


def test_unchanged_pieces_come_from_the_cache():
    body = "\n\n".join(f"Paragraph {i} with enough words to fill a piece. " * 8 for i in range(200))
    cache = PieceCache()
    first = render_in_pieces(body, existing=(), cache=cache)
    misses = cache.misses
    assert misses > 5  # cut into many pieces
    edited = body.replace("Paragraph 100 ", "Paragraph one hundred ", 1)
    second = render_in_pieces(edited, existing=(), cache=cache)
    # Only pieces next to the edit are rendered again (a changed block can move a cut).
    assert cache.misses - misses <= 3 < misses
    assert "Paragraph one hundred" in second.html and "Paragraph one hundred" not in first.html
    assert second == rendering.render(edited, existing=())


def test_a_link_turning_blue_is_not_served_stale():
    body = "\n\n".join(["[[Docker]] text " * 20] + ["filler paragraph " * 30] * 20)
    cache = PieceCache()
    red = render_in_pieces(body, existing=(), cache=cache)
    blue = render_in_pieces(body, existing={"Docker"}, cache=cache)
    assert "missing" in red.html and "missing" not in blue.html
    assert blue == rendering.render(body, existing={"Docker"})


def _referenced(url: str, extra: str = "") -> str:
    """A long page whose links use a definition at its end (after many pieces)."""
    parts = [f"Part {i} uses [the docs][Docs] and [other][o{i}]. " * 6 for i in range(60)]
    return "\n\n".join(parts) + f'\n\n{extra}\n\n[docs]: {url} "Docs"\n\n[o7]: /wiki/O7\n'


def test_reference_definitions_render_in_pieces():
    body = _referenced("https://docs.example/a")
    cache = PieceCache()
    pieces = render_in_pieces(body, existing=EXISTING, cache=cache)
    assert cache.whole_renders == 0 and cache.misses > 5
    assert pieces == rendering.render(body, existing=EXISTING)
    assert 'href="https://docs.example/a"' in pieces.html and "[other][o8]" in pieces.html


def test_a_changed_definition_re_renders_the_pieces_that_use_it():
    cache = PieceCache()
    render_in_pieces(_referenced("https://docs.example/a"), existing=(), cache=cache)
    for url, extra, expected in [
        ("https://docs.example/b", "", "https://docs.example/b"),  # the definition changed
        ("https://docs.example/b", "[o3]: /wiki/O3", "/edit/O3"),  # a link now finds one
        ("https://docs.example/c", "[DOCS]: /first", "https://docs.example/c"),  # later wins
    ]:
        body = _referenced(url, extra)
        pieces = render_in_pieces(body, existing=(), cache=cache)
        assert pieces == rendering.render(body, existing=())
        assert f'href="{expected}"' in pieces.html
    assert cache.whole_renders == 0 and "docs.example/b" not in pieces.html


def test_pieces_that_use_no_changed_definition_stay_cached():
    prose = [f"Plain prose paragraph {i} with enough words to be a piece. " * 8 for i in range(40)]
    body = "\n\n".join(prose) + "\n\nSee [x].\n\n[x]: /a\n"
    cache = PieceCache()
    render_in_pieces(body, existing=(), cache=cache)
    misses = cache.misses
    edited = body.replace("[x]: /a", "[x]: /b")
    assert render_in_pieces(edited, existing=(), cache=cache) == rendering.render(
        edited, existing=()
    )
    assert cache.misses - misses <= 2 < misses and cache.whole_renders == 0


def test_code_heavy_pages_render_in_pieces_and_reuse_highlighting():
    fence = '```python\nimport re\nWORD = re.compile(r"[^\\W_]+")  # [r]: not a definition\n```'
    body = "\n\n".join(f"## Step {i}\n\nText {i}.\n\n{fence}\n\nprint({i})" for i in range(60))
    cache = PieceCache()
    first = render_in_pieces(body, existing=(), cache=cache)
    assert cache.whole_renders == 0  # code that looks like footnotes or definitions is code
    assert len(cache.highlights) >= 60
    edited = body.replace("Text 30.", "Text thirty.")
    second = render_in_pieces(edited, existing=(), cache=cache)
    assert second == rendering.render(edited, existing=()) and first != second
    assert 'highlight"><pre>' in second.html


def test_a_code_block_added_above_does_not_re_render_the_pieces_below():
    steps = [f"## Step {i}\n\nText {i}.\n\n```python\nprint({i})\n```" for i in range(80)]
    cache = PieceCache()
    render_in_pieces("\n\n".join(steps), existing=(), cache=cache)
    misses = cache.misses
    steps.insert(3, "A new block:\n\n```bash\necho new\n```")  # renumbers every placeholder
    edited = "\n\n".join(steps)
    assert render_in_pieces(edited, existing=(), cache=cache) == rendering.render(
        edited, existing=()
    )
    assert cache.misses - misses <= 3 < misses


def test_cache_keeps_within_its_size():
    cache = PieceCache(max_chars=50_000)
    body = "\n\n".join(f"Paragraph {i} " * 40 for i in range(400))
    render_in_pieces(body, existing=(), cache=cache)
    assert 0 < cache.pieces.chars <= 50_000
    assert len(cache.pieces) > 0


def test_cuts_never_start_with_a_continuation(cut_everywhere):
    chunks = cut("para\n\n- item\n\n    code\n\n> quote\n\n\nextra\n\nnext")
    assert chunks == ["para\n\n- item\n\n    code\n\n> quote\n\n\nextra", "next"]


def test_a_quote_after_a_reference_definition_joins_the_quote_before(cut_everywhere):
    """Found by test_generated_documents_render_the_same: the definition is removed, so
    the quote under it continues the one above, which a cut before it would split."""
    body = "> a quote\nA [ref][r] link.\n\n[r]: https://example.com\n> another quote"
    assert cut(body) == [body]
    _assert_same(body)
    assert rendering.render(body, existing=EXISTING).html.count("<blockquote>") == 1


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>a</p>\n<div><b>x</b></div>", True),
        ("<p>a <b>bold</p>", False),
        ("<div><span></div></span>", False),
        ("<!-- open", False),
        ("<!-- closed --><p>x</p>", True),
        ("<!--><p>x</p>", True),
        ("<br><hr/><img src=x>", True),
        ("<div/>", False),
        ("<script></script>", False),
        ("<ul><li>a</ul>", False),
    ],
)
def test_self_contained(markup, expected):
    assert self_contained(markup) is expected


def test_api_references_reusing_operation_ids_get_unique_anchors_in_pieces(cut_everywhere):
    from tests.test_openapi import _two_references, assert_unique_api_anchors

    body = _two_references()
    _assert_same(body)
    cache = PieceCache()
    rendered = render_in_pieces(body, existing=(), cache=cache)
    assert cache.whole_renders == 0  # really in pieces
    assert_unique_api_anchors(rendered)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(BLOCKS), min_size=2, max_size=12))
def test_pieces_parsed_with_reused_instances_render_what_new_ones_render(blocks):
    """Piece parses borrow Markdown instances another render gave back (with its footnotes,
    stashes and table of contents reset), and give them back with their own changes undone:
    each render equals a whole render by new instances."""
    body = "\n\n".join(blocks)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rendering, "_idle", rendering._Idle())
        whole = rendering.render(body, existing=EXISTING, page_title="Page")
    with cutting_everywhere(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(rendering, "_idle", _REUSED)
        for _ in range(2):  # a cold cache, then pieces parsed again by used instances
            rendered = render_in_pieces(
                body, existing=EXISTING, page_title="Page", cache=PieceCache()
            )
            assert rendered == whole
    assert _REUSED.instances  # given back


_REUSED = rendering._Idle()  # shared by the examples: each renders after the others


def test_a_render_in_pieces_gives_its_instances_back(cut_everywhere, monkeypatch):
    """The document's Markdown instance, which found the places to cut, is given back once
    the pieces are done with it: a page rendered again builds no new instance."""
    monkeypatch.setattr(rendering, "_idle", rendering._Idle())
    body = "\n\n".join(f"Paragraph {i} with [[Home]] and *emphasis*." for i in range(30))
    cache = PieceCache()
    first = render_in_pieces(body, existing=EXISTING, page_title="Page", cache=cache)
    assert cache.misses  # it was rendered in pieces
    idle = list(rendering._idle.instances)
    assert render_in_pieces(body, existing=EXISTING, page_title="Page", cache=cache) == first
    assert len(rendering._idle.instances) == len(idle)  # the one it borrowed came back
    assert all(any(md is old for old in idle) for md in rendering._idle.instances)
