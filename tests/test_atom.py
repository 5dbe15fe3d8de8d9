"""Atom feeds (wiki.text.atom): well-formed, escaped, with the elements RFC 4287 requires."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone

from wiki.text.atom import Feed, FeedEntry, build_feed, rfc3339, xml_text

A = "{http://www.w3.org/2005/Atom}"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _feed(entries=(), **kwargs) -> Feed:
    values = {
        "id": "http://wiki/recent.atom",
        "title": "Recent changes",
        "self_link": "http://wiki/recent.atom",
        "alternate_link": "http://wiki/recent",
        "updated": T0,
        "entries": entries,
    }
    values.update(kwargs)
    return Feed(**values)


def _entry(n: int, **kwargs) -> FeedEntry:
    values = {
        "id": f"tag:wiki,2024-05-01:revision/{n}",
        "title": f"Page {n}",
        "link": f"http://wiki/diff/Page?to={n}",
        "updated": T0 + timedelta(minutes=n),
        "author": "bob",
    }
    values.update(kwargs)
    return FeedEntry(**values)


def test_feed_has_required_elements_in_the_atom_namespace():
    root = ET.fromstring(build_feed(_feed([_entry(1), _entry(2)], subtitle="All edits")))
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}id") == "http://wiki/recent.atom"
    assert root.findtext(f"{A}title") == "Recent changes"
    assert root.findtext(f"{A}subtitle") == "All edits"
    assert root.findtext(f"{A}updated") == "2024-05-01T12:02:00Z"  # the newest entry
    rels = [link.get("rel") for link in root.findall(f"{A}link")]
    assert rels == ["self", "alternate"]
    entries = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}id") for e in entries] == [
        "tag:wiki,2024-05-01:revision/1",
        "tag:wiki,2024-05-01:revision/2",
    ]
    assert entries[0].find(f"{A}author").findtext(f"{A}name") == "bob"
    assert entries[0].find(f"{A}summary") is None  # no summary given


def test_feed_without_entries_uses_its_own_updated_time():
    root = ET.fromstring(build_feed(_feed()))
    assert root.findtext(f"{A}updated") == "2024-05-01T12:00:00Z"
    assert root.findall(f"{A}entry") == []


def test_values_are_escaped_and_round_trip():
    nasty = "<script>alert('x')</script> & \"quotes\" ]]>"
    data = build_feed(_feed([_entry(1, title=nasty, summary=nasty, link="http://w/d?a=1&b=<2>")]))
    assert b"<script>" not in data
    entry = ET.fromstring(data).find(f"{A}entry")
    assert entry.findtext(f"{A}title") == nasty and entry.findtext(f"{A}summary") == nasty
    assert entry.find(f"{A}link").get("href") == "http://w/d?a=1&b=<2>"


def test_characters_xml_cannot_carry_are_dropped():
    assert xml_text("a\x00b\x07c\x1fd\ufffe\ud800e\tf\ng😀") == "abcde\tf\ng😀"
    root = ET.fromstring(build_feed(_feed([_entry(1, summary="bell\x07", author="x\x01y")])))
    entry = root.find(f"{A}entry")
    assert entry.findtext(f"{A}summary") == "bell"
    assert entry.find(f"{A}author").findtext(f"{A}name") == "xy"


def test_empty_author_becomes_unknown():
    entry = ET.fromstring(build_feed(_feed([_entry(1, author="")]))).find(f"{A}entry")
    assert entry.find(f"{A}author").findtext(f"{A}name") == "unknown"


def test_rfc3339_is_utc_with_z():
    assert rfc3339(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"
    plus_two = timezone(timedelta(hours=2))
    assert rfc3339(datetime(2024, 1, 2, 3, 4, 5, tzinfo=plus_two)) == "2024-01-02T01:04:05Z"


def test_output_is_utf8_with_declaration():
    data = build_feed(_feed([_entry(1, title="Ünïcødé — 日本")]))
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert "Ünïcødé — 日本".encode() in data
