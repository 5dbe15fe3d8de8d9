"""Exporting the wiki as a folder of Markdown files (``flask export``).

Every live page becomes ``<title>.md`` with its current body, byte for byte (``Django`` and
``Django/ORM`` become ``Django.md`` and ``Django/ORM.md``): the layout :mod:`wiki.content.importing`
reads, so export -> import into an empty wiki gives the same pages and bodies. Where the path
alone would not give the title back (front matter ``title:`` that disagrees, a title too long for
a file name) the title is recorded in ``nexus-export.json``, which import honours.
``history.jsonl`` optionally holds every revision of every page, one JSON object a line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from wiki.content.importing import MANIFEST_NAME
from wiki.extensions import db
from wiki.models import Page, Revision, User
from wiki.rendering.markdown import split_front_matter
from wiki.text.titles import TitleError, normalize_title, segments

HISTORY_NAME = "history.jsonl"
LONG_TITLES_DIR = "_long-titles"
MAX_NAME_BYTES = 255  # the usual file-name limit (ext4, APFS, NTFS)
STREAM_CHUNK = 200

Progress = Callable[[int], None]


class ExportError(Exception):
    """The export cannot start (for example: the target folder is not empty)."""


@dataclass
class ExportReport:
    pages: int = 0
    revisions: int = 0
    manifest_entries: int = 0
    files: list[str] = field(default_factory=list)  # relative paths written, in title order


def page_path(title: str) -> str:
    """The relative file path of page ``title``: its levels as folders, plus ``.md``.

    Titles with a level too long for a file name go to ``_long-titles/<sha1>.md`` (the
    manifest then records the real title).
    """
    parts = segments(title)
    parts[-1] += ".md"
    if any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in parts):
        digest = hashlib.sha1(title.encode("utf-8"), usedforsecurity=False).hexdigest()
        return f"{LONG_TITLES_DIR}/{digest}.md"
    return "/".join(parts)


def _title_from_path(rel: str) -> str | None:
    try:
        return normalize_title(rel[: -len(".md")])
    except TitleError:
        return None


def _needs_manifest(title: str, rel: str, body: str) -> bool:
    """True when import would not derive ``title`` from ``rel`` and ``body`` by itself."""
    if body.startswith("---"):
        named = split_front_matter(body)[0].get("title")
        if named is not None:
            try:
                return not isinstance(named, str) or normalize_title(named) != title
            except TitleError:
                return True
    return _title_from_path(rel) != title


def count_live_pages() -> int:
    return db.session.scalar(select(func.count(Page.id)).where(Page.deleted.is_(False))) or 0


def count_revisions() -> int:
    return db.session.scalar(select(func.count(Revision.id))) or 0


def _prepare(dest: Path, force: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise ExportError(f"{dest} exists and is not a folder.")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise ExportError(f"{dest} is not empty; choose an empty folder or pass --force.")
    dest.mkdir(parents=True, exist_ok=True)


def _write_pages(dest: Path, report: ExportReport, progress: Progress | None) -> dict[str, str]:
    current = Revision.current_of(Page)
    stmt = (
        select(Page.title, Revision.body)
        .join(Revision, current)
        .where(Page.deleted.is_(False))
        .order_by(Page.title)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    manifest: dict[str, str] = {}
    for title, body in db.session.execute(stmt):
        rel = page_path(title)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body.encode("utf-8"))  # bytes: no newline translation anywhere
        if _needs_manifest(title, rel, body):
            manifest[rel] = title
        report.pages += 1
        report.files.append(rel)
        if progress is not None:
            progress(1)
    return manifest


def _history_rows():
    stmt = (
        select(
            Revision.title,
            Page.title,
            Page.deleted,
            Revision.number,
            User.username,
            Revision.created_at,
            Revision.summary,
            Revision.kind,
            Revision.body,
        )
        .join(Page, Page.id == Revision.page_id)
        .outerjoin(User, User.id == Revision.author_id)
        .order_by(Page.title, Revision.number)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for title, page, deleted, number, author, created, summary, kind, body in db.session.execute(
        stmt
    ):
        yield {
            "title": title,
            "page": page,
            "page_deleted": deleted,
            "number": number,
            "author": author,
            "created_at": created.isoformat(),
            "summary": summary,
            "kind": kind,
            "body": body,
        }


def _write_history(dest: Path, report: ExportReport, progress: Progress | None) -> None:
    with (dest / HISTORY_NAME).open("w", encoding="utf-8", newline="\n") as fh:
        for row in _history_rows():
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            report.revisions += 1
            if progress is not None:
                progress(1)


def export_wiki(
    dest: Path,
    *,
    history: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> ExportReport:
    """Write every live page under ``dest`` (and ``history.jsonl`` when ``history``).

    ``progress`` is called with 1 for every page (and every revision) written.

    :raises ExportError: ``dest`` is a file, or a non-empty folder without ``force``.
    """
    _prepare(dest, force)
    report = ExportReport()
    manifest = _write_pages(dest, report, progress)
    manifest_path = dest / MANIFEST_NAME
    if manifest:
        payload = {"format": 1, "titles": manifest}
        manifest_path.write_text(
            json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        report.manifest_entries = len(manifest)
    elif manifest_path.exists():  # left over from an earlier export with --force
        manifest_path.unlink()
    if history:
        _write_history(dest, report, progress)
    db.session.rollback()
    return report
