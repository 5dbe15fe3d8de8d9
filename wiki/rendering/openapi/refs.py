"""Following ``$ref`` inside one OpenAPI document, with cycles detected rather than followed.

Pure module. Only references inside the document (``#/components/schemas/Book``) are read;
anything else was either resolved by the caller beforehand (a page attachment) or refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from wiki.rendering.openapi.loading import OpenAPIError

MAX_CHAIN = 50  # a $ref to a $ref to a $ref…


def _pointer_parts(ref: str) -> list[str]:
    """The keys of a JSON pointer fragment (``#/a/b~1c`` -> ``["a", "b/c"]``)."""
    pointer = unquote(ref[1:])
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise OpenAPIError(f"“{ref}” is not a JSON pointer (it should start with #/)")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def ref_name(ref: str) -> str:
    """A short name for a reference: its last key (``#/components/schemas/Book`` -> ``Book``)."""
    return ref.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~") or ref


def iter_refs(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every ``$ref`` string in ``value`` with the path of keys that leads to it."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield where, ref
            stack.extend((v, (*where, str(k))) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*where, str(i))) for i, v in enumerate(node))


class Resolver:
    """Looks up internal references of one document; results are cached by reference."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._cache: dict[str, Any] = {}

    def lookup(self, ref: str) -> Any:
        """The value ``ref`` points at. :raises OpenAPIError: not internal or not found."""
        if ref in self._cache:
            return self._cache[ref]
        if not ref.startswith("#"):
            raise OpenAPIError(f"the reference “{ref}” points outside this document")
        node: Any = self.document
        for part in _pointer_parts(ref):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise OpenAPIError(f"the reference “{ref}” points at nothing")
        self._cache[ref] = node
        return node

    def deref(self, value: Any) -> tuple[Any, str | None]:
        """``(target, name)``: ``value`` itself when it is no reference (name None), else what
        its chain of references ends at and the name of the first one.

        :raises OpenAPIError: a broken reference or a chain that loops.
        """
        name = None
        seen: set[str] = set()
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            if ref in seen or len(seen) > MAX_CHAIN:
                raise OpenAPIError(f"the reference “{ref}” refers to itself")
            seen.add(ref)
            name = name or ref
            value = self.lookup(ref)
        return value, name

    def resolve(self, value: Any) -> Any:
        """Like :meth:`deref`, but a broken reference gives an empty mapping."""
        try:
            return self.deref(value)[0]
        except OpenAPIError:
            return {}
