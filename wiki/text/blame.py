"""Blame: for each line of a revision, the revision that last changed it.

Blame is built incrementally, one revision from the previous one's blame, with the
same bounded line diff as :mod:`wiki.text.diffing`, so long histories stay cheap and each
revision's blame can be cached (see :func:`to_json`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wiki.text.diffing import line_opcodes, split_lines

_FORMAT_VERSION = 1


@dataclass(frozen=True)
class BlameLine:
    """Line ``line_no`` (1-based) with ``text``, last changed in revision ``rev``."""

    line_no: int
    text: str
    rev: int


def blame_step(prev: Sequence[BlameLine] | None, new_body: str, rev: int) -> list[BlameLine]:
    """Blame revision ``rev`` (body ``new_body``) from the blame of the revision before it.

    Lines the diff shows as unchanged keep their previous revision; inserted and
    changed lines get ``rev``. ``prev=None`` means ``rev`` is the first revision. Line
    endings are normalised (CRLF/CR count as LF); a moved block counts as changed.
    """
    new_lines = split_lines(new_body)
    revs = [rev] * len(new_lines)
    if prev:
        ops, _ = line_opcodes([line.text for line in prev], new_lines)
        for tag, i1, _, j1, j2 in ops:
            if tag == "equal":
                revs[j1:j2] = [prev[i].rev for i in range(i1, i1 + j2 - j1)]
    return [
        BlameLine(n, text, r) for n, (text, r) in enumerate(zip(new_lines, revs, strict=True), 1)
    ]


def blame_history(bodies: Iterable[tuple[int, str]]) -> list[BlameLine]:
    """Blame the last of ``(rev, body)`` pairs, given oldest first; ``[]`` if there are none."""
    blame: list[BlameLine] | None = None
    for rev, body in bodies:
        blame = blame_step(blame, body, rev)
    return blame or []


def to_json(lines: Sequence[BlameLine]) -> str:
    """Serialise a blame compactly: the texts plus run-length encoded revision numbers."""
    runs: list[list[int]] = []
    for line in lines:
        if runs and runs[-1][0] == line.rev:
            runs[-1][1] += 1
        else:
            runs.append([line.rev, 1])
    payload = {"v": _FORMAT_VERSION, "text": [line.text for line in lines], "revs": runs}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def from_json(data: str) -> list[BlameLine]:
    """Load a blame written by :func:`to_json`.

    :raises ValueError: if ``data`` is not a blame in this format (e.g. a stale cache).
    """
    try:
        payload = json.loads(data)
        if payload["v"] != _FORMAT_VERSION:
            raise ValueError(f"unknown blame format version {payload['v']!r}")
        texts = payload["text"]
        revs = [int(rev) for rev, count in payload["revs"] for _ in range(int(count))]
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a cached blame: {error}") from error
    if len(revs) != len(texts) or not all(isinstance(text, str) for text in texts):
        raise ValueError("not a cached blame: texts and revisions do not match")
    return [
        BlameLine(n, text, rev) for n, (text, rev) in enumerate(zip(texts, revs, strict=True), 1)
    ]
