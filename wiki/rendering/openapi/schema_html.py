"""Schemas as readable nested tables: one row per property, nested objects inside their row.

Pure module. A schema that refers back to one being shown (a tree of categories) is marked
recursive, not expanded again; nesting is cut at :data:`MAX_DEPTH` and the whole document
shares a row budget, so a small document whose references fan out cannot produce a huge page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import escape
from typing import Any

from wiki.rendering.openapi.loading import OpenAPIError
from wiki.rendering.openapi.refs import Resolver, ref_name

MAX_DEPTH = 8  # nested tables inside a schema
MAX_ENUM_SHOWN = 20
SCHEMA_PREFIX = "#/components/schemas/"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")


def anchor(prefix: str, text: str) -> str:
    """A stable element id: ``h-`` (the only prefix page ids may use), ``prefix`` and a slug."""
    slug = _ID_UNSAFE.sub("-", str(text)).strip("-").lower()
    return f"h-{prefix}-{slug or 'x'}"


def schema_anchor(name: str) -> str:
    return anchor("schema", name)


def schema_types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    types = [str(t) for t in kind] if isinstance(kind, list) else [str(kind)] if kind else []
    if schema.get("nullable") is True and "null" not in types:
        types.append("null")
    return types


def merged_schema(schema: dict[str, Any], resolver: Resolver, depth: int = 0) -> dict[str, Any]:
    """``schema`` with the properties and required names of its ``allOf`` members folded in
    (members of members too, :data:`MAX_DEPTH` levels at most, so loops end)."""
    parts = schema.get("allOf")
    if not isinstance(parts, list) or depth > MAX_DEPTH:
        return schema
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    properties = dict(merged["properties"]) if isinstance(merged.get("properties"), dict) else {}
    required = list(merged["required"]) if isinstance(merged.get("required"), list) else []
    for part in parts[:50]:
        part = resolver.resolve(part)
        if not isinstance(part, dict):
            continue
        part = merged_schema(part, resolver, depth + 1)
        if isinstance(part.get("properties"), dict):
            properties.update(part["properties"])
        if isinstance(part.get("required"), list):
            required.extend(part["required"])
        for key in ("type", "description", "items"):
            if merged.get(key) is None and part.get(key) is not None:
                merged[key] = part[key]
    merged["properties"], merged["required"] = properties, required
    return merged


class SchemaHTML:
    """Renders schemas of one document; ``describe`` turns a Markdown description into HTML."""

    def __init__(
        self,
        resolver: Resolver,
        describe: Callable[[str], str],
        budget: int,
        *,
        inline_refs: bool = True,
    ) -> None:
        self.resolver = resolver
        self.describe = describe
        self.rows_left = budget
        # False: a named schema (#/components/schemas/…) met inside another one is not
        # expanded; its type label links to it in the Schemas section.
        self.inline_refs = inline_refs
        self._tables: dict[tuple[str, tuple[str, ...]], str] = {}

    def type_label(self, value: Any) -> str:
        """HTML naming the type of a (possibly referenced) schema: ``array of Book``."""
        try:
            target, ref = self.resolver.deref(value) if isinstance(value, dict) else (value, None)
        except OpenAPIError:
            return "any"
        if not isinstance(target, dict):
            return "any"
        if ref is not None:
            name = escape(ref_name(ref))
            if ref.startswith(SCHEMA_PREFIX):
                return f'<a href="#{schema_anchor(ref_name(ref))}">{name}</a>'
            return name
        types = schema_types(target)
        if "array" in types and isinstance(target.get("items"), dict):
            rest = [t for t in types if t != "array"]
            label = "array of " + self.type_label(target["items"])
            return " | ".join([label, *map(escape, rest)])
        for combiner in ("oneOf", "anyOf"):
            if isinstance(target.get(combiner), list):
                options = [self.type_label(o) for o in target[combiner][:10]]
                return " | ".join(options) or "any"
        if not types and (target.get("properties") or target.get("allOf")):
            types = ["object"]
        label = " | ".join(escape(t) for t in types) or "any"
        if isinstance(target.get("format"), str):
            label += f" ({escape(target['format'])})"
        return label

    def constraints(self, schema: dict[str, Any]) -> str:
        """Enum, default, bounds, pattern and example of a schema, as a short HTML line."""
        parts = []
        if isinstance(schema.get("enum"), list):
            values = schema["enum"]
            shown = ", ".join(
                f"<code>{escape(json.dumps(v, ensure_ascii=False))}</code>"
                for v in values[:MAX_ENUM_SHOWN]
            )
            more = (
                f" and {len(values) - MAX_ENUM_SHOWN} more" if len(values) > MAX_ENUM_SHOWN else ""
            )
            parts.append(f"one of {shown}{more}")
        for key, label in (
            ("default", "default"),
            ("minimum", "min"),
            ("maximum", "max"),
            ("minLength", "min length"),
            ("maxLength", "max length"),
            ("pattern", "pattern"),
            ("example", "example"),
        ):
            if key in schema and not isinstance(schema[key], dict | list):
                value = json.dumps(schema[key], ensure_ascii=False)[:200]
                parts.append(f"{label} <code>{escape(value)}</code>")
        flags = [f for f in ("readOnly", "writeOnly", "deprecated") if schema.get(f) is True]
        parts.extend(f'<span class="oa-flag">{f}</span>' for f in flags)
        return f'<p class="oa-constraints">{"; ".join(parts)}</p>' if parts else ""

    def table(self, value: Any, stack: tuple[str, ...] = ()) -> str:
        """The schema's properties as a table (with nested ones inside), or "" when it has
        none worth a table (a plain string, say)."""
        try:
            target, ref = self.resolver.deref(value)
        except OpenAPIError:  # validation has reported it
            return ""
        if not isinstance(target, dict):
            return ""
        if ref is not None:
            if ref in stack:
                return self._note(f"↻ {escape(ref_name(ref))} is recursive: see above.", "oa-cycle")
            if not self.inline_refs and ref.startswith(SCHEMA_PREFIX):
                return ""
            key = (ref, stack)
            if key not in self._tables:
                self._tables[key] = self.table(target, (*stack, ref))
            return self._tables[key]
        if len(stack) > MAX_DEPTH or self.rows_left <= 0:
            return self._note("… nested deeper than shown here.", "oa-more")
        target = merged_schema(target, self.resolver)
        if "array" in schema_types(target) and isinstance(target.get("items"), dict):
            inner = self.table(target["items"], stack)
            return f'<p class="oa-label">Each item:</p>{inner}' if inner else ""
        for combiner, label in (("oneOf", "One of"), ("anyOf", "Any of")):
            if isinstance(target.get(combiner), list):
                return self._options(label, target[combiner], stack)
        properties = target.get("properties")
        if not isinstance(properties, dict) or not properties:
            return ""
        listed = target.get("required") if isinstance(target.get("required"), list) else []
        required = {r for r in listed if isinstance(r, str)}
        rows = []
        for name, prop in properties.items():
            if self.rows_left <= 0:
                rows.append('<tr><td colspan="3">… more fields not shown.</td></tr>')
                break
            self.rows_left -= 1
            rows.append(self._row(str(name), prop, name in required, stack))
        return (
            '<table class="oa-schema"><thead><tr><th>Field</th><th>Type</th><th>Description</th>'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def _row(self, name: str, prop: Any, required: bool, stack: tuple[str, ...]) -> str:
        target = self.resolver.resolve(prop) if isinstance(prop, dict) else {}
        badge = ' <span class="oa-required">required</span>' if required else ""
        description = self.describe(target.get("description")) if isinstance(target, dict) else ""
        extra = self.constraints(target) if isinstance(target, dict) else ""
        nested = self.table(prop, stack)
        if nested:  # a row of its own, under the field, the table's full width
            nested = f'<tr><td colspan="3" class="oa-nested">{nested}</td></tr>'
        return (
            f'<tr><td><code>{escape(name)}</code>{badge}</td><td class="oa-type">'
            f"{self.type_label(prop)}</td><td>{description}{extra}</td></tr>{nested}"
        )

    def _options(self, label: str, options: list, stack: tuple[str, ...]) -> str:
        items = []
        for option in options[:10]:
            inner = self.table(option, stack)
            items.append(f"<li>{self.type_label(option)}{inner}</li>")
        return f'<p class="oa-label">{label}:</p><ul class="oa-choices">{"".join(items)}</ul>'

    @staticmethod
    def _note(text: str, cls: str) -> str:
        return f'<p class="{cls}">{text}</p>'
