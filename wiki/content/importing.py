"""Importing a folder of Markdown files as pages (``flask import``, starter content).

A file's title is its path without ``.md`` (sub-folders become ``/`` levels); front matter
``title:`` overrides it, and the ``nexus-export.json`` manifest that :mod:`wiki.content.exporting`
writes overrides both. Importing is idempotent: a file whose text equals the page's current
body adds nothing, a changed file adds exactly one revision. Bad files are reported, never fatal.

Memory stays flat on big folders: bodies are read a batch at a time (at most two batches are
held: one rendering, one being written), each batch is one write transaction, and the search
index catches up after every batch commit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wiki.db import begin_write, lock_pages
from wiki.extensions import db
from wiki.models import Page, Revision, User
from wiki.pages.editing import (
    MAX_BODY_BYTES,
    BodyTooLarge,
    append_revision,
    check_body_size,
    current_body,
    normalize_body,
)
from wiki.rendering.cache import existing_titles
from wiki.rendering.guard import safe_render
from wiki.rendering.markdown import Rendered, RenderError, extract_link_targets, split_front_matter
from wiki.search import indexing
from wiki.text.titles import TitleError, normalize_title

BATCH_SIZE = 200
MANIFEST_NAME = "nexus-export.json"
STARTER_DIR = Path(__file__).parent / "starter"

Progress = Callable[[int], None]


class ImportRejected(ValueError):
    """A file that cannot become a page; the message says why, for the summary."""


@dataclass(frozen=True)
class Rejection:
    path: str  # relative to the imported folder, with '/' separators
    reason: str


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    rel: str
    title: str


@dataclass
class ImportPlan:
    """The files of a folder with their titles, before any body is kept in memory."""

    root: Path
    files: list[PlannedFile] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def titles(self) -> frozenset[str]:
        return frozenset(f.title for f in self.files)


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged) + len(self.rejected)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.rejected)} rejected"
        )


def read_markdown(path: Path) -> str:
    """The file's text as stored in a revision (UTF-8, BOM dropped, LF line endings).

    :raises ImportRejected: unreadable, not UTF-8, or over the 1 MiB page limit.
    """
    try:
        # CRLF -> LF can at most halve a file: anything bigger is over the limit unread.
        if path.stat().st_size > 2 * MAX_BODY_BYTES + 3:
            raise ImportRejected("larger than the 1 MiB page limit")
        data = path.read_bytes()
    except OSError as error:
        raise ImportRejected(f"cannot be read: {error.strerror or error}") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRejected(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from error
    body = normalize_body(text)
    try:
        check_body_size(body)
    except BodyTooLarge as error:
        raise ImportRejected("larger than the 1 MiB page limit") from error
    return body


def title_for(rel: str, body: str, manifest: dict[str, str]) -> str:
    """The page title of the file at ``rel`` (manifest, then front matter, then path).

    :raises ImportRejected: the chosen title breaks the title rules.
    """
    raw: object = manifest.get(rel)
    if raw is None and body.startswith("---"):
        raw = split_front_matter(body)[0].get("title")
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = str(raw)
    if raw is None:
        raw = rel[: -len(".md")]
    if not isinstance(raw, str):
        raise ImportRejected("the front matter title is not text")
    try:
        return normalize_title(raw)
    except TitleError as error:
        raise ImportRejected(f"invalid title {raw!r}: {error}") from error


def _markdown_files(root: Path) -> list[tuple[Path, str]]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(".md"):
                path = Path(folder, name)
                found.append((path, path.relative_to(root).as_posix()))
    return found


def _read_manifest(root: Path) -> dict[str, str]:
    try:
        data = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    titles = data.get("titles") if isinstance(data, dict) else None
    if not isinstance(titles, dict):
        return {}
    return {k: v for k, v in titles.items() if isinstance(k, str) and isinstance(v, str)}


def plan_import(root: Path) -> ImportPlan:
    """Every ``.md`` file under ``root`` (sorted) with its title; bad files are rejected.

    Two files with the same title: the first (in path order) wins, the other is rejected.
    """
    plan = ImportPlan(root=root)
    manifest = _read_manifest(root)
    seen: dict[str, str] = {}
    for path, rel in _markdown_files(root):
        try:
            title = title_for(rel, read_markdown(path), manifest)
            if title in seen:
                raise ImportRejected(f"same title {title!r} as {seen[title]}")
        except ImportRejected as error:
            plan.rejected.append(Rejection(rel, str(error)))
            continue
        seen[title] = rel
        plan.files.append(PlannedFile(path, rel, title))
    return plan


@dataclass
class _Item:
    file: PlannedFile
    body: str
    existing: frozenset[str] = frozenset()  # linked titles that exist or are being imported
    seen_rev: int = 0  # the page's current revision when the body was compared
    rendered: Rendered | None = None
    error: RenderError | None = None


def _current_bodies(titles: Iterable[str]) -> dict[str, tuple[bool, int, str | None]]:
    """title -> (deleted, current revision number, current body) for existing pages."""
    rows = db.session.execute(
        select(Page.title, Page.deleted, Page.current_rev, Revision.body)
        .outerjoin(Revision, Revision.current_of(Page))
        .where(Page.title.in_(list(titles)))
    )
    return {title: (deleted, rev, body) for title, deleted, rev, body in rows}


def _compare_batch(
    files: list[PlannedFile], planned: frozenset[str], report: ImportReport
) -> list[_Item]:
    """Read a batch and keep the files that would add a revision, with their link context.

    Pages of this import count as existing, so links between them are never red.
    """
    items = []
    for planned_file in files:
        try:
            items.append(_Item(planned_file, read_markdown(planned_file.path)))
        except ImportRejected as error:
            report.rejected.append(Rejection(planned_file.rel, str(error)))
    current = _current_bodies(item.file.title for item in items)
    changed = []
    for item in items:
        deleted, rev, body = current.get(item.file.title, (False, 0, None))
        if deleted:
            reason = f"the page {item.file.title!r} was deleted; restore it first"
            report.rejected.append(Rejection(item.file.rel, reason))
        elif body == item.body:
            report.unchanged.append(item.file.title)
        else:
            item.seen_rev = rev
            changed.append(item)
    targets = [extract_link_targets(item.body) for item in changed]
    known = existing_titles(set().union(*targets)) if targets else set()
    for item, links in zip(changed, targets, strict=True):
        item.existing = frozenset((links & known) | (links & planned))
    db.session.rollback()  # end the read transaction; rendering takes a while
    return changed


def _render_batch(items: list[_Item], timeout: float) -> list[_Item]:
    """Render each item under the time guard. Touches no database: runs in a worker thread."""
    for item in items:
        try:
            item.rendered = safe_render(
                item.body, existing=item.existing, page_title=item.file.title, timeout=timeout
            )
        except RenderError as error:
            item.error = error
    return items


def _write_batch(items: list[_Item], user_id: int, summary: Callable[[PlannedFile], str]):
    """One write transaction for the batch; returns (created, updated, unchanged) titles."""
    if not items:
        return [], [], []
    begin_write()
    user = db.session.get(User, user_id)
    locked = lock_pages(Page.title.in_([item.file.title for item in items]))
    pages = {page.title: page for page in locked}
    new_pages = [
        Page(title=item.file.title, title_key=item.file.title.lower(), current_rev=0)
        for item in items
        if item.file.title not in pages
    ]
    db.session.add_all(new_pages)
    db.session.flush()  # one INSERT round for the batch's new pages
    pages.update((page.title, page) for page in new_pages)
    created, updated, unchanged = [], [], []
    # Each page's rows are independent of the others', so the explicit flush inside
    # append_revision is enough; autoflush before every lookup would double the statements.
    with db.session.no_autoflush:
        for item in items:
            page = pages[item.file.title]
            if page.current_rev and page.current_rev != item.seen_rev:
                if current_body(page) == item.body:
                    unchanged.append(page.title)  # someone saved the same text meanwhile
                    continue
            append_revision(page, item.body, summary(item.file), user, "import", item.rendered)
            (updated if page.current_rev > 1 else created).append(page.title)
    db.session.commit()
    return created, updated, unchanged


def _store_batch(
    items: list[_Item], user_id: int, summary: Callable[[PlannedFile], str], report: ImportReport
) -> None:
    """Record render failures, then write the rest (retrying a batch that raced a save)."""
    ready = []
    for item in items:
        if item.error is not None:
            report.rejected.append(Rejection(item.file.rel, str(item.error)))
        else:
            ready.append(item)
    for attempt in range(3):
        try:
            created, updated, unchanged = _write_batch(ready, user_id, summary)
            break
        except IntegrityError:
            # A page of this batch was created concurrently; the retry sees it.
            db.session.rollback()
            if attempt == 2:
                raise
    report.created += created
    report.updated += updated
    report.unchanged += unchanged
    indexing.sync()


def run_import(
    plan: ImportPlan,
    user: User,
    *,
    summary: Callable[[PlannedFile], str] | None = None,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import the planned files as revisions by ``user``, ``batch_size`` files per commit.

    A pipeline: while batch k is written and indexed here, batch k+1 renders in a worker
    thread (the render itself runs in ``render_guard``'s child process, so both cores work).
    ``progress`` is called with the number of files finished after each batch.
    """
    summary = summary or (lambda f: f"Imported from {f.rel}")
    report = ImportReport(rejected=list(plan.rejected))
    planned, user_id = plan.titles, user.id
    timeout = float(current_app.config["WIKI_RENDER_TIMEOUT"])
    batches = [plan.files[i : i + batch_size] for i in range(0, len(plan.files), batch_size)]

    def finish(batch: list[PlannedFile], rendering: Future) -> None:
        _store_batch(rendering.result(), user_id, summary, report)
        if progress is not None:
            progress(len(batch))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-render") as renderer:
        pending = None  # the batch rendering while the one before it is written
        for batch in batches:
            items = _compare_batch(batch, planned, report)
            rendering = renderer.submit(_render_batch, items, timeout)
            if pending is not None:
                finish(*pending)
            pending = (batch, rendering)
        if pending is not None:
            finish(*pending)
    return report


def import_folder(root: Path, user: User, *, progress: Progress | None = None) -> ImportReport:
    """Plan and import ``root`` in one call (see :func:`run_import`)."""
    return run_import(plan_import(root), user, progress=progress)


def wiki_is_empty() -> bool:
    """True when no page was ever created (deleted pages count as created)."""
    return db.session.scalar(select(Page.id).limit(1)) is None


def load_starter(user: User) -> ImportReport | None:
    """Load ``wiki/content/starter/`` into an empty wiki; None (no change) once a page exists."""
    if not wiki_is_empty():
        return None
    plan = plan_import(STARTER_DIR)
    return run_import(plan, user, summary=lambda f: "Starter content")
