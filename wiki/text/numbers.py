"""Whole numbers typed by people: revision numbers, page numbers, base revisions."""

from __future__ import annotations


def whole_number(value: str | None, *, max_digits: int = 9, minimum: int = 1) -> int | None:
    """``value`` as a whole number of at least ``minimum``; None when it is empty.

    Only ASCII digits count (``"²"`` passes ``str.isdigit`` but is no number), and at most
    ``max_digits`` of them, so no one can make the server parse a million-digit integer.

    :raises ValueError: anything else.
    """
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > max_digits:
        raise ValueError(value)
    if int(value) < minimum:
        raise ValueError(value)
    return int(value)
