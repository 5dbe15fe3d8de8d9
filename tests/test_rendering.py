"""wiki.rendering.markdown: Markdown features, wiki links, front matter and the sanitizer."""

from __future__ import annotations

import dataclasses
import pickle
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from bleach._vendor import html5lib
from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.rendering import markdown as rendering
from wiki.rendering.markdown import (
    RENDERER_VERSION,
    Rendered,
    RenderError,
    extract_link_targets,
    plain_text,
    render,
    split_front_matter,
)
from wiki.rendering.sanitize import ALLOWED_TAGS, sanitize_html

FORBIDDEN_TAGS = set(
    "svg math style script iframe object embed form base meta link button textarea select".split()
)
SAFE_SCHEMES = {"http", "https", "mailto"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every element as html.parser sees it, then as a browser's (html5lib's) tree builds it.

    The second view catches markup that a browser would re-nest into something else.
    """
    parser = _Elements()
    parser.feed(html)
    parser.close()
    tree = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    browser = [(el.tag, dict(el.attrib)) for el in tree.iter() if el is not tree]
    return parser.elements + browser


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see, after dropping whitespace and control characters."""
    plain = re.sub(r"[\x00-\x20\x7f-\xa0]", "", value).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", plain)
    return match.group(1) if match else None


def assert_safe(html: str) -> None:
    """Every element allowlisted, no event handlers or styles, no ids outside the prefixes,
    and every URL http(s), mailto or relative."""
    for tag, attrs in elements(html):
        assert tag in ALLOWED_TAGS, f"<{tag}> in {html!r}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{name} on <{tag}> in {html!r}"
            assert name != "style", html
            if name == "id":
                assert value.startswith(("h-", "fn:", "fnref")), html
            if name in ("href", "src"):
                assert url_scheme(value) in SAFE_SCHEMES | {None}, f"{name}={value!r}"
        if tag == "input":
            assert attrs.get("type") == "checkbox" and "disabled" in attrs, html


def test_assert_safe_catches_unsafe_html() -> None:
    for bad in (
        '<a href="java\tscript:alert(1)">x</a>',
        "<script>x</script>",
        '<img src="x" onerror="y">',
        '<div id="login-form"></div>',
        '<input type="text">',
        '<svg><a href="/x">x</a></svg>',
    ):
        with pytest.raises(AssertionError):
            assert_safe(bad)


def html_of(body: str, existing: tuple[str, ...] = (), page_title: str | None = None) -> str:
    return render(body, existing=existing, page_title=page_title).html


# --- basics ---------------------------------------------------------------------------


def test_renderer_version_and_frozen_result() -> None:
    assert isinstance(RENDERER_VERSION, int) and RENDERER_VERSION >= 1
    result = render("hello", existing=())
    assert isinstance(result, Rendered)
    assert result.html == "<p>hello</p>"
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.html = "x"  # type: ignore[misc]


def test_headings_get_prefixed_ids_and_permalinks() -> None:
    html = html_of("# Hello *World*\n\n# Hello World")
    assert '<h1 id="h-hello-world">Hello <em>World</em>' in html
    assert 'id="h-hello-world_1"' in html  # duplicates stay unique
    assert '<a class="headerlink" href="#h-hello-world"' in html


def test_unicode_heading_slug() -> None:
    assert 'id="h-café-crème"' in html_of("## Café crème")


def test_toc_marker_and_toc_html() -> None:
    result = render("[TOC]\n\n# One\n\n## Two\n\ntext", existing=())
    assert '<div class="toc">' in result.html
    assert result.toc_html.startswith("<ul>")
    assert '<a href="#h-one">One</a>' in result.toc_html
    assert '<a href="#h-two">Two</a>' in result.toc_html
    assert "<div" not in result.toc_html


def test_toc_empty_below_two_headings() -> None:
    assert render("# Only one\n\ntext", existing=()).toc_html == ""
    assert render("no headings", existing=()).toc_html == ""


