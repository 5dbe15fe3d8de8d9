"""What the fidelity bench compares: spec examples, real GitHub-style documents, a normaliser.

Both sides pass the wiki's one sanitizer (``sanitize_html``) and then :func:`normalize`, which
keeps what a reader sees as structure (elements, their nesting, the text, link targets,
ordered-list starts, task boxes) and drops what only differs in presentation: ids and
classes, heading permalinks, syntax-highlighting spans, footnote sections, whitespace runs.
"""

from __future__ import annotations

import html
import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import cmarkgfm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wiki.rendering.markdown import split_front_matter  # noqa: E402
from wiki.rendering.sanitize import sanitize_html  # noqa: E402

FIDELITY = Path(__file__).resolve().parent / "fidelity"
_FENCE = "`" * 32
_EXAMPLE = re.compile(rf"^{_FENCE} example(?: ([a-z]+))?\n(.*?)^\.\n(.*?)^{_FENCE}$", re.M | re.S)
_HEADING = re.compile(r"^#{1,6} (.+)$", re.M)
_BLOCK = frozenset(
    "p div pre li ul ol dl dt dd blockquote table thead tbody tr th td h1 h2 h3 h4 h5 h6 hr br"
    " details summary figure figcaption caption".split()
)
_KEPT_ATTRS = {"a": ("href",), "img": ("src",), "ol": ("start",), "input": ("checked",)}
# Attribute-free tag pairs that mean the same to a reader.
_SAME_TAG = {"s": "del", "strike": "del", "b": "strong", "i": "em"}


def spec_examples(name: str) -> list[tuple[str, str, str]]:
    """(section, markdown, extension) of every example in ``bench/fidelity/<name>``.

    ``extension`` is "" for a CommonMark example, else the GFM extension it needs.
    """
    text = (FIDELITY / name).read_text(encoding="utf-8")
    outside = _EXAMPLE.sub(lambda m: "x" * len(m.group(0)), text)  # headings outside examples
    headings = [(m.start(), m.group(1).strip()) for m in _HEADING.finditer(outside)]
    examples = []
    for m in _EXAMPLE.finditer(text):
        section = next((h for pos, h in reversed(headings) if pos < m.start()), "")
        examples.append((section, m.group(2).replace("\u2192", "\t"), m.group(1) or ""))
    return examples


def _venv_readmes() -> list[tuple[str, str]]:
    """Long descriptions of installed packages that declare themselves Markdown."""
    found = []
    for site in sorted(p for p in sys.path if p.endswith("site-packages")):
        for meta in sorted(Path(site).glob("*.dist-info/METADATA")):
            raw = meta.read_text(encoding="utf-8", errors="replace")
            head, _, body = raw.partition("\n\n")
            if re.search(r"^Description-Content-Type: text/markdown", head, re.M | re.I):
                found.append((f"pypi:{meta.parent.name}", body))
    return found


def _file_docs() -> list[tuple[str, str]]:
    """Markdown READMEs and docs of installed Node packages and Debian packages."""
    roots = [Path("/usr/lib/node_modules"), Path("/usr/share/doc")]
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.md")) if root.is_dir() else ():
            if re.search(r"license|licence|changelog|history", path.name, re.I):
                continue
            if "/doc/nodejs/api/" in str(path):  # 140 pages of one API reference: one style
                continue
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if 1_000 <= size <= 100_000:
                found.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
    return found


def github_documents(limit: int = 150, per_folder: int = 8) -> list[tuple[str, str]]:
    """(name, markdown) of real GitHub-style documents found on this machine, in a stable
    order: package long descriptions first, then files (at most ``per_folder`` from one
    folder, so one project's style does not dominate), up to ``limit``. YAML front matter,
    which GitHub shows as a table and the wiki as page metadata, is cut off."""
    docs = _venv_readmes() + _file_docs()
    seen, unique, folders = set(), [], Counter()
    for name, text in docs:
        folder = name.rsplit("/", 1)[0] if name.startswith("/") else "pypi"
        if text in seen or not text.strip() or folder != "pypi" and folders[folder] >= per_folder:
            continue
        seen.add(text)
        folders[folder] += 1
        unique.append((name, split_front_matter(text)[1]))
    return unique[:limit]


