"""The render's shortcuts give what the long way gives, byte for byte (issue #19, render time).

* The sanitizer skips bleach's parse for a table of contents and for highlighted code inside
  ``<code>``: the result must equal bleach's on hostile code, languages, info strings and
  surroundings (HTML left open, unclosed attributes and comments, tables).
* Inline patterns skip their regex on text without the characters every match needs.
* One bleach cleaner per thread, never shared between threads.
* Tags that differ only in a heading anchor or a web link are sanitized once, as a template;
  repeated texts once: the result must equal bleach's for every value and tag shape.
* Markdown's block parser, table test, block-level lookup and unescape step take shortcuts
  that must render the spec and documents as Markdown's own code does.

Speed is measured by bench/bench_fidelity.py and bench/profile_render.py, never here.
"""

from __future__ import annotations

import hashlib
import threading
from unittest import mock

import pytest

from tests.xss_vectors import BODY_VECTORS
from wiki.rendering import markdown as rendering
from wiki.rendering import sanitize
from wiki.rendering.html_tokens import leading_tokens
from wiki.rendering.sanitize import sanitize_html

# Page HTML a code block can follow: elements left open, tables (foster parenting), text
# that leaves the tokenizer in an attribute, a comment or a bogus comment.
SURROUNDINGS = [
    ("", ""),
    ("<em>open", ""),
    ("<p><strong>open", "</strong>"),
    ("<p><code>c</p>", ""),
    ("<p><em>a</p><!", ""),
    ("<table><tr><td>x", "</table>x"),
    ("<table>", ""),
    ("<table><!", ""),
    ("<table><code>x</table>", ""),
    ("<code><table>", ""),
    ("<a href='/x' title=\"", '">'),
    ("<span title='", "'>"),
    ("<a title=", ""),
    ("<div><code>", ""),
    ("<ul><li>x", ""),
    ("<pre>", ""),
    ("<!--", "-->"),
    ("<!", ""),
    ("<x", ""),
    ("</", ""),
    ("<s><del><a href=/>x</p>", ""),
]
LANGUAGES = ["python", "html", "", "js", "nosuchlang", 'python hl_lines="1"', "bash", "{.js}"]
HANDWRITTEN = [
    '<pre><span></span><code>\n<span class="k">x</span></code></pre>',
    '<code> <span class="k">x</span></code>',
    "<code>a\"b'c&quot;&#39;&amp;&lt;&gt;</code>",
    "<code>\u00a0\u2028\U0001f600\ufffd\ue010\ue016</code>",
    '<code><span class="k"><span class="w">x</span></span></code>',
    '<code><span class="nope">x</span></code>',
    '<code><span class="k nope">x</span></code>',
    '<code><span class="k  w">x</span></code>',
    '<code></span><span class="k"></code>',
    '<code><span class="k">x</code>',
    "<code>a&copy;b&#x27;</code>",
    "<code>a\rb\x00c\x0cd\x7fe\ufdd0f\U0010ffff</code>",
    '<code><span class="k">x</span></code><code><span class="k">y</span></code>',
    '<code>a<code><span class="k">b</span></code></code>',
    "<code>a\U0001fffeb</code>",  # astral noncharacters, and astral characters next to them
    '<code><span class="k">\U0001fffd\U0001ffff</span></code>',
    "<code>\U0010fffe</code> <code>\U0010fffd\U00020000</code>",
]


def _bleach(html: str) -> str:
    """The sanitizer the long way: bleach's parse of all of it."""
    return sanitize._clean(html).replace(sanitize._NONCE, "")


def _markdown_html(body: str) -> str:
    """Python-Markdown's output before the sanitizer."""
    md = rendering.build_markdown(rendering.RenderState(existing=frozenset(), page_title=None))
    return md.convert(body)


def _code_blocks() -> list[str]:
    blocks = list(HANDWRITTEN)
    for i, vector in enumerate(BODY_VECTORS):
        language = LANGUAGES[i % len(LANGUAGES)]
        blocks.append(_markdown_html(f"```{language}\n{vector}\nx = '{vector}'\n```\n\n`{vector}`"))
    return blocks


CODE_BLOCKS = _code_blocks()


@pytest.mark.parametrize(("before", "after"), SURROUNDINGS)
def test_code_set_aside_equals_bleach(before: str, after: str) -> None:
    for block in CODE_BLOCKS:
        html = before + block + after
        assert sanitize_html(html) == _bleach(html), html


def test_code_set_aside_is_used_for_highlighted_code() -> None:
    html = _markdown_html("```python\nif x:\n    print('<b>')\n```\n")
    assert '<span class="k">' in html
    expected = _bleach(html)
    with mock.patch.object(sanitize, "_clean", wraps=sanitize._clean) as clean:
        assert sanitize_html(html) == expected
    ((masked,),) = [call.args for call in clean.call_args_list]
    assert "<span class" not in masked  # bleach saw the block's outline only