def test_fenced_code_is_highlighted_with_classes() -> None:
    html = html_of("```python\ndef f():\n    return 1\n```")
    # The language class is the code block's label on the page (static/js/reading.js).
    assert html.startswith('<div class="language-python highlight"><pre>')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">f</span>' in html
    assert "style=" not in html
    # Only language-<name> classes pass besides the allowlist: no site layout classes.
    raw = html_of('<p><span class="language-py page-sidebar">y</span></p>')
    assert '<span class="language-py">y</span>' in raw


def test_code_block_options_keep_their_classes() -> None:
    html = html_of('```python linenums="1" hl_lines="1" title="x.py"\nimport os\n```')
    for cls in ("highlighttable", "linenos", "filename", "hll", "kn"):
        assert f'class="{cls}"' in html


def test_code_is_escaped() -> None:
    html = html_of("```\n<b>not bold</b>\n```\n\n`<i>x</i>`")
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "<code>&lt;i&gt;x&lt;/i&gt;</code>" in html


def test_tables_use_align_attribute_not_style() -> None:
    html = html_of("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    assert '<th align="left">a</th>' in html
    assert '<td align="center">2</td>' in html
    assert '<td align="right">3</td>' in html
    assert "style" not in html


def test_task_list_checkboxes_are_disabled() -> None:
    html = html_of("- [ ] todo\n- [x] done")
    assert '<ul class="task-list">' in html
    assert (
        '<li class="task-list-item"><input type="checkbox" disabled aria-label="Task"> todo</li>'
        in html
    )
    assert '<input type="checkbox" disabled checked aria-label="Task"> done' in html


def test_strikethrough() -> None:
    assert "<del>gone</del>" in html_of("~~gone~~")


def test_autolinks_are_external_nofollow() -> None:
    html = html_of("See https://example.com/a and www.example.org and mail a@example.com")
    assert '<a href="https://example.com/a" rel="nofollow noopener">' in html
    assert 'href="http://www.example.org" rel="nofollow noopener"' in html
    hrefs = [attrs.get("href") for tag, attrs in elements(html) if tag == "a"]
    assert "mailto:a@example.com" in hrefs  # entity-obfuscated in the markup


def test_internal_links_get_no_nofollow() -> None:
    html = html_of("[a](/static/x) [b](#h-top)")
    assert "rel=" not in html


def test_footnotes_use_prefixed_ids() -> None:
    html = html_of("Text[^1] again[^1].\n\n[^1]: The note.")
    assert '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>' in html
    assert 'id="fnref2:1"' in html
    assert '<li id="fn:1">' in html
    assert 'class="footnote-backref" href="#fnref:1"' in html


# --- wiki links -----------------------------------------------------------------------


def test_wikilink_to_existing_page() -> None:
    result = render("See [[Django REST Framework]].", existing={"Django REST Framework"})
    assert (
        '<a class="wikilink" href="/wiki/Django_REST_Framework">Django REST Framework</a>'
        in result.html
    )
    assert result.links == {"Django REST Framework"}
    assert result.missing == frozenset()


def test_wikilink_to_missing_page_is_red() -> None:
    result = render("[[New Page]]", existing=["Other"])
    assert (
        '<a class="wikilink missing" href="/edit/New_Page" title="Page does not exist yet">'
        "New Page</a>" in result.html
    )
    assert result.links == result.missing == {"New Page"}


def test_wikilink_label_and_section() -> None:
    existing = {"Django/ORM"}
    html = html_of("[[Django/ORM|the ORM]] [[Django/ORM#Query sets|sets]]", existing)
    assert '<a class="wikilink" href="/wiki/Django/ORM">the ORM</a>' in html
    assert '<a class="wikilink" href="/wiki/Django/ORM#h-query-sets">sets</a>' in html
    # The anchor is the id the same heading gets on the target page.
    assert 'id="h-query-sets"' in html_of("## Query sets")


def test_wikilink_section_without_label_shows_target() -> None:
    html = html_of("[[Page#Part]]", ("Page",))
    assert '<a class="wikilink" href="/wiki/Page#h-part">Page#Part</a>' in html


def test_missing_wikilink_with_section_goes_to_edit() -> None:
    html = html_of("[[Nope#Part|x]]")
    assert 'href="/edit/Nope"' in html


def test_wikilink_titles_are_normalized() -> None:
    result = render("[[Foo_bar]] [[  Foo   bar ]] [[Ｆｏｏ bar]]", existing={"Foo bar"})
    assert result.links == {"Foo bar"}
    assert result.missing == frozenset()
    assert result.html.count('href="/wiki/Foo_bar"') == 3


def test_wikilink_percent_encodes_path() -> None:
    html = html_of("[[Café au lait]]", ("Café au lait",))
    assert 'href="/wiki/Caf%C3%A9_au_lait"' in html


@pytest.mark.parametrize("raw", ["[[a//b]]", "[[ ]]", "[[x%y]]", "[[/lead]]", "[[a/../b]]"])
def test_invalid_wikilink_is_plain_text(raw: str) -> None:
    result = render(raw, existing=())
    assert "<a" not in result.html
    assert raw.replace("/../", "/../") in result.html
    assert result.links == frozenset()


def test_wikilink_label_is_text_not_html() -> None:
    html = html_of("[[Page|<img src=x onerror=alert(1)>]]")
    assert "&lt;img src=x onerror=alert(1)&gt;</a>" in html
    assert "<img" not in html


def test_wikilink_in_code_is_not_a_link() -> None:
    result = render("`[[Foo]]`\n\n    [[Bar]]", existing=())
    assert result.links == frozenset()
    assert "<code>[[Foo]]</code>" in result.html


def test_markdown_wiki_urls_count_as_links() -> None:
    body = (
        "[a](/wiki/Caf%C3%A9_au_lait) [b](/wiki/Django_REST_Framework#h-x) "
        "[c](/wiki/Gone) [d](https://example.com/wiki/Not_ours) [e][r]\n\n[r]: /wiki/Ref_Page"
    )
    result = render(body, existing={"Django REST Framework"})
    assert result.links == {"Café au lait", "Django REST Framework", "Gone", "Ref Page"}
    assert result.missing == {"Café au lait", "Gone", "Ref Page"}
    assert '<a class="wikilink" href="/wiki/Django_REST_Framework#h-x">b</a>' in result.html
    assert 'class="wikilink missing" href="/edit/Gone"' in result.html


def test_missing_is_links_without_existing() -> None:
    result = render("[[A]] [[B]] [c](/wiki/C) [[B|again]]", existing={"B", "Unrelated"})
    assert result.links == {"A", "B", "C"}
    assert result.missing == result.links - {"B", "Unrelated"}


def test_extract_link_targets() -> None:
    body = (
        "[[A]] [[B|label]] [[C#Sec|x]] [[bad//title]] [x](/wiki/D_E) [y](</wiki/F%20G>)\n"
        '[r]: /wiki/H\\_I "title"\n[s]: https://example.com/wiki/Z\n'
    )
    assert extract_link_targets(body) == {"A", "B", "C", "D E", "F G", "H I"}


def test_extract_link_targets_covers_render_links() -> None:
    body = (
        "[[One]] [two](/wiki/Two) [[Three#s|3]] [five](&#47;wiki&#47;Five) [ref][r]\n\n"
        "[r]: /wiki/Four"
    )
    rendered = render(body, existing=())
    assert rendered.links <= extract_link_targets(body)
    assert len(rendered.links) == 5


# --- front matter ---------------------------------------------------------------------

FRONT = """---
title: Custom title
tags: [python, web]
level: 2
last_verified: 2024-05-01
verified_with: {django: "5.0"}
---
# Body
"""


def test_front_matter_is_parsed_and_hidden() -> None:
    result = render(FRONT, existing=())
    assert result.meta == {
        "title": "Custom title",
        "tags": ["python", "web"],
        "level": 2,
        "last_verified": "2024-05-01",
        "verified_with": {"django": "5.0"},
    }
    for hidden in ("Custom title", "tags", "python", "2024", "<hr>"):
        assert hidden not in result.html
    assert result.html.startswith('<h1 id="h-body">')


def test_split_front_matter() -> None:
    meta, rest = split_front_matter("---\na: 1\n...\ntext\n")
    assert meta == {"a": 1}
    assert rest == "text\n"
    assert split_front_matter("---\r\na: 1\r\n---\r\nx") == ({"a": 1}, "x")
    assert split_front_matter("no front matter") == ({}, "no front matter")


@pytest.mark.parametrize(
    "body",
    [
        "---\na: [unclosed\n---\nbody",  # invalid YAML
        "---\n- a list\n---\nbody",  # not a mapping
        "---\njust text\n---\nbody",
        "text first\n---\na: 1\n---\n",  # not at the start
        "---\na: 1\nno closing line",
        "---\na: !!python/object/apply:os.system [echo hi]\n---\nbody",  # unsafe tag
    ],
)
def test_invalid_front_matter_is_ignored(body: str) -> None:
    assert split_front_matter(body) == ({}, body)
    assert render(body, existing=()).meta == {}


def test_front_matter_alias_bomb_is_rejected() -> None:
    lines = ["---", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    body = "\n".join([*lines, "---", "text"])
    assert split_front_matter(body)[0] == {}


# --- mermaid and math -----------------------------------------------------------------


def test_mermaid_fence() -> None:
    result = render("```mermaid\ngraph TD; A-->B; <script>alert(1)</script>\n```", existing=())
    assert result.uses_mermaid
    assert (
        '<pre class="mermaid">graph TD; A--&gt;B; &lt;script&gt;alert(1)&lt;/script&gt;</pre>'
        in result.html
    )
    assert "<script" not in result.html


def test_no_mermaid_no_math_flags() -> None:
    result = render("```python\nx = 1\n```\n\nIt costs $5 and $10.", existing=())
    assert not result.uses_mermaid
    assert not result.uses_math


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Inline $x^2$ math", r'<span class="arithmatex">\(x^2\)</span>'),
        ("$$\na+b\n$$", '<div class="arithmatex">\\[\na+b\n\\]</div>'),
        ("```math\na+b\n```", '<div class="arithmatex">\\[\na+b\n\\]</div>'),
    ],
)
def test_math_sets_flag(body: str, expected: str) -> None:
    result = render(body, existing=())
    assert result.uses_math
    assert expected in result.html


