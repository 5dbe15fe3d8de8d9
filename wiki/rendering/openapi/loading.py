"""Reading an OpenAPI document from YAML or JSON text, safely and in bounded time.

Pure module. YAML is read with the safe loader only (no Python objects), and the node graph
is measured *before* it is built, so a few lines of aliases (a "billion laughs" document)
cannot expand into gigabytes, and a recursive alias cannot make a structure that never ends.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import yaml

MAX_SOURCE_CHARS = 2 * 1024 * 1024  # the page body limit is 1 MiB; attachments may be larger
MAX_NODES = 400_000  # values after alias expansion; a 1 MB document has about 100,000
MAX_DEPTH = 100  # nesting of mappings and lists

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class OpenAPIError(ValueError):
    """A document that cannot be shown as an API reference.

    ``location`` says where, as a path of keys (``paths › /books › get``), or a line number.
    """

    def __init__(self, message: str, location: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __reduce__(self):  # keep ``location`` across process boundaries
        return (type(self), (self.message, self.location))


def _expanded_size(node: yaml.Node, memo: dict[int, int], active: set[int], depth: int) -> int:
    """How many values ``node`` becomes once every alias is expanded.

    :raises OpenAPIError: a recursive alias, nesting over :data:`MAX_DEPTH`, or a size over
        :data:`MAX_NODES` (checked as it grows, so the count itself stays cheap).
    """
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise OpenAPIError("a YAML alias refers to itself (a recursive structure)", _line(node))
    if depth > MAX_DEPTH:
        raise OpenAPIError(f"values are nested more than {MAX_DEPTH} levels deep", _line(node))
    size = 1
    if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
        active.add(key)
        children = node.value if isinstance(node, yaml.SequenceNode) else node.value
        for child in children:
            for part in child if isinstance(child, tuple) else (child,):
                size += _expanded_size(part, memo, active, depth + 1)
                if size > MAX_NODES:
                    raise OpenAPIError(
                        f"the document expands to more than {MAX_NODES:,} values"
                        " (YAML aliases repeat parts of it)",
                        _line(node),
                    )
        active.discard(key)
    memo[key] = size
    return size


def _line(node: yaml.Node) -> str:
    mark = getattr(node, "start_mark", None)
    return f"line {mark.line + 1}" if mark is not None else ""


def _plain(value: Any, depth: int = 0) -> Any:
    """JSON types only: mapping keys become text (YAML reads ``200:`` as a number), dates
    become ISO strings."""
    if depth > MAX_DEPTH:
        raise OpenAPIError(f"values are nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        return {_key(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return key if isinstance(key, str) else str(key)


def _load_yaml(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, set(), 0)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_document(text: str) -> dict[str, Any]:
    """The document in ``text`` (JSON, or YAML read with the safe loader) as plain JSON types.

    :raises OpenAPIError: too large, not YAML/JSON (with the line), aliases expanding past
        :data:`MAX_NODES`, nesting past :data:`MAX_DEPTH`, or not a mapping.
    """
    if len(text) > MAX_SOURCE_CHARS:
        raise OpenAPIError(
            f"the document is {len(text):,} characters; the limit is {MAX_SOURCE_CHARS:,}"
        )
    try:
        if text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            data = _load_yaml(text)
        data = _plain(data)
    except json.JSONDecodeError as error:
        raise OpenAPIError(f"not valid JSON: {error.msg}", f"line {error.lineno}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise OpenAPIError(f"not valid YAML: {error.problem or error}", where) from None
    except yaml.YAMLError as error:
        raise OpenAPIError(f"not valid YAML: {error}") from None
    except RecursionError:
        raise OpenAPIError(f"values are nested more than {MAX_DEPTH} levels deep") from None
    if not isinstance(data, dict):
        raise OpenAPIError("the document must be a mapping (it should start with `openapi: 3.1.0`)")
    return data