def test_code_set_aside_refuses_what_bleach_would_change() -> None:
    refused = ['<span class="nope">x</span>', '<span class="k">x', "a&copy;", " x", "a\x0cb"]
    for content in [*refused, "a\U0002ffffb", "\U0001f600\U000efffe", "\x85"]:
        masked, contents = sanitize._set_aside_code(f"<code>{content}</code>")
        assert contents == [], content


def test_a_slot_bleach_moves_falls_back_to_the_long_way() -> None:
    html = '<a title="<code><span class="k">x</span></code>">y</a>'
    assert sanitize._clean_with_code_set_aside(html) is None
    assert sanitize_html(html) == _bleach(html)


HEADINGS = [
    "Plain",
    "Q&A and <b>bold</b>",
    "`code` and *em*",
    "\"quoted\" 'single'",
    "日本語",
    "Same",
    "Same",
    "&copy; entity",
    "[link](javascript:alert(1))",
    "<img src=x onerror=__xss=1>",
]


@pytest.mark.parametrize("vector", [*BODY_VECTORS, *HEADINGS])
def test_table_of_contents_equals_bleach(vector: str) -> None:
    body = f"# One {vector}\n\n## {vector}\n\n### Three\n\n## {vector}\n"
    md = rendering.build_markdown(rendering.RenderState(existing=frozenset(), page_title=None))
    md.convert(body)
    toc = rendering.toc_list(md.toc)
    assert sanitize_html(toc) == _bleach(toc)


def test_plain_list_shapes() -> None:
    ok = (
        '<ul>\n<li><a href="#h-a">A &amp; "b"</a><ul>\n'
        '<li><a href="#h-b_1">B</a></li>\n</ul>\n</li>\n</ul>'
    )
    assert sanitize._is_plain_list(ok)
    for bad in (
        '<ul><li><a href="#h-a">A</a></ul>',  # an implied </li>
        '<ul><li><a href="#h-a">A</a><li></li></ul>',  # <li> inside <li>
        '<ul><li><a href="javascript:x">A</a></li></ul>',
        '<ul><li><a href="#h-a">A<b>x</b></a></li></ul>',
        '<ul><li><a href="#h-a">A&copy;</a></li></ul>',
        '<ul><li><a href="#h-a">A</a></li></ul><script>',
        '<ul><li><a href="#h a">A</a></li></ul>',
        "<ul><li>text</li></ul>",
    ):
        assert not sanitize._is_plain_list(bad), bad
        assert sanitize_html(bad) == _bleach(bad)
    assert sanitize_html(ok) == _bleach(ok) == ok


def test_one_cleaner_per_thread() -> None:
    cleaners: list[object] = []
    results: list[str] = []

    def work() -> None:
        cleaners.append(sanitize._cleaner())
        results.append(sanitize_html("<p onclick=x>a<script>b</script></p>"))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in cleaners}) == 3
    assert results == ["<p>a&lt;script&gt;b&lt;/script&gt;</p>"] * 3
    assert sanitize._cleaner() is sanitize._cleaner()


# The regexes the guards of INLINE_GUARDS were written for (sha256 of the pattern, first 16
# hex digits): an upgrade that changes one fails here, so its guard is read again (every
# match must take one of the guard's characters).
GUARDED_PATTERNS = {
    "arithmatex-inline": "80f5928a7df7ca7d",  # every branch takes a "$" or a "\\"
    "magic-mail": "5eb414f87ff9ff23",  # takes the "@" between local part and domain
    "backtick": "231bee70302e704d",  # takes a "`" or the "\\" escaping one
    "gfm_tilde": "dd48097e01b0d480",  # takes the "~" on both sides
}


def test_guarded_patterns_are_the_ones_the_guards_were_written_for() -> None:
    md = rendering.build_markdown(rendering.RenderState(existing=frozenset(), page_title=None))
    assert set(rendering.INLINE_GUARDS) == set(GUARDED_PATTERNS)
    for name, digest in GUARDED_PATTERNS.items():
        pattern = md.inlinePatterns[name].compiled_re.pattern
        assert hashlib.sha256(pattern.encode()).hexdigest()[:16] == digest, name


INLINE_SAMPLES = [
    "Cost $5 and $x^2$ and \\(a\\) and \\\\$y$ and `code` \\`not\\` ``a`b``",
    "mail me@example.com or <me@example.org>, ~strike~ ~~del~~ a~b~c",
    "no special characters at all here, just words",
    "$",
    "\\",
    "`",
    "[link](https://example.com/~user/$x) **bold** _em_ \\$5\\$",
]


