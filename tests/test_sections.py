"""wiki.text.sections: pure section splitting and splicing (no app)."""

import re

import pytest

from wiki.text.sections import SectionNotFound, headings, link_headings, section_text, splice

BODY = """---
title: x
# a YAML comment, not a heading
---
Intro line.

# One
one text
## One.a
sub text
```python
# not a heading
```
### One.a.i
deep
# Two
two text
~~~~
## also not a heading
~~~
still fenced
~~~~
#Three
"""


def test_headings_are_counted_in_source_order_outside_fences_and_front_matter():
    found = headings(BODY)
    assert [(h.number, h.level, h.text) for h in found] == [
        (1, 1, "One"),
        (2, 2, "One.a"),
        (3, 3, "One.a.i"),
        (4, 1, "Two"),
        (5, 1, "Three"),
    ]


def test_a_section_runs_to_the_next_heading_of_the_same_or_higher_level():
    assert section_text(BODY, 2) == (
        "## One.a\nsub text\n```python\n# not a heading\n```\n### One.a.i\ndeep\n"
    )
    assert section_text(BODY, 3) == "### One.a.i\ndeep\n"
    assert section_text(BODY, 5) == "#Three\n"
    assert section_text(BODY, 1).startswith("# One\n") and section_text(BODY, 1).endswith("deep\n")


def test_splice_replaces_only_that_section():
    changed = splice(BODY, 3, "### One.a.i\nDEEPER\n")
    assert changed == BODY.replace("deep\n", "DEEPER\n")
    assert splice(BODY, 4, section_text(BODY, 4)) == BODY


def test_splice_keeps_a_line_break_before_the_next_heading():
    body = "# A\na\n# B\nb\n"
    assert splice(body, 1, "# A\nnew a") == "# A\nnew a\n# B\nb\n"
    assert splice(body, 2, "# B\nlast") == "# A\na\n# B\nlast"


def test_splice_can_remove_a_section():
    assert splice("# A\na\n# B\nb\n", 1, "") == "# B\nb\n"


def test_crlf_bodies_keep_their_line_endings():
    body = "# A\r\na\r\n# B\r\nb\r\n"
    assert section_text(body, 2) == "# B\r\nb\r\n"
    assert splice(body, 1, "# A\r\nx\r\n") == "# A\r\nx\r\n# B\r\nb\r\n"


@pytest.mark.parametrize("number", [0, -1, 6, 100])
def test_out_of_range_raises(number):
    with pytest.raises(SectionNotFound):
        section_text(BODY, number)
    with pytest.raises(SectionNotFound):
        splice(BODY, number, "x")


def test_a_body_without_headings_has_no_sections():
    assert headings("just text\n    # indented code\n") == []
    assert headings("") == []


def test_unclosed_front_matter_is_body_text():
    assert [h.text for h in headings("---\n# Heading\n")] == ["Heading"]


def test_splice_keeps_the_blank_line_before_the_next_section():
    body = "# A\na\n\n# B\nb\n"
    assert splice(body, 1, "# A\nnew a") == "# A\nnew a\n\n# B\nb\n"
    assert splice(body, 1, "# A\nnew a\n\n\n") == "# A\nnew a\n\n# B\nb\n"


def test_link_headings_matches_rendered_headings_to_source_sections():
    from wiki.rendering.markdown import render_markdown

    body = (
        "# Intro [docs](https://x.test)\n\n> ## Quoted\n\n## [[Some Page|Setup]]\n\n"
        "Setext\n------\n\n```\n# code\n```\n\n### `Deep` *one*\n"
    )
    html = render_markdown(body, {}, set()).html
    linked = link_headings(html, body, lambda n: f"/edit/P?section={n}&x=<")
    found = re.findall(r'href="/edit/P\?section=(\d)&amp;x=&lt;" aria-label="([^"]*)"', linked)
    assert found == [
        ("1", "Edit section: Intro docs"),
        ("2", "Edit section: Setup"),
        ("3", "Edit section: Deep one"),
    ]
    assert linked.replace(re.search(r" <a class=\"section-edit\".*?</a>", linked).group(0), "", 1)