def test_math_is_escaped() -> None:
    html = html_of("$a<b>c$")
    assert "<b>" not in html
    assert_safe(html)


# --- attachments ----------------------------------------------------------------------


def test_relative_urls_resolve_to_attachments() -> None:
    body = (
        "![pic](pic.png) [doc](./docs/a.pdf) ![abs](/static/x.png) [t](#h-top) [e](https://e.org/x)"
    )
    html = html_of(body, page_title="My Page/Sub")
    assert '<img alt="pic" src="/files/My_Page/Sub/pic.png" loading="lazy">' in html
    assert 'href="/files/My_Page/Sub/docs/a.pdf"' in html
    assert 'src="/static/x.png"' in html
    assert 'href="#h-top"' in html
    assert 'href="https://e.org/x"' in html


def test_relative_urls_unchanged_without_page_title() -> None:
    html = html_of("![pic](pic.png)")
    assert '<img alt="pic" src="pic.png" loading="lazy">' in html


def test_unsafe_relative_looking_urls_stay_inert() -> None:
    html = html_of("[x](jav&#x09;ascript:alert(1)) ![y](javascript:alert(1))", page_title="P")
    assert_safe(html)
    assert "javascript:alert" not in html.replace("/files/P/", "")


def test_malformed_urls_do_not_crash() -> None:
    body = "https://e.org[[ [x](http://[::1) [y](/wiki/[x) ![z](http://]/a)"
    html = html_of(body, page_title="P")
    assert_safe(html)
    assert "https://e.org" in html