@pytest.mark.parametrize("text", INLINE_SAMPLES)
def test_inline_guards_change_nothing(text: str) -> None:
    body = f"{text}\n\n- {text}\n\n> {text}\n\n| a | b |\n|---|---|\n| {text} | x |\n"
    guarded = rendering.render(body, existing=())
    with mock.patch.object(rendering, "INLINE_GUARDS", {}):
        plain = rendering.render(body, existing=())
    assert guarded == plain


def test_guarded_regex_finds_what_the_regex_finds() -> None:
    import re

    regex = re.compile(r"\$[^$]+\$")
    guarded = rendering.GuardedRegex(regex, "$")
    for text, pos in (("a $b$ c", 0), ("a $b$ c", 3), ("none", 0), ("$x$", 1), ("", 0)):
        assert [m.span() for m in guarded.finditer(text, pos)] == [
            m.span() for m in regex.finditer(text, pos)
        ]
    assert guarded.pattern == regex.pattern


def _long_document(extra: str) -> str:
    blocks = [
        f"## Part {i}\n\nText of part {i} with `code` and a [link](/wiki/P{i}).\n\n"
        f"```python\nprint({i})\n```"
        for i in range(40)
    ]
    return "\n\n".join(blocks) + "\n\n" + extra + "\n"


@pytest.mark.parametrize(
    ("extra", "whole"),
    [
        ("A note.[^1]\n\n[^1]: The footnote.", True),  # document-wide: rendered whole
        ("[r]: /wiki/R\n\nSee [r].", False),  # definitions: in pieces too
        ("The end.", False),  # cut into pieces
    ],
)
def test_pieces_run_the_preprocessors_once(extra: str, whole: bool) -> None:
    from wiki.rendering import gfm
    from wiki.rendering.pieces import PieceCache, render_pieces

    body = _long_document(extra)
    expected = rendering.render(body, existing={"P1"}, page_title="Page")
    cache = PieceCache()
    with mock.patch.object(
        gfm._Structure, "run", autospec=True, side_effect=gfm._Structure.run
    ) as run:
        assert render_pieces(body, existing={"P1"}, page_title="Page", cache=cache) == expected
    assert run.call_count == 1
    assert cache.whole_renders == int(whole)
    # The code blocks highlighted while deciding are cached under their own key only: a
    # document with other code, or the same code numbered differently, is not given them.
    other = body.replace("print(3)", "print(33)")
    assert render_pieces(other, existing={"P1"}, page_title="Page", cache=cache) == (
        rendering.render(other, existing={"P1"}, page_title="Page")
    )


WALKER_INPUTS = [
    "",
    "text only",
    " \n lead and trail \n ",
    "<!DOCTYPE html><p>x",
    "a<br>b<br/>c<img src=x>tail<br>x</br>",
    "<table><tr><td>x<td>y</table>t",
    "<p>a<!--c-->b</p>  <!-- end -->",
    "<svg><p>x</svg><math><mi>x</mi></math>",
    "<ul>" + "<li>item</li>\n" * 300 + "</ul>",  # wide: html5lib looked each parent up
    "<div>" * 50 + "deep" + "</div>" * 50,
    '<a href="/x" title="t" HREF="dup" data-x=1 xmlns:xlink="u">a</a>',
    "<p>unclosed <em>formatting <strong>elements",
    "<b><p>misnested</b></p>",
]


@pytest.mark.parametrize("html", [*WALKER_INPUTS, *BODY_VECTORS, *CODE_BLOCKS])
def test_element_walker_yields_html5libs_tokens(html: str) -> None:
    from wiki.rendering.html_walker import ElementWalker, EtreeWalker

    dom = sanitize._cleaner().parser.parseFragment(html)
    assert list(ElementWalker(dom)) == list(EtreeWalker(dom))


def test_the_cleaner_walks_with_the_element_walker() -> None:
    from wiki.rendering.html_walker import ElementWalker, EtreeWalker

    cleaner = sanitize._cleaner()
    assert cleaner.walker is ElementWalker
    items = "".join(f"- [l{i}](https://e.x/{i}) *e*\n" for i in range(50))
    html = _markdown_html("# T\n\n" + items)
    expected = cleaner.clean(html)
    with mock.patch.object(cleaner, "walker", EtreeWalker):
        assert cleaner.clean(html) == expected


