"""The one wording of what an edit did to a page's API: ``API: 2 breaking changes``.

Recent changes and the feed (through :class:`wiki.rendering.openapi.ApiChanges`), and the
notifications with their mail and webhook messages (from the counts their event carries) all
say it this way. Pure, and in ``wiki.text`` so that ``wiki.notify`` may use it too.
"""

from __future__ import annotations


def summary_text(breaking: int, total: int) -> str:
    """``API: 2 breaking changes`` (or ``API: 3 changes``); empty when nothing changed."""
    if breaking:
        return f"API: {breaking} breaking change{'s' if breaking != 1 else ''}"
    return f"API: {total} change{'s' if total != 1 else ''}" if total else ""