# --- plain text -----------------------------------------------------------------------


def test_plain_text() -> None:
    body = (
        FRONT
        + "[TOC]\n\nSome *emphasis* and [[Linked Page|a link]].\n\n"
        + "```python\nprint('code')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        + "<script>x</script>\n\nNote[^n].\n\n[^n]: Footnote text."
    )
    text = plain_text(body)
    assert "Body" in text
    assert "Some emphasis and a link." in text
    assert "print('code')" in text
    assert "Footnote text." in text
    assert "<script>x</script>" in text  # escaped on the page, so it is visible text
    assert "Custom title" not in text  # front matter removed
    assert "¶" not in text and "↩" not in text and "<" not in text.replace("<script>x</script>", "")
    assert text.count("Body") == 1  # the [TOC] does not repeat headings


# --- sanitizer ------------------------------------------------------------------------


def test_allowlist_excludes_dangerous_tags() -> None:
    assert not FORBIDDEN_TAGS & ALLOWED_TAGS


def test_sanitize_keeps_allowed_markup() -> None:
    html = (
        '<details open><summary>More</summary><p class="zzz"><kbd>Ctrl</kbd> <mark>m</mark>'
        '<abbr title="HyperText">HTML</abbr></p></details><ol start="3"><li>x</li></ol>'
        '<figure><img src="/a.png" alt="a" width="10"><figcaption>c</figcaption></figure>'
    )
    out = sanitize_html(html)
    assert "<details open><summary>More</summary><p><kbd>Ctrl</kbd>" in out
    assert '<abbr title="HyperText">HTML</abbr>' in out
    assert '<ol start="3">' in out
    assert '<img src="/a.png" alt="a" width="10" loading="lazy">' in out
    assert_safe(out)