# Pieces of markup for the fast start of the sanitizer's parse (html_tokens): allowed and
# disallowed tags, every rule of the subset on both sides, and what leaves it.
FRAGMENTS = [
    *("<p>", "</p>", "<div>", "</div>", "<ul>", "</ul>", "<ol>", "</ol>", "<li>", "</li>"),
    *("<dl>", "</dl>", "<dt>", "</dt>", "<dd>", "</dd>", "<h2>", "</h2>", "<h3>", "</h3>"),
    *("<a>", "</a>", "<em>", "</em>", "<strong>", "</strong>", "<code>", "</code>", "<s>"),
    *("</s>", "<span>", "</span>", "<sup>", "</sup>", "<blockquote>", "</blockquote>"),
    *("<pre>", "</pre>", "<pre>\n", "<table>", "</table>", "<thead>", "</thead>", "<tbody>"),
    *("</tbody>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "</th>", "<caption>"),
    *("</caption>", "<details>", "</details>", "<summary>", "</summary>", "<hr>", "<hr />"),
    *("<br>", "<br/>", "</br>", '<img src="x.png" alt="a" />', '<input type="checkbox">'),
    *('<a href="https://e.x/?a=1&amp;b=2" title="t">', '<a href="javascript:alert(1)">'),
    *('<a href="/x" href="/y">', '<p class="x" id="h-a">', '<td align="center">'),
    *('<span class="k">', '<div class="toc">', '<h2 id="h-x">', '<p align="center">'),
    *('<a href="/x"title="y">', "<A HREF='/x'>", "<a href=/x>", '<p data-x="a>b">'),
    *('<a title="a=b" title="c">', '<p class="x=y">', '<a title="=" href="/x">'),
    *("<i>", "</i>", "<script>", "</script>", "<style>", "<textarea>", "<title>", "<svg>"),
    *("<math>", "<select>", "<option>", "<button>", "<form>", "<tfoot>", "<col>", "<body>"),
    *("<html>", "<noscript>", "<iframe>", "<plaintext>", "<xmp>", "<nobr>", "<image>"),
    *("<!-- c -->", "<!--", "<!doctype html>", "<?x?>", "</ x>", "<p/>", "<div/>", "<", ">"),
    *("x", " ", "\n", " \n ", "text ", " &amp; ", "&lt;b&gt;", "&copy;", "&#39;", "&", "\t"),
    *("a\rb", "\x00", "\x0c", "\x0b", "\ufeff", "\ufffe", "\U0001fffe", "\u2028", "\ue000"),
]


def _random_markup(rng) -> str:
    if rng.random() < 0.5:  # mostly well nested: the subset's own shapes, deep into pages
        return "".join(rng.choice(_WELL_NESTED) for _ in range(rng.randint(1, 12)))
    return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 25)))


_WELL_NESTED = [
    "<p>a <em>b</em> <code>c</code></p>\n",
    '<h2 id="h-t">T<a class="headerlink" href="#h-t" title="L">&para;</a></h2>\n',
    "<ul>\n<li>a<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>\n",
    "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>b</td>\n</tr>\n"
    "</tbody>\n</table>\n",
    '<div class="highlight"><pre><span></span><code>x</code></pre></div>\n',
    "<blockquote>\n<p>q</p>\n</blockquote>\n",
    "<dl><dt>t</dt><dd>d</dd></dl>",
    "<details><summary>s</summary><p>x</p></details>",
    '<p><a href="https://e.x">e</a> <img alt="i" src="i.png" /><br />\n</p>',
    "<p>x <i>y</i> <b>z</b></p>",
    " \n",
    "text & more ",
]


def test_fast_start_of_the_parse_equals_bleach() -> None:
    import random

    rng = random.Random(19)
    cleaner = sanitize._cleaner()
    inputs = [_random_markup(rng) for _ in range(4000)]
    inputs += [a + b for a in FRAGMENTS for b in FRAGMENTS[::7]]
    used = 0
    for html in inputs:
        assert sanitize._bleach(cleaner, html) == cleaner.clean(html), repr(html)
        used += leading_tokens(html, cleaner.tags)[1] > 0
    assert used > 1000  # the fast start is taken, not only refused


@pytest.mark.parametrize("html", [*WALKER_INPUTS, *BODY_VECTORS, *CODE_BLOCKS])
def test_fast_start_tokens_are_the_walkers(html: str) -> None:
    cleaner = sanitize._cleaner()
    tokens, end = leading_tokens(html, cleaner.tags)
    if end:
        walked = list(cleaner.walker(cleaner.parser.parseFragment(html[:end])))
        assert tokens == walked
        rest = list(cleaner.walker(cleaner.parser.parseFragment(html[end:]))) if html[end:] else []
        assert tokens + rest == list(cleaner.walker(cleaner.parser.parseFragment(html)))
    assert sanitize._bleach(cleaner, html) == cleaner.clean(html)


