"""Loading pages and revisions for views, with the HTTP errors the contract asks for."""

from __future__ import annotations

from flask import abort, request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from wiki.extensions import db
from wiki.models import Page, Revision
from wiki.text.numbers import whole_number
from wiki.text.titles import TitleError, normalize_title


def valid_title_or_400(title: str) -> str:
    """The normalized title. :raises 400: with the rule the title breaks."""
    try:
        return normalize_title(title)
    except TitleError as error:
        abort(400, f"Invalid title: {error}")


def find_page(title: str) -> Page | None:
    return Page.named(title)


def live_page_or_404(title: str) -> Page:
    """A page that exists and is not deleted. :raises 404: (400 for an invalid title)"""
    page = find_page(valid_title_or_400(title))
    if page is None or page.deleted:
        abort(404, f"There is no page called “{title}”.")
    return page


def parse_rev(value: str | None, *, name: str = "rev") -> int | None:
    """An optional positive revision number from the query string. :raises 400:"""
    try:
        return whole_number(value)
    except ValueError:
        abort(400, f"“{name}” must be a revision number (1, 2, 3…).")


def page_number(*, lenient: bool = False, maximum: int | None = None) -> int:
    """``?page=K`` of a paginated list (default 1), at most ``maximum``.

    :raises 400: for anything but a page number, unless ``lenient`` (then page 1: lists whose
        links people hand-edit, such as search results).
    """
    try:
        number = whole_number(request.args.get("page"), max_digits=6) or 1
    except ValueError:
        if not lenient:
            abort(400, "“page” must be a page number (1, 2, 3…).")
        number = 1
    return min(number, maximum) if maximum else number


def revision_or_404(page: Page, number: int | None) -> Revision:
    """Revision ``number`` of ``page`` (its current one when None). :raises 404:"""
    number = page.current_rev if number is None else number
    revision = db.session.scalar(_REVISION, {"page_id": page.id, "number": number})
    if revision is None:
        abort(404, f"“{page.title}” has no revision {number}; it has {page.current_rev}.")
    return revision


def page_and_revision_or_404(page_id: int, number: int | None) -> tuple[Page, Revision]:
    """The page ``page_id`` and its revision ``number`` (current when None), in one query
    where both exist (a page view's two loads). :raises 404:"""
    if number is None:
        revision = db.session.scalar(_CURRENT_WITH_PAGE, {"page_id": page_id})
    else:
        revision = db.session.scalar(_REVISION_WITH_PAGE, {"page_id": page_id, "number": number})
    if revision is None:
        page = db.session.get(Page, page_id)
        if page is None:
            abort(404)
        return page, revision_or_404(page, number)
    return revision.page, revision


# Built once: building a statement with its loader options costs as much as running it.
_REVISION = (
    select(Revision)
    .options(joinedload(Revision.author))  # the view names the author
    .where(Revision.page_id == bindparam("page_id"), Revision.number == bindparam("number"))
)
_WITH_PAGE = (
    select(Revision)
    .join(Revision.page)
    .options(joinedload(Revision.author), contains_eager(Revision.page))
    .where(Revision.page_id == bindparam("page_id"))
)
_REVISION_WITH_PAGE = _WITH_PAGE.where(Revision.number == bindparam("number"))
_CURRENT_WITH_PAGE = _WITH_PAGE.where(Revision.number == Page.current_rev)
