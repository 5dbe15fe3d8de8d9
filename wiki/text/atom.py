"""Atom 1.0 feeds (RFC 4287), built with ElementTree so every value is escaped.

Plain data in, UTF-8 bytes out; no Flask. Characters XML 1.0 forbids (most C0 controls,
lone surrogates, U+FFFE/U+FFFF) are dropped from all text, since one of them in an edit
summary would otherwise make the whole feed unreadable to every feed reader.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class FeedEntry:
    """One entry; ``id`` must be a permanent IRI, ``link`` where a reader goes to see it."""

    id: str
    title: str
    link: str
    updated: datetime
    author: str
    summary: str = ""


@dataclass(frozen=True)
class Feed:
    """The feed itself. ``updated`` is used only when there are no entries."""

    id: str
    title: str
    self_link: str
    alternate_link: str
    updated: datetime
    entries: Sequence[FeedEntry] = field(default_factory=tuple)
    subtitle: str = ""
    generator: str = ""


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", value)


def rfc3339(when: datetime) -> str:
    """A date-time as Atom wants it, in UTC (naive values are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _entry(parent: ET.Element, entry: FeedEntry) -> None:
    element = _add(parent, "entry")
    _add(element, "id", entry.id)
    _add(element, "title", entry.title, type="text")
    _add(element, "link", rel="alternate", type="text/html", href=entry.link)
    _add(element, "updated", rfc3339(entry.updated))
    author = _add(element, "author")
    _add(author, "name", entry.author or "unknown")
    if entry.summary:
        _add(element, "summary", entry.summary, type="text")


def build_feed(feed: Feed) -> bytes:
    """Serialise ``feed`` as a complete Atom document (UTF-8, with XML declaration).

    The feed's ``updated`` is the newest entry's, or ``feed.updated`` with no entries.
    Every entry carries its own author, so the feed needs none.
    """
    # Plain names under an explicit default namespace: ElementTree would otherwise invent
    # an "ns0:" prefix, and its default_namespace option refuses unqualified attributes.
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _add(root, "id", feed.id)
    _add(root, "title", feed.title, type="text")
    if feed.subtitle:
        _add(root, "subtitle", feed.subtitle, type="text")
    _add(root, "link", rel="self", type="application/atom+xml", href=feed.self_link)
    _add(root, "link", rel="alternate", type="text/html", href=feed.alternate_link)
    newest = max((entry.updated for entry in feed.entries), default=feed.updated)
    _add(root, "updated", rfc3339(newest))
    if feed.generator:
        _add(root, "generator", feed.generator)
    for entry in feed.entries:
        _entry(root, entry)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
