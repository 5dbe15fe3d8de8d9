"""Reading page history from the database: revision lists, bodies, blame, recent changes.

Lists never load revision bodies: they select the columns a row shows. A page's history is
paginated on the ``(page_id, number)`` unique index, using that numbers run 1…current without
gaps, so page K of a 5,000-revision history costs the same as page 1 of a short one.

Blame is cached per revision in :class:`BlameCache` and built incrementally from the nearest
cached earlier revision, streaming only the bodies in between; every ``CHECKPOINT``-th revision
met on the way is cached too, so no later blame replays more than that many revisions. One
call replays revisions for at most ``REPLAY_SECONDS``: a longer history is worked out over
several requests, each keeping where it got to (:class:`BlameUnfinished`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, closing, nullcontext
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from wiki import slots
from wiki.db import begin_write
from wiki.extensions import db
from wiki.models import BlameCache, Page, Revision, User
from wiki.text import blame as blame_mod
from wiki.text.diffing import Diff, diff_texts

PER_PAGE = 50
CHECKPOINT = 100
# Cached intermediate blames are bounded so one cold blame of a huge page stays cheap to store.
MAX_CHECKPOINT_CHARS = 8_000_000
# Seconds of replaying revisions one blame request may spend (it always replays at least one).
REPLAY_SECONDS = 2.0
_IN_CHUNK = 500
# A diff showing every line: larger than any body can have lines.
FULL_CONTEXT = 10**7
# What one diff shows at most (lines of source, or rendered blocks; characters of their text
# or HTML): computing a diff is bounded (wiki.text.diffing), showing one costs per line.
DIFF_MAX_LINES = 5_000
DIFF_MAX_CHARS = 1_000_000


@dataclass(frozen=True)
class RevisionRow:
    """What a history, recent-changes or contributions row shows (no body)."""

    id: int
    page_id: int
    number: int
    page_title: str  # the page's title now (it may have been renamed since)
    summary: str
    kind: str
    created_at: datetime
    size: int
    size_delta: int
    author: str | None
    page_deleted: bool = False


@dataclass(frozen=True)
class Listing:
    """One page of rows. ``pages`` is None where counting would cost a scan (recent changes)."""

    rows: list[RevisionRow]
    page: int
    has_next: bool
    pages: int | None = None
    total: int | None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def _row_select() -> Select:
    return (
        select(
            Revision.id,
            Revision.page_id,
            Revision.number,
            Page.title,
            Revision.summary,
            Revision.kind,
            Revision.created_at,
            Revision.size,
            Revision.size_delta,
            User.username,
            Page.deleted,
        )
        .join(Page, Page.id == Revision.page_id)
        .outerjoin(User, User.id == Revision.author_id)
    )


def _rows(stmt: Select) -> list[RevisionRow]:
    return [RevisionRow(*row) for row in db.session.execute(stmt)]


def _page_rows(page: Page, *where) -> list[RevisionRow]:
    """Rows of one page's revisions, newest first; no join with pages (the page is known)."""
    stmt = (
        select(
            Revision.id,
            Revision.number,
            Revision.summary,
            Revision.kind,
            Revision.created_at,
            Revision.size,
            Revision.size_delta,
            User.username,
        )
        .outerjoin(User, User.id == Revision.author_id)
        .where(Revision.page_id == page.id, *where)
        .order_by(Revision.number.desc())
    )
    title, deleted = page.title, page.deleted
    return [
        RevisionRow(
            rev_id, page.id, number, title, summary, kind, created, size, delta, author, deleted
        )
        for rev_id, number, summary, kind, created, size, delta, author in db.session.execute(stmt)
    ]


