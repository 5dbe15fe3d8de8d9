"""Inline and tree pieces of the GitHub extension (see :mod:`wiki.rendering.gfm`).

Pure module: reference labels holding code, the backslash line break, and alerts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.inlinepatterns import (
    ImageReferenceInlineProcessor,
    InlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markdown.treeprocessors import Treeprocessor
from markdown.util import INLINE_PLACEHOLDER_RE

_ALERT = re.compile(r"\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*(?:\n|\Z)", re.I)
ALERT_KINDS = ("note", "tip", "important", "warning", "caution")


class _CodeLabelMixin:
    """Reference labels holding code (``[`git-node`][]``): look them up by their source text,
    backticks included, as the definition ``[`git-node`]: url`` names them."""

    def evalId(self, data, index, text):  # noqa: N802
        id_, end, handled = super().evalId(data, index, text)
        if id_ and "\x02" in id_:
            id_ = INLINE_PLACEHOLDER_RE.sub(self._label_text, id_)
        return id_, end, handled

    def _label_text(self, match: re.Match[str]) -> str:
        node = self.md.treeprocessors["inline"].stashed_nodes.get(match.group(1))
        if isinstance(node, str):
            return node
        if node is None:
            return ""
        text = "".join(node.itertext())
        return f"`{text}`" if node.tag == "code" else text.lower()


class Reference(_CodeLabelMixin, ReferenceInlineProcessor):
    pass


class ShortReference(_CodeLabelMixin, ShortReferenceInlineProcessor):
    pass


class ImageReference(_CodeLabelMixin, ImageReferenceInlineProcessor):
    pass


class ShortImageReference(_CodeLabelMixin, ShortImageReferenceInlineProcessor):
    pass


class HardBreak(InlineProcessor):
    """A backslash at the end of a line is a line break, as in CommonMark."""

    def handleMatch(self, m, data):  # noqa: N802
        return etree.Element("br"), m.start(0), m.end(0)


class Alerts(Treeprocessor):
    """``> [!NOTE]`` quotes become ``<div class="markdown-alert markdown-alert-note">``
    callouts with a title, as GitHub marks them up."""

    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            for i, quote in enumerate(parent):
                if quote.tag != "blockquote" or not len(quote) or quote[0].tag != "p":
                    continue
                first = quote[0]
                match = _ALERT.match(first.text or "")
                if match is None:
                    continue
                kind = match.group(1).lower()
                first.text = first.text[match.end() :]
                if not first.text and not len(first):
                    quote.remove(first)
                callout = etree.Element("div", {"class": f"markdown-alert markdown-alert-{kind}"})
                title = etree.SubElement(callout, "p", {"class": "markdown-alert-title"})
                title.text = kind.capitalize()
                callout.extend(list(quote))
                callout.tail = quote.tail
                parent[i] = callout
