"""The tree walker bleach's sanitizer reads the parsed page through: html5lib's, without its
quadratic step.

html5lib's etree walker climbs back to a parent by looking its element up among the
grandparent's children (``list(parents[-1]).index(parent)``, after a ``count``), so closing an
element costs time in proportion to its siblings: a page's top level holds hundreds of blocks,
and walking a 50 KB README took ~12 ms of the sanitizer's ~55. It also reads each element's
details twice (going in and coming out). :class:`ElementWalker` visits the same nodes in the
same order with a stack of child iterators and yields the same tokens, made by the same
methods (tests/test_render_speedups.py compares the two token streams).
"""

from __future__ import annotations

from collections import OrderedDict

from bleach import html5lib_shim
from bleach._vendor.html5lib.constants import namespaces, voidElements
from bleach._vendor.html5lib.treewalkers import base

_HTML = namespaces["html"]
EtreeWalker = html5lib_shim.getTreeWalker("etree")
_SPECIAL_TAGS = frozenset({"DOCUMENT_ROOT", "DOCUMENT_FRAGMENT", "<!DOCTYPE>"})


class ElementWalker(EtreeWalker):
    """html5lib's etree walker (``getTreeWalker("etree")``), token for token."""

    def getNodeDetails(self, node):  # noqa: N802 - html5lib's name
        """html5lib's, without its regex for element and attribute names that carry no
        namespace (``{...}`` in front): all of them, in a fragment bleach parsed."""
        tag = getattr(node, "tag", None)
        if type(tag) is not str or tag[:1] == "{" or tag in _SPECIAL_TAGS:
            return super().getNodeDetails(node)
        attributes = OrderedDict()
        for name, value in node.attrib.items():
            if name[:1] == "{":
                return super().getNodeDetails(node)
            attributes[(None, name)] = value
        return (base.ELEMENT, None, tag, attributes, len(node) or node.text)

    def __iter__(self):
        root = self.tree
        if not hasattr(root, "tag") or self.getNodeDetails(root)[0] != base.DOCUMENT:
            yield from super().__iter__()  # (bleach always walks a fragment's root)
            return
        if root.text:
            yield from self.text(root.text)
        # (children left to visit, the end tag to yield after them, whose tail follows it)
        stack = [(iter(root), None, None)]
        while stack:
            children, end, parent = stack[-1]
            node = next(children, None)
            if node is None:
                stack.pop()
                if parent is None:
                    continue  # the root: no end tag, its tail is not walked
                if end is not None:
                    yield end
                if parent.tail:
                    yield from self.text(parent.tail)
                continue
            details = self.getNodeDetails(node)
            kind = details[0]
            if kind == base.ELEMENT:
                _, namespace, name, attributes, has_children = details
                if (not namespace or namespace == _HTML) and name in voidElements:
                    yield from self.emptyTag(namespace, name, attributes, has_children)
                else:
                    yield self.startTag(namespace, name, attributes)
                    end = self.endTag(namespace, name)
                    if has_children:
                        if node.text:
                            yield from self.text(node.text)
                        stack.append((iter(node), end, node))
                        continue
                    yield end
            elif kind == base.COMMENT:
                yield self.comment(details[1])
            elif kind == base.DOCTYPE:
                yield self.doctype(*details[1:])
            elif kind == base.DOCUMENT:  # (never below the root; walked as html5lib does)
                if node.text:
                    yield from self.text(node.text)
                stack.append((iter(node), None, node))
                continue
            else:
                yield self.unknown(details[0])
            if node.tail:
                yield from self.text(node.tail)
