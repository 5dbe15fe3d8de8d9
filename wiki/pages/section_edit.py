"""Section editing (``/edit/<title>?section=N``): the N-th section of a page's text, and the
whole page text once an edited section is spliced back into the revision it was based on.

The spliced text then goes through the normal save path with that ``base_rev``, so three-way
merging, conflicts and drafts work exactly as for a whole-page edit. Splitting and splicing
themselves are pure (wiki.text.sections).
"""

from __future__ import annotations

from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Page, Revision
from wiki.text.sections import SectionNotFound, section_text, splice

__all__ = ["SectionNotFound", "parse_section", "section_of", "whole_body"]


def parse_section(value: str | None) -> int | None:
    """The section number of a ``section`` argument; None when absent.

    :raises SectionNotFound: for anything but a short run of ASCII digits.
    """
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and 0 < len(value) <= 6):
        raise SectionNotFound(value)
    return int(value)


def _body_at(page: Page | None, number: int | None) -> str:
    if page is None or page.deleted or not number:
        raise SectionNotFound("the page has no text yet")
    body = db.session.scalar(
        select(Revision.body).where(Revision.page_id == page.id, Revision.number == number)
    )
    if body is None:
        raise SectionNotFound(f"no revision {number}")
    return body


def section_of(page: Page | None, number: int) -> str:
    """Section ``number`` of the page's current text.

    :raises SectionNotFound: no such page, text or section.
    """
    return section_text(_body_at(page, page.current_rev if page else None), number)


def whole_body(page: Page | None, base_rev: int | None, number: int, text: str) -> str:
    """Revision ``base_rev``'s text with section ``number`` replaced by ``text``.

    :raises SectionNotFound: no such page, revision or section.
    """
    return splice(_body_at(page, base_rev), number, text)