def github_html(text: str, extensions: bool = True) -> str:
    """cmark-gfm's HTML (raw HTML kept, as GitHub does before its own sanitizer), with
    alerts marked up as github.com marks them up (cmark-gfm leaves them as quotes) and the
    footnote section, which the wiki lays out differently, left out."""
    options = cmarkgfm.Options.CMARK_OPT_UNSAFE
    if not extensions:
        return cmarkgfm.markdown_to_html(text, options=options)
    options |= cmarkgfm.Options.CMARK_OPT_FOOTNOTES
    markup = cmarkgfm.github_flavored_markdown_to_html(text, options=options)
    markup = _FOOTNOTES.sub("", markup)
    return _ALERT.sub(_alert, markup) if "[!" in markup else markup


_FOOTNOTES = re.compile(r'<section class="footnotes".*?</section>', re.S)
_ALERT = re.compile(
    r"<blockquote>\n<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\](?:\n|(?=</p>))(.*)", re.I | re.S
)


def _alert(match: re.Match[str]) -> str:
    kind, rest = match.group(1).lower(), match.group(2)
    depth, pos = 1, 0
    for tag in re.finditer(r"<(/?)blockquote>", rest):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            pos = tag.start()
            break
    inner, after = rest[:pos], rest[pos + len("</blockquote>") :]
    inner = inner[4:] if inner.startswith("</p>") else "<p>" + inner
    return (
        f'<div class="markdown-alert markdown-alert-{kind}">\n'
        f'<p class="markdown-alert-title">{kind.capitalize()}</p>\n{inner}</div>'
        + (_ALERT.sub(_alert, after) if "[!" in after else after)
    )


class _Normalizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.text: list[str] = []
        self.skip = 0  # depth inside dropped elements
        self.pre = 0
        self.stack: list[str] = []

    def _flush(self) -> None:
        text = "".join(self.text)
        self.text = []
        if not self.pre:
            text = " ".join(text.split())
        if text:
            self.out.append(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        void = tag in ("br", "hr", "img", "input")
        if self.skip or classes & {"headerlink", "footnote", "footnote-backref", "footnotes"}:
            if not void:
                self.skip += 1
            return
        if tag == "section" or (tag == "a" and (attrs.get("href") or "").startswith("#fn")):
            self.skip += 1  # footnotes: numbered and laid out differently, not structure
            return
        if tag in ("span", "code") and self.pre:
            return
        if tag == "div" and "highlight" in classes:
            self.stack.append("")
            return
        self._flush()
        tag = _SAME_TAG.get(tag, tag)
        kept = " ".join(
            f'{k}="{unquote(html.unescape(attrs[k] or ""))}"'
            for k in _KEPT_ATTRS.get(tag, ())
            if k in attrs
        )
        if tag == "ol" and attrs.get("start") in ("1", None):
            kept = ""
        self.out.append(f"<{tag}{' ' + kept if kept else ''}>")
        if tag == "pre":
            self.pre += 1
        if not void:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("br", "hr", "img", "input"):
            return
        if self.skip:
            self.skip -= 1
            return
        if tag in ("span", "code") and self.pre:
            return
        if not self.stack:
            return
        open_tag = self.stack.pop()
        if not open_tag:  # a highlight wrapper
            return
        if open_tag == "pre":
            self.text = ["".join(self.text).rstrip("\n")]
            self.pre -= 1
        self._flush()
        self.out.append(f"</{open_tag}>")

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def normalize(sanitized: str) -> str:
    """The structure of sanitized HTML as one line per element or text run."""
    parser = _Normalizer()
    parser.feed(sanitized)
    parser.close()
    parser._flush()
    lines, out = [], parser.out
    for i, item in enumerate(out):
        if not item.startswith("<"):
            # Whitespace next to a block boundary is not something a reader sees.
            before = out[i - 1] if i else ""
            after = out[i + 1] if i + 1 < len(out) else ""
            if re.match(r"</?(\w+)", before or "<p>") and _tag(before) in _BLOCK:
                item = item.lstrip()
            if re.match(r"</?(\w+)", after or "<p>") and _tag(after) in _BLOCK:
                item = item.rstrip()
            if not item:
                continue
        lines.append(item)
    return "\n".join(lines)


def _tag(token: str) -> str:
    m = re.match(r"</?(\w+)", token)
    return m.group(1) if m else ""


def same(wiki_html: str, markdown_text: str, extensions: bool = True) -> tuple[bool, str, str]:
    """Whether the wiki's HTML has the structure cmark-gfm gives ``markdown_text``; and both
    normalised forms."""
    ours = normalize(wiki_html)
    theirs = normalize(sanitize_html(github_html(markdown_text, extensions)))
    return ours == theirs, ours, theirs