def test_fast_start_reads_a_whole_markdown_page() -> None:
    body = "# Title\n\nSome *text* and `code` and [a link](https://e.x).\n\n" * 20
    body += (
        "| a | b |\n|---|:-:|\n| 1 | 2 |\n\n- one\n    - two\n\n> quote\n\n```python\nx = 1\n```\n"
    )
    html = _markdown_html(body)
    tokens, end = leading_tokens(html, sanitize._cleaner().tags)
    assert end == len(html)
    cleaner = sanitize._cleaner()
    expected = cleaner.clean(html)
    parse = cleaner.parser.parseFragment
    with mock.patch.object(cleaner.parser, "parseFragment", wraps=parse) as parsed:
        assert sanitize._clean(html) == expected
    assert not parsed.called


# The regexes SKIP_GUARDS were written for, as GUARDED_PATTERNS (the four above included).
SKIPPED_PATTERNS = {
    **GUARDED_PATTERNS,
    "wikilink": "4a95718ce1ce21f3",  # \[\[...\]\]
    "gfm_hard_break": "9449b4294829a182",  # \\\n
    "escape": "51a11c21258d37ec",  # \\(.)
    "footnote": "154f68064ec7034b",  # \[\^...\]
    "reference": "0aca4cbc7f7995e2",  # (?<!\!)\[ (and link, short_reference)
    "link": "0aca4cbc7f7995e2",
    "image_link": "3bd0cb9cfeedd718",  # \!\[ (and image_reference, short_image_ref)
    "image_reference": "3bd0cb9cfeedd718",
    "short_reference": "0aca4cbc7f7995e2",
    "short_image_ref": "3bd0cb9cfeedd718",
    "autolink": "b5c1b681b12983d1",  # <(?:ht|f)tps?://...>
    "automail": "64b9f843dff4e149",  # <...@...>
    "linebreak": "75df45fedc69aea0",  # two spaces, \n
    "html": "47eec514cf83c77b",  # <...> in every branch
    "magic-link": "8ba92530d6847e1c",  # (?:ht|f)tps?:// or w{3}\.
    "entity": "59f41c098c4b4533",  # &...;
    "em_strong": "1d6aeef067c22aba",  # \*|_
    "delimiter": "d32c1dacbd6c6906",  # \~
}


def _pattern_digest(md, name: str) -> str:
    regex = md.inlinePatterns[name].compiled_re
    return hashlib.sha256(getattr(regex, "regex", regex).pattern.encode()).hexdigest()[:16]


def test_skip_guards_are_for_the_patterns_they_were_written_for() -> None:
    md = rendering.build_markdown(rendering.RenderState(existing=frozenset(), page_title=None))
    assert set(rendering.SKIP_GUARDS) == set(SKIPPED_PATTERNS) <= set(md.inlinePatterns._data)
    digests = {name: _pattern_digest(md, name) for name in SKIPPED_PATTERNS}
    assert digests == SKIPPED_PATTERNS


def test_guarded_inline_is_markdowns_handle_inline_plus_the_skip() -> None:
    import inspect

    from markdown.treeprocessors import InlineProcessor

    source = inspect.getsource(InlineProcessor._InlineProcessor__handleInline)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "fe27babc114aed0a"


