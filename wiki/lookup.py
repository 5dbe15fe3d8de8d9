"""Loading pages and revisions for views, with the HTTP errors the contract asks for."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Page, Revision
from wiki.text.titles import TitleError, normalize_title


def valid_title_or_400(title: str) -> str:
    """The normalized title. :raises 400: with the rule the title breaks."""
    try:
        return normalize_title(title)
    except TitleError as error:
        abort(400, f"Invalid title: {error}")


def find_page(title: str) -> Page | None:
    return db.session.scalar(select(Page).where(Page.title == title))


def live_page_or_404(title: str) -> Page:
    """A page that exists and is not deleted. :raises 404:"""
    page = find_page(valid_title_or_400(title))
    if page is None or page.deleted:
        abort(404, f"There is no page called “{title}”.")
    return page


def parse_rev(value: str | None, *, name: str = "rev") -> int | None:
    """An optional positive revision number from the query string. :raises 400:"""
    if value is None or value == "":
        return None
    # isascii: "²" passes isdigit() but int() refuses it.
    if not (value.isascii() and value.isdigit()) or len(value) > 9 or int(value) < 1:
        abort(400, f"“{name}” must be a revision number (1, 2, 3…).")
    return int(value)


def revision_or_404(page: Page, number: int | None) -> Revision:
    """Revision ``number`` of ``page`` (its current one when None). :raises 404:"""
    number = page.current_rev if number is None else number
    revision = db.session.scalar(
        select(Revision).where(Revision.page_id == page.id, Revision.number == number)
    )
    if revision is None:
        abort(404, f"“{page.title}” has no revision {number}; it has {page.current_rev}.")
    return revision
