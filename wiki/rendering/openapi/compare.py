"""What changed in an API between two page bodies: operations, parameters, schema fields.

Pure module. A change is *breaking* when a client written against the old document can fail
against the new one: an operation or a response field removed, a new required parameter or
request field, a narrowed type or enum, a changed or removed status code. Breaking changes
come first. Requests and responses are compared in opposite directions: a client sends
requests (the server must accept no less) and reads responses (the server must send no less).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wiki.rendering.openapi.blocks import openapi_blocks
from wiki.rendering.openapi.html import load_block
from wiki.rendering.openapi.loading import OpenAPIError
from wiki.rendering.openapi.operations import Operation, count_operations, iter_operations
from wiki.rendering.openapi.refs import Resolver
from wiki.rendering.openapi.schema_html import merged_schema, schema_types
from wiki.text.api_summary import summary_text

MAX_OPERATIONS = 10_000
MAX_CHANGES = 1_000  # listed (breaking ones first); more are counted
MAX_FOUND = 100_000  # kept in memory while comparing; more are only counted
MAX_DEPTH = 20


class CompareTimeout(Exception):
    """The comparison ran past its deadline (see :func:`compare_bodies`)."""


def might_have_api(body: str | None) -> bool:
    """A cheap test before any parsing: only a body with "openapi" can hold a block."""
    return bool(body) and "openapi" in body


@dataclass(frozen=True)
class Change:
    operation: str  # "GET /books/{id}", or "" for the document
    where: str  # "query parameter page", "response 200", "request body" …
    message: str
    breaking: bool

    @property
    def text(self) -> str:
        place = f"{self.where}: " if self.where else ""
        return f"{place}{self.message}"


@dataclass(frozen=True)
class ApiChanges:
    """The changes, breaking ones first; ``problems`` says which documents could not be read."""

    changes: tuple[Change, ...] = ()
    problems: tuple[str, ...] = ()
    more: int = 0  # changes found beyond :data:`MAX_CHANGES`
    more_breaking: int = 0  # how many of those are breaking
    has_api: bool = False  # either body holds an ```openapi block

    @property
    def breaking(self) -> int:
        return sum(1 for c in self.changes if c.breaking) + self.more_breaking

    @property
    def total(self) -> int:
        return len(self.changes) + self.more

    @property
    def summary(self) -> str:
        """:func:`summary_text` of these changes."""
        return summary_text(self.breaking, self.total)


@dataclass
class _Side:
    operations: dict[str, tuple[Operation, Resolver]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _check(deadline: float | None) -> None:
    """:raises CompareTimeout: past ``deadline`` (a :func:`time.monotonic` value)."""
    if deadline is not None and time.monotonic() > deadline:
        raise CompareTimeout


def _side(
    body: str, name: str, attachments: Mapping[str, str] | None, deadline: float | None
) -> _Side:
    side = _Side()
    for number, block in enumerate(openapi_blocks(body), 1):
        _check(deadline)
        source = block.text
        try:
            document = load_block(source, attachments)
            if count_operations(document) > MAX_OPERATIONS:
                raise OpenAPIError(f"more than {MAX_OPERATIONS:,} operations to compare")
        except OpenAPIError as error:
            side.problems.append(f"{name} revision, API block {number}: {error.message}")
            continue
        resolver = Resolver(document)
        for op in iter_operations(document, resolver):
            side.operations.setdefault(op.key, (op, resolver))
    return side


def compare_bodies(
    old_body: str,
    new_body: str,
    attachments: Mapping[str, str] | None = None,
    *,
    deadline: float | None = None,
) -> ApiChanges:
    """The API changes between the ```openapi blocks of two page bodies (operations of all
    blocks of a body count as one API).

    ``deadline`` (a :func:`time.monotonic` value) is checked between blocks and operations,
    so a caller that cannot wait (a save) gives up soon after it.
    :raises CompareTimeout: past ``deadline``.
    """
    if not (might_have_api(old_body) or might_have_api(new_body)):
        return ApiChanges()
    old = _side(old_body, "old", attachments, deadline)
    new = _side(new_body, "new", attachments, deadline)
    has_api = bool(openapi_blocks(old_body) or openapi_blocks(new_body))
    result = _compare(old.operations, new.operations, deadline)
    return ApiChanges(
        changes=result.changes,
        problems=(*old.problems, *new.problems),
        more=result.more,
        more_breaking=result.more_breaking,
        has_api=has_api,
    )


def compare_documents(old: dict[str, Any], new: dict[str, Any]) -> ApiChanges:
    """The API changes between two loaded documents."""
    sides = []
    for document in (old, new):
        resolver = Resolver(document)
        sides.append({op.key: (op, resolver) for op in iter_operations(document, resolver)})
    return _compare(*sides)


def _compare(old: dict, new: dict, deadline: float | None = None) -> ApiChanges:
    found = _Found()
    for key, (op, _) in old.items():
        if key not in new:
            found.add(op.label, "", "operation removed", True)
    for key, (op, _) in new.items():
        if key not in old:
            found.add(op.label, "", "operation added", False)
    for key, (old_op, old_resolver) in old.items():
        if key in new:
            _check(deadline)
            new_op, new_resolver = new[key]
            _OperationDiff(found, old_resolver, new_resolver, new_op.label).run(old_op, new_op)
    ordered = sorted(found.changes, key=lambda c: not c.breaking)  # stable: document order
    rest = ordered[MAX_CHANGES:]
    return ApiChanges(
        changes=tuple(ordered[:MAX_CHANGES]),
        more=found.more + len(rest),
        more_breaking=found.more_breaking + sum(1 for c in rest if c.breaking),
        has_api=True,
    )


class _Found:
    def __init__(self) -> None:
        self.changes: list[Change] = []
        self.more = 0
        self.more_breaking = 0

    def add(self, operation: str, where: str, message: str, breaking: bool) -> None:
        if len(self.changes) >= MAX_FOUND:
            self.more += 1
            self.more_breaking += breaking
        else:
            self.changes.append(Change(operation, where, message, breaking))


def _names(value: Any) -> set[str]:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def _type_text(types: set[str]) -> str:
    return " | ".join(sorted(types)) or "any"


def _covers(wide: set[str], narrow: set[str]) -> bool:
    """True when every type in ``narrow`` is also allowed by ``wide`` (integers are numbers)."""
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


class _OperationDiff:
    def __init__(self, found: _Found, old: Resolver, new: Resolver, label: str) -> None:
        self.found, self.old, self.new, self.label = found, old, new, label

    def add(self, where: str, message: str, breaking: bool) -> None:
        self.found.add(self.label, where, message, breaking)

    def run(self, old: Operation, new: Operation) -> None:
        if new.spec.get("deprecated") is True and old.spec.get("deprecated") is not True:
            self.add("", "deprecated", False)
        self._parameters(old.parameters, new.parameters)
        self._request_body(old.spec.get("requestBody"), new.spec.get("requestBody"))
        self._responses(old.spec.get("responses"), new.spec.get("responses"))

    def _parameters(self, old: tuple, new: tuple) -> None:
        old_by = {(str(p.get("in")), str(p.get("name"))): p for p in old}
        new_by = {(str(p.get("in")), str(p.get("name"))): p for p in new}
        for key, param in new_by.items():
            where = f"{key[0]} parameter {key[1]}"
            if key not in old_by:
                required = param.get("required") is True
                self.add(where, "new required parameter" if required else "added", required)
                continue
            before = old_by[key]
            if param.get("required") is True and before.get("required") is not True:
                self.add(where, "now required", True)
            self.schema(before.get("schema"), param.get("schema"), where, "request", 0, set())
        for key in old_by.keys() - new_by.keys():
            self.add(f"{key[0]} parameter {key[1]}", "removed", False)

    def _request_body(self, old: Any, new: Any) -> None:
        old = self.old.resolve(old) if old is not None else None
        new = self.new.resolve(new) if new is not None else None
        if not isinstance(new, dict):
            if isinstance(old, dict):
                self.add("request body", "removed", False)
            return
        if not isinstance(old, dict):
            required = new.get("required") is True
            self.add("request body", "new required body" if required else "added", required)
            return
        if new.get("required") is True and old.get("required") is not True:
            self.add("request body", "now required", True)
        self._content(old.get("content"), new.get("content"), "request body", "request")

    def _content(self, old: Any, new: Any, where: str, direction: str) -> None:
        old = old if isinstance(old, dict) else {}
        new = new if isinstance(new, dict) else {}
        for media in old.keys() - new.keys():
            self.add(f"{where} {media}", "media type removed", True)
        for media in new.keys() - old.keys():
            self.add(f"{where} {media}", "media type added", False)
        for media in old.keys() & new.keys():
            old_media, new_media = old[media], new[media]
            if isinstance(old_media, dict) and isinstance(new_media, dict):
                self.schema(
                    old_media.get("schema"), new_media.get("schema"), where, direction, 0, set()
                )

    def _responses(self, old: Any, new: Any) -> None:
        old = old if isinstance(old, dict) else {}
        new = new if isinstance(new, dict) else {}
        removed = [c for c in old if c not in new]
        added = [c for c in new if c not in old]
        old_ok = [c for c in removed if str(c).startswith("2")]
        new_ok = [c for c in added if str(c).startswith("2")]
        if old_ok and new_ok:  # 200 became 201: one change, not a removal and an addition
            self.add("responses", f"status code changed from {old_ok[0]} to {new_ok[0]}", True)
            removed.remove(old_ok[0])
            added.remove(new_ok[0])
        for code in removed:
            self.add(f"response {code}", "status code removed", True)
        for code in added:
            self.add(f"response {code}", "status code added", False)
        for code in old.keys() & new.keys():
            before, after = self.old.resolve(old[code]), self.new.resolve(new[code])
            if isinstance(before, dict) and isinstance(after, dict):
                self._content(
                    before.get("content"), after.get("content"), f"response {code}", "response"
                )

    def schema(self, old: Any, new: Any, where: str, direction: str, depth: int, seen: set) -> None:
        """Compare two schemas; ``seen`` holds pairs on the way here, so cycles stop."""
        old, new = self.old.resolve(old), self.new.resolve(new)
        if not isinstance(old, dict) or not isinstance(new, dict) or depth > MAX_DEPTH:
            return
        pair = (id(old), id(new))
        if pair in seen:
            return
        seen = seen | {pair}
        old, new = merged_schema(old, self.old), merged_schema(new, self.new)
        request = direction == "request"
        old_types, new_types = set(schema_types(old)), set(schema_types(new))
        if old_types and new_types and old_types != new_types:
            # What a client may send must not shrink; what it may receive must not grow.
            sent, got = (old_types, new_types) if request else (new_types, old_types)
            ok = _covers(got, sent)
            if _covers(new_types, old_types):
                verb = "widened"
            elif _covers(old_types, new_types):
                verb = "narrowed"
            else:
                verb = "changed"
            text = f"type {verb} from {_type_text(old_types)} to {_type_text(new_types)}"
            self.add(where, text, not ok)
        self._enum(old.get("enum"), new.get("enum"), where, request)
        old_props = old.get("properties") if isinstance(old.get("properties"), dict) else {}
        new_props = new.get("properties") if isinstance(new.get("properties"), dict) else {}
        old_req = _names(old.get("required"))
        new_req = _names(new.get("required"))
        for name in old_props:
            field_where = f"{where} › {name}"
            if name not in new_props:
                self.add(
                    field_where,
                    "field removed" if not request else "field no longer accepted",
                    not request,
                )
                continue
            if request and name in new_req and name not in old_req:
                self.add(field_where, "field now required", True)
            if not request and name in old_req and name not in new_req:
                self.add(field_where, "field no longer always present", True)
            self.schema(old_props[name], new_props[name], field_where, direction, depth + 1, seen)
        for name in new_props:
            if name not in old_props:
                required = request and name in new_req
                self.add(
                    f"{where} › {name}",
                    "new required field" if required else "field added",
                    required,
                )
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.schema(old["items"], new["items"], f"{where} › []", direction, depth + 1, seen)

    def _enum(self, old: Any, new: Any, where: str, request: bool) -> None:
        if not isinstance(new, list):
            return
        new_values = {json.dumps(v, sort_keys=True) for v in new}
        if not isinstance(old, list):
            self.add(where, "now limited to listed values", request)
            return
        old_values = {json.dumps(v, sort_keys=True) for v in old}
        if gone := sorted(old_values - new_values):
            self.add(where, f"enum narrowed: {', '.join(gone)} removed", request)
        if extra := sorted(new_values - old_values):
            self.add(where, f"enum widened: {', '.join(extra)} added", False)