def _spec_and_documents() -> list[str]:
    import sys
    from pathlib import Path

    bench = str(Path(__file__).resolve().parents[1] / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import fidelity_support as fs

    texts = [t for name in ("spec.txt", "extensions.txt") for _, t, _ in fs.spec_examples(name)]
    return texts + [text for _, text in fs.github_documents(limit=40)]


def test_guarded_inline_renders_what_markdowns_renders() -> None:
    from markdown.treeprocessors import InlineProcessor

    samples = [*INLINE_SAMPLES, *BODY_VECTORS, *HEADINGS, *_spec_and_documents()]
    build = rendering.build_markdown
    tried = 0

    def stock(state):
        md = build(state)
        md.treeprocessors.register(InlineProcessor(md), "inline", 20)
        return md

    for text in samples:
        guarded = _markdown_html(text)
        with mock.patch.object(rendering, "build_markdown", stock):
            assert _markdown_html(text) == guarded, text
        tried += 1
    assert tried > 900


TOC_MARKERS = [
    "[TOC]",
    "  [TOC]  ",
    "`[TOC]`",
    "- [TOC]",
    "> [TOC]",
    "\\[TOC\\]",
    "# [TOC]",
    "[TOC] and more",
    "<p>[TOC]</p>",
    "| a |\n|---|\n| [TOC] |",
    "[TOC]\n\n[TOC]",
    "*[TOC]*",
    "[TO\x02C]",
    "no marker",
]


@pytest.mark.parametrize("marker", TOC_MARKERS)
def test_toc_marker_check_replaces_what_markdown_replaces(marker: str) -> None:
    body = f"# One\n\n{marker}\n\n## Two\n\ntext\n"
    build = rendering.build_markdown

    def stock(state):
        md = build(state)
        del md.treeprocessors["toc"].replace_marker  # the class's own method again
        return md

    with mock.patch.object(rendering, "build_markdown", stock):
        expected = rendering.render(body, existing=())
    assert rendering.render(body, existing=()) == expected


def test_toc_marker_is_still_replaced() -> None:
    assert '<div class="toc">' in _markdown_html("# One\n\n[TOC]\n\n## Two\n")


ANCHOR_SLUGS = ["t", "a-b_c9", "", "\u00e9-\u00fc-\u65e5\u672c", "x" * 300, "\u0661\u0662"]
ANCHOR_SLUGS += ["A-B", "-", "_"]
ANCHOR_TAGS = [
    '<h2 id="h-{0}">',
    '<a class="headerlink" href="#h-{0}" title="Link to this section">',
    '<a href="#h-{0}">',
    '<a href="#h-{0}" title="javascript:x">',
    '<div id="h-{0}" class="nope toc">',
    '<span href="#h-{0}">',
    '<p id="h-{0}" align="left">',
    '<h3\n  id="h-{0}">',
    '<a id="h-{0}" href="#h-{0}">',
    '<a data-id="h-{0}" href="h-{0}">',
    '<img src="#h-{0}" alt="h-{0}" />',
    '<p title=" id=" id="h-{0}">',
    '<h2 id="{0}">',  # no anchors: the id is dropped, the URLs are not fragments
    '<a href="{0}">',
    '<a href="#{0}" id="x-{0}">',
]


URL_VALUES = ["", "e.x", "e.x/a?b=1;c=%20#f", "u:p@e.x:99999/()!$*,+~_.-", "E.X/A", "x" * 300]
URL_VALUES += ["javascript:alert(1)", "//e.x", ":", "#h-x", "[::1]/", "[e.x/", "e]x"]
URL_VALUES += ["a?b=1&amp;c=2", "&#58;x", "a&b", "a&amp", "a`b", "a\\b", "\u00e9.x", "a\tb"]
URL_TAGS = [
    '<a href="https://{0}">',
    '<a href="http://{0}" title="t" class="wikilink nope">',
    '<a rel="x" href="https://{0}">',
    '<img src="https://{0}" alt="a" />',
    '<span href="https://{0}">',
    '<a href="https://{0}" id="h-{0}">',  # two values: no slot
    '<a href="https:/{0}">',
    '<a href="HTTPS://{0}">',
    '<a href="ftp://{0}">',
    '<a href="javascript://{0}">',
    '<a href="{0}">',
]


def _slotted_equal_bleach(templates: list[str], values: list[str]) -> int:
    cleaner = sanitize._cleaner()
    slotted = 0
    for template in templates:
        sanitize._local.tags = {}  # the first value makes the template, the others reuse it
        for value in values:
            tag = template.format(value)
            name = tag[1:].split()[0].rstrip(">")
            html = f"{tag}x</{name}>" if name != "img" else tag
            assert sanitize._bleach(cleaner, html) == cleaner.clean(html), repr(html)
            slotted += sanitize._slot(tag) is not None
    return slotted


def test_heading_anchor_templates_equal_bleach() -> None:
    assert _slotted_equal_bleach(ANCHOR_TAGS, ANCHOR_SLUGS) > 50


def test_web_link_templates_equal_bleach() -> None:
    assert _slotted_equal_bleach(URL_TAGS, URL_VALUES) > 30


def test_slot_templates_are_used() -> None:
    anchor, stand_in = "h-a", sanitize._ANCHOR_STAND_IN
    assert sanitize._slot(f'<h2 id="{anchor}">') == (f'<h2 id="{stand_in}">', stand_in, anchor)
    url, stand_in = "https://e.x/?a", f"https://{sanitize._NONCE}"
    assert sanitize._slot(f'<a href="{url}">') == (f'<a href="{stand_in}">', stand_in, url)
    assert sanitize._slot('<a id="h-a" href="#h-b">') is None  # two values
    assert sanitize._slot('<a href="#x-a">') is None
    assert sanitize._slot('<a href="https://e.x/?a=1&amp;b=2">') is None
    cleaner = sanitize._cleaner()
    sanitize._local.tags = {}
    html = (
        '<h2 id="h-{0}">T<a class="headerlink" href="#h-{0}" title="L">&para;</a></h2>'
        '<p><a href="https://e.x/{0}">e</a></p>'
    )
    sanitize._bleach(cleaner, html.format("one"))
    with mock.patch.object(sanitize, "_filtered", wraps=sanitize._filtered) as filtered:
        assert sanitize._bleach(cleaner, html.format("two")) == cleaner.clean(html.format("two"))
    tokens = [t for call in filtered.call_args_list for t in call.args[1]]
    assert not [t for t in tokens if t["type"] == "StartTag"]  # all from their templates


def test_repeated_texts_are_sanitized_once() -> None:
    cleaner = sanitize._cleaner()
    html = "".join(f"<p>a &amp; b<em>x{i}</em>&para;</p>" for i in range(5))
    with mock.patch.object(sanitize, "_filtered", wraps=sanitize._filtered) as filtered:
        assert sanitize._bleach(cleaner, html) == cleaner.clean(html)
    text_tokens = [t for call in filtered.call_args_list for t in call.args[1]]
    assert sum(t.get("data") == "a & b" or t.get("data") == "a &amp; b" for t in text_tokens) == 1


def test_astral_noncharacter() -> None:
    from wiki.rendering.html_tokens import astral_noncharacter

    planes = range(0x10000, 0x110000, 0x10000)
    nonchars = [chr(plane + end) for plane in planes for end in (0xFFFE, 0xFFFF)]
    assert [astral_noncharacter(f"ab{c}\U0001f600{c}") for c in nonchars] == [2] * 32
    others = "\U00010000\U0001fffd\U0001f600\U00020000\U0010fffd\ufffe\uffff x"
    assert astral_noncharacter(others) == -1
    assert astral_noncharacter("\U0001fffe x \U0002ffff", 1) == 4
    assert astral_noncharacter("\U0001fffe x \U0002ffff", 1, 4) == -1


def test_block_level_elements_as_a_set_render_what_the_list_renders() -> None:
    import markdown

    build = rendering.build_markdown
    md = build(rendering.RenderState(existing=frozenset(), page_title=None))
    assert isinstance(md.block_level_elements, frozenset)
    assert md.block_level_elements == set(markdown.Markdown().block_level_elements)

    def listed(state):
        md = build(state)
        md.block_level_elements = list(markdown.util.BLOCK_LEVEL_ELEMENTS)  # Markdown's own
        return md

    html = "<div>\n<p>x</p>\n</div>\n\n<section><span>y</span></section>\n\n<DIV/>\n"
    for text in [html, *BODY_VECTORS, *_spec_and_documents()]:
        expected = _markdown_html(text)
        with mock.patch.object(rendering, "build_markdown", listed):
            assert _markdown_html(text) == expected, text


TABLE_BLOCKS = [
    "| a |\n|---|",
    "a | b\n--|--",
    "|a\n|-",
    "a|\n-|",
    "a \\| b\n--|--",
    "`a | b`\n--|--",
    "| a | b |",
    "a\n| b | c |\n|---|---|",
    "a | b\n",
    "a | b\n\n--|--",
    "    | a |\n    |---|",
    "|\n|",
    "",
    "\n| a |\n|---|",
]


def test_table_test_answers_what_markdowns_answers() -> None:
    import xml.etree.ElementTree as etree

    from markdown.extensions.tables import TableProcessor

    md = rendering.build_markdown(rendering.RenderState(existing=frozenset(), page_title=None))
    table = md.parser.blockprocessors["table"]
    parent = etree.Element("div")
    blocks = [b for text in _spec_and_documents() for b in text.split("\n\n")]
    found = 0
    for block in [*TABLE_BLOCKS, *blocks]:
        expected = TableProcessor.test(table, parent, block)
        assert table.test(parent, block) == expected, repr(block)
        found += expected
    assert found > 20


def test_parse_blocks_is_markdowns_over_a_list() -> None:
    import inspect

    from markdown.blockparser import BlockParser

    source = inspect.getsource(BlockParser.parseBlocks)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "1737e188f149267b"
    md = rendering.build_markdown(rendering.RenderState(existing=frozenset(), page_title=None))
    assert md.parser.parseBlocks.args == (list(md.parser.blockprocessors),)


def test_parse_blocks_over_a_list_renders_what_markdowns_renders() -> None:
    build = rendering.build_markdown

    def stock(state):
        md = build(state)
        del md.parser.parseBlocks  # the class's method again
        return md

    for text in [*BODY_VECTORS, *_spec_and_documents()]:
        expected = _markdown_html(text)
        with mock.patch.object(rendering, "build_markdown", stock):
            assert _markdown_html(text) == expected, text


def test_a_text_without_any_guard_string_tries_no_pattern() -> None:
    md = rendering.build_markdown(rendering.RenderState(existing=frozenset(), page_title=None))
    inline = md.treeprocessors["inline"]
    strings = {s for guard in rendering.SKIP_GUARDS.values() for s in guard}
    assert {m[0] for m in inline.any_guard.finditer("".join(sorted(strings)))} <= strings
    for string in strings:
        assert inline.any_guard.search(f"plain {string} text"), string
    handle = inline._InlineProcessor__handleInline
    plain = "Plain text, new lines\nand all. www"
    with mock.patch.object(inline, "_InlineProcessor__applyPattern") as apply:
        apply.return_value = ("a `b`", False, 0)
        assert handle(plain) == plain
        apply.assert_not_called()
        handle("a `b`")
        apply.assert_called()


def test_without_a_guard_for_every_pattern_no_text_skips_them_all() -> None:
    guards = {k: v for k, v in rendering.SKIP_GUARDS.items() if k != "entity"}
    with mock.patch.object(rendering, "SKIP_GUARDS", guards):
        md = rendering.build_markdown(rendering.RenderState(existing=frozenset(), page_title=None))
    assert md.treeprocessors["inline"].any_guard is None


def test_unescape_skips_only_texts_without_escapes() -> None:
    from markdown.treeprocessors import UnescapeTreeprocessor

    md = rendering.build_markdown(rendering.RenderState(existing=frozenset(), page_title=None))
    unescape = md.treeprocessors["unescape"]
    for text in ["plain", "", "a\x0242\x03b", "\x02x\x03", "\x0260\x03\x0262\x03", "\x02"]:
        assert unescape.unescape(text) == UnescapeTreeprocessor.unescape(unescape, text)
    body = '\\*not em\\* [a\\]](/x "t\\"") `\\*` <b>\\<</b>\n\n# \\#h\n'
    expected = rendering.render(body, existing=())

    def stock(state):
        md = build(state)
        del md.treeprocessors["unescape"].unescape  # the class's method again
        return md

    build = rendering.build_markdown
    with mock.patch.object(rendering, "build_markdown", stock):
        assert rendering.render(body, existing=()) == expected


REUSE_SAMPLES = [
    "# One\n\n[TOC]\n\n## Two\n\nText[^1] and [[Some page]] [[Missing page|red]].\n\n"
    "[^1]: A note.\n",
    "```mermaid\ngraph TD; A-->B\n```\n\n$$\nx^2\n$$\n\n![d](d.png)\n",
    '[ref]: https://example.com "T"\n\nA [ref] link, <abbr>raw</abbr> and '
    "<div>\n\n*html*\n</div>\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n- [ ] task\n- [x] done\n\n~~gone~~ www.example.com\n",
    "```python\nprint('hi')\n```\n\n    indented\n\n> quote with [^2]\n\n[^2]: Two.\n",
    "plain text, no links, no notes, no headings\n",
]


def _fresh_render(body: str, **kwargs) -> rendering.Rendered:
    with mock.patch.object(rendering, "_idle", rendering._Idle()):
        return rendering.render(body, **kwargs)


def test_a_reused_markdown_renders_each_text_as_a_new_one_would() -> None:
    """Instances serve one render after another: nothing of a text (footnotes, references,
    stashed HTML and code, headings, links, fences seen) carries over into the next."""
    kwargs = {"existing": frozenset({"Some page"}), "page_title": "Here", "image_sizes": {}}
    samples = [*REUSE_SAMPLES, *BODY_VECTORS[:40], *_spec_and_documents()[:300]]
    reused = rendering._Idle()
    built = 0
    for _ in range(2):  # every text after every other
        for body in samples:
            try:
                want = _fresh_render(body, **kwargs)
            except rendering.RenderError:
                continue
            with mock.patch.object(rendering, "_idle", reused):
                before = list(reused.instances)
                assert rendering.render(body, **kwargs) == want, body
                built += not any(md in before for md in reused.instances)
    assert built < 5  # the same instance, reset, not a new one for each text


def test_an_instance_whose_render_failed_is_not_reused() -> None:
    with mock.patch.object(rendering, "_idle", rendering._Idle()):
        rendering.render("first", existing=())
        (instance,) = rendering._idle.instances
        with (
            mock.patch.object(instance, "convert", side_effect=RecursionError),
            pytest.raises(rendering.RenderError),
        ):
            rendering.render("second", existing=())
        assert rendering._idle.instances == []
        assert "<p>third</p>" in rendering.render("third", existing=()).html
        assert rendering._idle.instances and rendering._idle.instances[0] is not instance


def test_each_thread_reuses_only_its_own_instances() -> None:
    seen: dict[str, list] = {}

    def work(name: str) -> None:
        rendering.render(f"{name} text", existing=())
        seen[name] = list(rendering._idle.instances)

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen["a"]) == len(seen["b"]) == 1
    assert seen["a"][0] is not seen["b"][0]