def test_sanitize_filters_classes_and_ids() -> None:
    out = sanitize_html('<div id="h-ok" class="navbar highlight modal">x</div><p id="main">y</p>')
    assert out == '<div id="h-ok" class="highlight">x</div><p>y</p>'


def test_sanitize_forces_disabled_checkboxes_only() -> None:
    out = sanitize_html('<input type="checkbox" checked><input type="text"><input>')
    assert out == '<input type="checkbox" checked disabled aria-label="Task">'


def test_sanitize_rewrites_rel_on_external_links() -> None:
    out = sanitize_html('<a href="https://e.org" rel="me">x</a><a href="/wiki/A" rel="me">y</a>')
    assert '<a href="https://e.org" rel="nofollow noopener">x</a>' in out
    assert '<a href="/wiki/A" rel="me">y</a>' in out


XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body { display: none }</style>",
    '<form action="/logout" method="post"><button>Go</button></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<div id="login-form">x</div>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    "[x](javascript&#58;alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    '<math><mtext><a href="javascript:alert(1)">x</a></mtext></math>',
    "<details open ontoggle=alert(1)>x</details>",
    "<body onload=alert(1)>",
    '<input type="text" autofocus onfocus=alert(1)>',
    "<textarea>x</textarea><select><option>x</option></select>",
    '<button formaction="javascript:alert(1)">x</button>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<span class="x" onclick="alert(1)">x</span>',
    "<!--<img src=x onerror=alert(1)>-->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
    "[x](<javascript:alert(1)>)",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[[<script>alert(1)</script>]]",
    "```mermaid\n<img src=x onerror=alert(1)>\n```",
    "```html\n<script>alert(1)</script>\n```",
    '<img src="x" srcset="javascript:alert(1)">',
    '<a href="#" name="x" target="_blank" ping="https://e">x</a>',
    '<table><tr><td background="javascript:alert(1)">x</td></tr></table>',
    "<video><source onerror=alert(1)></video>",
    '<img src="jav\tascript:alert(1)">',
    "$<img src=x onerror=alert(1)>$",
    "Text[^a]\n\n[^a]: <img src=x onerror=alert(1)>",
    "<scr<script>ipt>alert(1)</script>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "# <script>alert(1)</script>\n\n## <img src=x onerror=alert(1)>",
    "<img src=x:alert(1) onerror=eval(src)>",
    '<a href="/wiki/x" id="content">x</a>',
    '<div style="position:fixed;inset:0" class="modal">x</div>',
    "<plaintext><script>alert(1)</script>",
    '<a href="http://a.example/" title="x" onfocus="alert(1)" autofocus>x</a>',
]


