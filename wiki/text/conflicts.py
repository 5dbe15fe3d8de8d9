"""Numbered conflict markers: the editable text of the conflict chooser.

A conflicting merge is shown as one plain text in which each conflict is written between
numbered marker lines::

    <<<<<<< conflict 1: their version (revision 5 by alice)
    their lines
    ======= conflict 1
    your lines
    >>>>>>> conflict 1: your version

The text is the single source of truth: a person may edit it freely (without JavaScript too),
and a choice per conflict (theirs / mine / both) is applied only to the blocks that are still
marked. Numbering every marker line, the separator included, keeps blocks unambiguous even
when a side contains ``=======`` (a Markdown setext heading underline).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wiki.text.merging import CHOICES, ConflictBlock

_START = re.compile(r"<<<<<<< conflict (\d{1,4})(?:: (.*))?")
_SEP = re.compile(r"======= conflict (\d{1,4})")
_END = re.compile(r">>>>>>> conflict (\d{1,4})(?:: (.*))?")
_CHOICE_FIELD = re.compile(r"choice-(\d{1,4})")
_LINE = re.compile(r"[^\n]*\n|[^\n]+$")


@dataclass(frozen=True)
class MarkedBlock:
    """A conflict still marked in the text; sides are joined lines without a final newline."""

    number: int
    theirs: str
    mine: str
    theirs_label: str
    mine_label: str


@dataclass(frozen=True)
class _Span:
    block: MarkedBlock
    first: int  # index of the start marker line
    last: int  # index of the end marker line


def _side(text: str) -> str:
    return f"{text}\n" if text else ""


def mark(
    parts: Sequence[str | ConflictBlock],
    theirs_label: str = "their version",
    mine_label: str = "your version",
) -> str:
    """Write merge ``parts`` (see :class:`wiki.text.merging.MergeResult`) with numbered markers.

    Conflicts are numbered from 1 in order. Clean parts are copied unchanged, so
    ``apply_choices(mark(parts), c)`` equals ``merging.resolve(parts, c')`` with ``c'``
    the same choices numbered from 0.
    """
    out: list[str] = []
    number = 0
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        number += 1
        out.append(
            f"<<<<<<< conflict {number}: {theirs_label}\n{_side(part.theirs)}"
            f"======= conflict {number}\n{_side(part.mine)}"
            f">>>>>>> conflict {number}: {mine_label}\n"
        )
    return "".join(out)


def _strip(line: str) -> str:
    return line.rstrip("\n")


def _lines(text: str) -> list[str]:
    """Lines with their LF endings; CRLF/CR (as browsers post textareas) become LF first."""
    return _LINE.findall(text.replace("\r\n", "\n").replace("\r", "\n"))


def _find_spans(lines: Sequence[str]) -> list[_Span]:
    """Complete marker blocks, in order; a start line without its separator and end is text."""
    spans: list[_Span] = []
    i = 0
    while i < len(lines):
        start = _START.fullmatch(_strip(lines[i]))
        span = _span_from(lines, i, start) if start else None
        if span is None:
            i += 1
            continue
        spans.append(span)
        i = span.last + 1
    return spans


def _span_from(lines: Sequence[str], first: int, start: re.Match[str]) -> _Span | None:
    number = start.group(1)
    sep = end = None
    for j in range(first + 1, len(lines)):
        line = _strip(lines[j])
        if _START.fullmatch(line):
            return None  # another block starts before this one ended
        if sep is None and (m := _SEP.fullmatch(line)) and m.group(1) == number:
            sep = j
        elif sep is not None and (m := _END.fullmatch(line)) and m.group(1) == number:
            end, mine_label = j, m.group(2) or ""
            break
    if sep is None or end is None:
        return None
    block = MarkedBlock(
        number=int(number),
        theirs="".join(lines[first + 1 : sep]).removesuffix("\n"),
        mine="".join(lines[sep + 1 : end]).removesuffix("\n"),
        theirs_label=start.group(2) or "",
        mine_label=mine_label,
    )
    return _Span(block, first, end)


def blocks(text: str) -> list[MarkedBlock]:
    """The conflicts still marked in ``text``, in order (empty when all are resolved)."""
    return [span.block for span in _find_spans(_lines(text))]


def apply_choices(text: str, choices: Mapping[int, str]) -> str:
    """Replace each marked block that has a choice with the chosen side(s).

    ``choices`` maps a conflict number (from 1) to ``"theirs"``, ``"mine"`` or ``"both"``
    (theirs, then mine). Blocks without a choice, and all other text, stay as they are,
    except that line endings become LF. A chosen side always ends with a newline.

    :raises ValueError: for a choice other than those three.
    """
    for number, choice in choices.items():
        if choice not in CHOICES:
            raise ValueError(f"conflict {number}: choice must be one of {CHOICES}")
    lines = _lines(text)
    out: list[str] = []
    done = 0
    for span in _find_spans(lines):
        choice = choices.get(span.block.number)
        if choice is None:
            continue
        out.extend(lines[done : span.first])
        sides = {"theirs": [span.block.theirs], "mine": [span.block.mine]}.get(
            choice, [span.block.theirs, span.block.mine]
        )
        out.extend(_side(side) for side in sides)
        done = span.last + 1
    out.extend(lines[done:])
    return "".join(out)


def parse_choices(form: Mapping[str, str]) -> dict[int, str]:
    """Choices from form fields ``choice-<n>``; unknown fields and values are ignored."""
    choices: dict[int, str] = {}
    for key, value in form.items():
        match = _CHOICE_FIELD.fullmatch(key)
        if match and value in CHOICES:
            choices[int(match.group(1))] = value
    return choices
