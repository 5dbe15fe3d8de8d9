"""The operations of an OpenAPI document, as the renderer and the comparison both see them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from wiki.rendering.openapi.loading import OpenAPIError
from wiki.rendering.openapi.refs import Resolver

METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
_PATH_PARAM = re.compile(r"\{[^{}/]*\}")


@dataclass(frozen=True)
class Operation:
    method: str  # lower case
    path: str
    spec: dict[str, Any]
    parameters: tuple[dict[str, Any], ...]  # path-level ones merged in, references resolved
    tag: str

    @property
    def key(self) -> str:
        """``GET /books/{}``: the same operation when only a path parameter was renamed."""
        return f"{self.method.upper()} {_PATH_PARAM.sub('{}', self.path)}"

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _parameters(resolver: Resolver, *lists: Any) -> tuple[dict[str, Any], ...]:
    """Parameters by (in, name), later lists overriding earlier ones (operation over path)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for items in lists:
        for item in items if isinstance(items, list) else ():
            try:
                param = resolver.deref(item)[0]
            except OpenAPIError:
                continue
            if isinstance(param, dict):
                merged[(str(param.get("in")), str(param.get("name")))] = param
    return tuple(merged.values())


def iter_operations(document: dict[str, Any], resolver: Resolver) -> Iterator[Operation]:
    """Every operation, in document order, with its first tag (or "Other")."""
    paths = document.get("paths")
    for path, item in paths.items() if isinstance(paths, dict) else ():
        try:
            item = resolver.deref(item)[0]
        except OpenAPIError:
            continue
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            spec = item.get(method)
            if not isinstance(spec, dict):
                continue
            tags = spec.get("tags")
            tag = str(tags[0]) if isinstance(tags, list) and tags else "Other"
            params = _parameters(resolver, item.get("parameters"), spec.get("parameters"))
            yield Operation(method, str(path), spec, params, tag)


def count_operations(document: dict[str, Any]) -> int:
    """How many operations the document has, without resolving anything."""
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return 0
    return sum(
        sum(1 for m in METHODS if isinstance(item.get(m), dict))
        for item in paths.values()
        if isinstance(item, dict)
    )