def history_pages(page: Page, per_page: int | None = None) -> int:
    """How many list pages the history of ``page`` fills (at least 1)."""
    return max(1, -(-page.current_rev // (per_page or PER_PAGE)))


def history_listing(page: Page, page_no: int, per_page: int | None = None) -> Listing | None:
    """Revisions of ``page``, newest first, list page ``page_no``; None past the last page."""
    per_page = per_page or PER_PAGE
    pages = history_pages(page, per_page)
    if not 1 <= page_no <= pages:
        return None
    high = page.current_rev - (page_no - 1) * per_page
    low = max(1, high - per_page + 1)
    rows = _page_rows(page, Revision.number.between(low, high))
    return Listing(rows, page_no, page_no < pages, pages, page.current_rev)


def revision_row(page: Page, number: int) -> RevisionRow | None:
    """Revision ``number`` of ``page`` without its body, or None."""
    rows = _page_rows(page, Revision.number == number)
    return rows[0] if rows else None


def revision_body(page: Page, number: int) -> str | None:
    """The Markdown of revision ``number`` of ``page``, or None."""
    return db.session.scalar(
        select(Revision.body).where(Revision.page_id == page.id, Revision.number == number)
    )


def revision_rows(page: Page, numbers: Iterable[int]) -> dict[int, RevisionRow]:
    """Rows (no bodies) of the given revision numbers of ``page``, keyed by number."""
    wanted = sorted(set(numbers))
    found: dict[int, RevisionRow] = {}
    for k in range(0, len(wanted), _IN_CHUNK):
        rows = _page_rows(page, Revision.number.in_(wanted[k : k + _IN_CHUNK]))
        found.update((row.number, row) for row in rows)
    return found


def largest_size(page: Page, numbers: Iterable[int]) -> int:
    """Bytes of the largest of these revisions of ``page`` (0 when none exist)."""
    stmt = select(func.max(Revision.size)).where(
        Revision.page_id == page.id, Revision.number.in_(list(numbers))
    )
    return db.session.scalar(stmt) or 0


def slot_if_huge(page: Page, numbers: Iterable[int]) -> AbstractContextManager:
    """A render slot for a diff or blame of revisions larger than ``WIKI_ANON_DIFF_MAX_BYTES``
    (seconds of CPU: a crowd asking for them must not take every worker from readers);
    nothing for smaller ones, which must not queue behind previews.

    :raises slots.Busy: on entering, when no slot came free in time.
    """
    if largest_size(page, numbers) > current_app.config["WIKI_ANON_DIFF_MAX_BYTES"]:
        return slots.render_slot()
    return nullcontext()


def diff_revisions(page: Page, old: int, new: int, *, full: bool = False) -> Diff | None:
    """Diff revision ``old`` (0: the empty page before creation) to ``new``; None if missing."""
    old_body = "" if old == 0 else revision_body(page, old)
    new_body = revision_body(page, new)
    if old_body is None or new_body is None:
        return None
    return diff_texts(old_body, new_body, context=FULL_CONTEXT if full else 3)


def changes_listing(
    page_no: int,
    *,
    author_id: int | None = None,
    new_only: bool = False,
    include_deleted: bool = False,
    per_page: int | None = None,
    where=None,
) -> Listing:
    """Revisions across the wiki, newest first: all of them, or one author's.

    ``new_only`` keeps page creations (revision 1). Deleted pages are left out unless
    ``include_deleted``. One extra row is fetched to know whether a next page exists.
    """
    per_page = per_page or PER_PAGE
    stmt = _row_select()
    if author_id is not None:
        stmt = stmt.where(Revision.author_id == author_id)
    if new_only:
        stmt = stmt.where(Revision.number == 1)
    if where is not None:  # e.g. the review queue's "unreviewed" condition
        stmt = stmt.where(where)
    if not include_deleted:
        stmt = stmt.where(Page.deleted.is_(False))
    stmt = (
        stmt.order_by(Revision.created_at.desc(), Revision.id.desc())
        .offset((page_no - 1) * per_page)
        .limit(per_page + 1)
    )
    rows = _rows(stmt)
    return Listing(rows[:per_page], page_no, len(rows) > per_page)


def edit_count(user_id: int) -> int:
    """How many revisions ``user_id`` has saved (on the author index)."""
    return db.session.scalar(
        select(func.count()).select_from(Revision).where(Revision.author_id == user_id)
    )


class BlameUnfinished(Exception):
    """The blame needs more than one request's time: revisions up to ``done`` of ``number``
    are worked out and kept, and the next call goes on from there."""

    def __init__(self, done: int, number: int):
        super().__init__(f"blamed up to revision {done} of {number}")
        self.done = done
        self.number = number


def cached_blame(page: Page, number: int) -> list[blame_mod.BlameLine] | None:
    """The blame of revision ``number`` when it is cached (one query), else None."""
    start, lines = _nearest_cached(page.id, number)
    return lines if start == number else None


def blame(page: Page, number: int) -> list[blame_mod.BlameLine] | None:
    """Blame revision ``number`` of ``page`` (None if it has no such revision).

    Served from :class:`BlameCache` when possible, else built from the nearest cached
    earlier revision; the result and checkpoints met on the way are cached.

    :raises BlameUnfinished: replaying took longer than ``REPLAY_SECONDS``; what was worked
        out is cached.
    """
    target_id = db.session.scalar(
        select(Revision.id).where(Revision.page_id == page.id, Revision.number == number)
    )
    if target_id is None:
        return None
    start, lines = _nearest_cached(page.id, number)
    if start == number and lines is not None:
        return lines
    deadline = time.monotonic() + REPLAY_SECONDS
    to_store: dict[int, str] = {}
    stored_chars = 0
    done = start
    with closing(_bodies(page.id, start + 1, number)) as bodies:
        for done, body in bodies:
            lines = blame_mod.blame_step(lines, body, done)
            out_of_time = done < number and time.monotonic() >= deadline
            checkpoint = done % CHECKPOINT == 0 and stored_chars < MAX_CHECKPOINT_CHARS
            if done == number or out_of_time or checkpoint:
                data = blame_mod.to_json(lines)
                to_store[done] = data
                stored_chars += len(data)
            if out_of_time:
                break
    _store_blames(page.id, to_store)
    if done < number:
        raise BlameUnfinished(done, number)
    return lines or []


def _nearest_cached(page_id: int, number: int) -> tuple[int, list[blame_mod.BlameLine] | None]:
    """The latest cached blame at or before ``number``: ``(its revision, lines)`` or (0, None)."""
    stmt = (
        select(Revision.number, BlameCache.data)
        .join(BlameCache, BlameCache.revision_id == Revision.id)
        .where(Revision.page_id == page_id, Revision.number <= number)
        .order_by(Revision.number.desc())
        .limit(3)
    )
    for rev, data in db.session.execute(stmt):
        try:
            return rev, blame_mod.from_json(data)
        except ValueError:  # written by an older format: rebuild from an earlier one
            continue
    return 0, None


def _bodies(page_id: int, low: int, high: int) -> Iterator[tuple[int, str]]:
    """Bodies of revisions ``low..high`` oldest first, streamed so memory stays flat."""
    stmt = (
        select(Revision.number, Revision.body)
        .where(Revision.page_id == page_id, Revision.number.between(low, high))
        .order_by(Revision.number)
        .execution_options(yield_per=50)
    )
    result = db.session.execute(stmt)
    try:
        yield from result.tuples()
    finally:  # also when the caller stops early: its cursor must not outlive the read
        result.close()


def _store_blames(page_id: int, blames: dict[int, str]) -> None:
    """Cache blames by revision number; a cache that cannot be written is only a lost speed-up."""
    if not blames:
        return
    try:
        begin_write()
        ids = dict(
            db.session.execute(
                select(Revision.number, Revision.id).where(
                    Revision.page_id == page_id, Revision.number.in_(list(blames))
                )
            ).all()
        )
        have = {
            row.revision_id: row
            for row in db.session.scalars(
                select(BlameCache).where(BlameCache.revision_id.in_(ids.values()))
            )
        }
        for rev, data in blames.items():
            if rev not in ids:
                continue
            if ids[rev] in have:  # a stale entry (older format) is replaced
                have[ids[rev]].data = data
            else:
                db.session.add(BlameCache(revision_id=ids[rev], data=data))
        db.session.commit()
    except (IntegrityError, OperationalError):  # a concurrent request cached it, or DB busy
        db.session.rollback()