def test_there_are_enough_xss_vectors() -> None:
    assert len(set(XSS_VECTORS)) >= 40


@pytest.mark.parametrize("vector", XSS_VECTORS)
@pytest.mark.parametrize("page_title", [None, "Sandbox"])
def test_xss_vector_is_inert(vector: str, page_title: str | None) -> None:
    result = render(vector, existing=(), page_title=page_title)
    assert_safe(result.html)
    assert_safe(result.toc_html)
    assert "<script" not in result.html.lower()
    assert 'id="login-form"' not in result.html


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_sanitize_html_alone_makes_vectors_inert(vector: str) -> None:
    assert_safe(sanitize_html(vector))


# --- limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", ["- " * 1000 + "x", "1. " * 500 + "x", "> " * 100 + "x", ">" * 50 + " x"]
)
def test_deep_nesting_is_rejected(body: str) -> None:
    with pytest.raises(RenderError) as info:
        render(body, existing=())
    assert info.value.status == 400
    assert "too complex to render" in str(info.value)
    assert "nested more than 40 levels" in str(info.value)


def test_moderate_nesting_and_rules_render() -> None:
    nested = "\n".join("    " * i + f"- item {i}" for i in range(20))
    assert html_of(nested).count("<ul>") == 20
    assert html_of("- " * 1000) == "<hr>"  # only dashes and spaces: a horizontal rule
    assert html_of("> " * 30 + "deep").count("<blockquote>") == 30


def test_unclosed_brackets_are_rejected_cheaply() -> None:
    with pytest.raises(RenderError) as info:
        render("[x](" * 20000, existing=())
    assert info.value.status == 413
    with pytest.raises(RenderError):
        render("[" * 20000, existing=())


def test_many_ordinary_links_and_brackets_render() -> None:
    links = " ".join(f"[link {i}](https://e.org/{i}) (note {i}" for i in range(2000))
    intervals = " ".join(f"[0, {i})" for i in range(20))
    assert html_of(links + intervals).count("<a ") == 2000


def test_deep_raw_html_is_rejected() -> None:
    with pytest.raises(RenderError) as info:
        render("<div>" * 5000, existing=())
    assert info.value.status == 413


def test_recursion_error_becomes_render_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "MAX_NESTING", 10**6)  # let it reach Python-Markdown
    with pytest.raises(RenderError) as info:
        render("- " * 2000 + "x", existing=())
    assert info.value.status == 400
    assert "too complex to render" in str(info.value)


def test_render_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(RenderError("too complex to render: x", 413)))
    assert isinstance(error, RenderError)
    assert error.status == 413
    assert str(error) == "too complex to render: x"


# --- stylesheet -----------------------------------------------------------------------


def test_pygments_stylesheet_has_light_and_dark_styles() -> None:
    css = (Path(__file__).parent.parent / "static" / "css" / "pygments.css").read_text()
    light, _, dark = css.partition("@media (prefers-color-scheme: dark) {")
    assert ".highlight .k {" in light and ".highlight .k {" in dark
    assert re.search(r"^\s*(pre|td|span)\b", css, re.M) is None  # everything under .highlight


# --- property -------------------------------------------------------------------------

