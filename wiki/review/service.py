"""The review queue: editors' revisions not yet reviewed, and marking them reviewed.

Each page keeps one number, the revision up to which everything is reviewed, so marking
revision N marks the earlier ones too. Revisions by admins count as reviewed, and so do those
of system accounts (the starter content) and of no author.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from wiki.db import begin_write
from wiki.extensions import db
from wiki.models import ROLE_ADMIN, Page, Revision, User, now_utc
from wiki.refusals import Refusal
from wiki.review.models import ReviewMark
from wiki.text.diffing import Diff, diff_texts

ROLE_REVIEWER = "reviewer"
PER_PAGE = 20


class ReviewError(Refusal):
    pass


def can_review(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.active
        and user.role in (ROLE_ADMIN, ROLE_REVIEWER)
    )


@dataclass
class Item:
    revision: Revision
    page: Page
    author: User
    diff: Diff


def unreviewed_clause():
    """Revisions (joined with their page, author and the page's mark) still to review."""
    return and_(
        Page.deleted.is_(False),
        User.role != ROLE_ADMIN,
        User.is_system.is_(False),
        Revision.number > func.coalesce(ReviewMark.rev, 0),
    )


def unreviewed_filter():
    """The same condition for any query over ``Revision`` (recent changes' filter)."""
    author = aliased(User)
    mark = select(ReviewMark.rev).where(ReviewMark.page_id == Revision.page_id).scalar_subquery()
    by_editor = exists().where(
        author.id == Revision.author_id, author.role != ROLE_ADMIN, author.is_system.is_(False)
    )
    return and_(by_editor, Revision.number > func.coalesce(mark, 0))


def _unreviewed():
    return (
        select(Revision, Page, User)
        .join(Page, Page.id == Revision.page_id)
        .join(User, User.id == Revision.author_id)
        .outerjoin(ReviewMark, ReviewMark.page_id == Page.id)
        .where(unreviewed_clause())
    )


def queue(page_no: int) -> tuple[list[Item], int]:
    """Unreviewed revisions oldest first, PER_PAGE at a time, each with its source diff."""
    total = db.session.scalar(select(func.count()).select_from(_unreviewed().subquery())) or 0
    rows = db.session.execute(
        _unreviewed()
        .order_by(Revision.created_at, Revision.id)
        .offset((page_no - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    wanted = {(rev.page_id, rev.number - 1) for rev, _, _ in rows if rev.number > 1}
    before: dict[tuple[int, int], str] = {}
    if wanted:
        pages = {p for p, _ in wanted}
        for page_id, number, body in db.session.execute(
            select(Revision.page_id, Revision.number, Revision.body).where(
                Revision.page_id.in_(pages), Revision.number.in_({n for _, n in wanted})
            )
        ):
            before[(page_id, number)] = body
    items = [
        Item(rev, page, author, diff_texts(before.get((rev.page_id, rev.number - 1), ""), rev.body))
        for rev, page, author in rows
    ]
    return items, total


def mark_reviewed(title: str, number: int, user: User) -> int:
    """Mark revision ``number`` of ``title`` and the earlier ones reviewed; returns the mark.

    :raises ReviewError: not a reviewer (403), no such page or revision (404).
    """
    if not can_review(user):
        raise ReviewError("Only reviewers and administrators can review changes.")
    begin_write()
    page = Page.named(title)
    if page is None or page.deleted or not 1 <= number <= page.current_rev:
        db.session.rollback()
        error = ReviewError(f"“{title}” has no revision {number}.")
        error.status = 404
        raise error
    mark = db.session.get(ReviewMark, page.id)
    if mark is None:
        mark = ReviewMark(page_id=page.id, rev=0)
        db.session.add(mark)
    if number > mark.rev:
        mark.rev, mark.reviewer_id, mark.reviewed_at = number, user.id, now_utc()
    result = mark.rev
    db.session.commit()
    return result


def mark_of(page_id: int) -> ReviewMark | None:
    return db.session.get(ReviewMark, page_id)


def set_reviewer(username: str, on: bool) -> User:
    """Give (or take back) the reviewer role; admins keep their role. :raises ReviewError:"""
    user = db.session.scalar(select(User).where(User.username_key == username.lower()))
    if user is None:
        raise ReviewError(f"There is no user called “{username}”.")
    if user.role == ROLE_ADMIN:
        raise ReviewError(f"{user.username} is an administrator and reviews already.")
    user.role = ROLE_REVIEWER if on else "editor"
    db.session.commit()
    return user