FRAGMENTS = [
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:",
    "jav&#x09;ascript:",
    "&#58;",
    "data:",
    "[",
    "]",
    "(",
    ")",
    "[[",
    "]]",
    "|",
    "#",
    "\n",
    "\n\n",
    "- ",
    "> ",
    "1. ",
    "```",
    "```mermaid\n",
    "$",
    "$$",
    '<a href="',
    '"',
    "'",
    "<svg",
    " on",
    "=",
    "<",
    ">",
    "/",
    '<div id="',
    "*",
    "_",
    "~~",
    "<!--",
    "-->",
    "\t",
    "\x00",
    "<style>",
    "</",
    "<iframe",
    "&",
    "[^1]",
    "[^1]: ",
    "[TOC]",
    "---\n",
    "| a |",
    "|---|",
    "- [x] ",
    "https://e.org",
    "x",
    " ",
]
markdownish = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=40).map("".join)


@settings(deadline=None, max_examples=150)
@given(body=st.one_of(markdownish, st.text(max_size=200)), page_title=st.sampled_from([None, "P"]))
def test_any_text_renders_to_sanitized_html(body: str, page_title: str | None) -> None:
    try:
        result = render(body, existing=("x",), page_title=page_title)
    except RenderError as error:
        assert error.status in (400, 413)
        return
    assert_safe(result.html)
    assert_safe(result.toc_html)
    assert result.missing <= result.links
    assert_safe(sanitize_html(result.html))  # the gate is safe on its own output too


def test_labelled_wiki_link_inside_a_table_cell_keeps_the_cell_whole():
    body = "| page | note |\n|---|---|\n| [[Foo|the foo]] | x |\n\n```\n| [[Q|z]] |\n```"
    out = render(body, existing={"Foo"})
    assert '<td><a class="wikilink" href="/wiki/Foo">the foo</a></td>' in out.html
    assert "<td>x</td>" in out.html
    assert "| [[Q|z]] |" in out.html  # code blocks are left alone
    assert render("[[Foo\\|escaped]]", existing={"Foo"}).html.count(">escaped</a>") == 1


def test_attachment_images_get_their_known_dimensions():
    out = render(
        "![diagram](arch.png) ![other](x.png)",
        existing=set(),
        page_title="Django/ORM",
        image_sizes={"arch.png": (800, 600)},
    )
    assert 'src="/files/Django/ORM/arch.png"' in out.html
    assert 'width="800"' in out.html and 'height="600"' in out.html
    assert out.html.count("width=") == 1  # unknown images get no invented size


def test_no_cyclic_garbage_collection_runs_during_a_render():
    """Renders pause the cyclic collector (it doubled the slowest renders of long pages) and
    leave it as they found it."""
    import gc

    from wiki.rendering.markdown import render
    from wiki.rendering.pieces import PieceCache, render_pieces

    body = "\n\n".join(
        f"## Part {n}\n\n- *item* {n} [[Page {n}]]\n- `code` {n}" for n in range(400)
    )
    automatic: list[int] = []  # collections set off by allocations (gc.collect() is gen 2)

    def note(phase, info):
        if phase == "start" and info["generation"] < 2:
            automatic.append(info["generation"])

    cache, existing = PieceCache(), frozenset()
    gc.callbacks.append(note)
    try:
        gc.collect()
        render.__wrapped__(body, existing=existing)  # the same render, unpaused
        unpaused = len(automatic)
        gc.collect()
        render(body, existing=existing)
        during_render = len(automatic) - unpaused
        gc.collect()
        render_pieces(body, existing=existing, cache=cache)
        during_pieces = len(automatic) - unpaused - during_render
        assert unpaused > 0  # the page is big enough to set the collector off
        assert (during_render, during_pieces) == (0, 0)
        assert gc.isenabled()
        gc.disable()
        render(body, existing=existing)
        assert not gc.isenabled()  # a caller's own pause is kept
    finally:
        gc.enable()
        gc.callbacks.remove(note)
