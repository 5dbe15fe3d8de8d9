"""Page attachments: content-addressed blobs, a version per upload, and safe metadata.

Bytes live in ``blobs`` keyed by their SHA-256, so identical files are stored once and every
app server on one database sees them. Each upload adds an :class:`Attachment` row (``page_id``,
``name``, ``version``); re-uploading a name keeps the older versions, and restoring one adds a
new version pointing at the old bytes. Files are keyed by page id, so they follow a rename and
disappear with a deleted page without any work here.

The served type is decided by the content (:func:`sniff_type`), never by the file name.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from itertools import groupby

from cachetools import LRUCache
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from wiki.db import begin_write, is_postgres, lock_pages
from wiki.extensions import db
from wiki.models import Attachment, Blob, Page, Revision
from wiki.refusals import NotFound, Refusal
from wiki.rendering.openapi_sources import uses_attachment
from wiki.search import indexing
from wiki.text.filetypes import (
    MAX_DECODE_PIXELS,
    MAX_NAME,
    RASTER_TYPES,
    FileNameError,
    ImageFacts,
    ImageTooLarge,
    inspect_image,
    sanitize_name,
    sniff_type,
)
from wiki.text.image_metadata import MetadataError, strip_metadata
from wiki.text.titles import TitleError, normalize_title


class AttachmentError(Refusal):
    """A refused upload or restore (see :class:`Refusal`)."""


class FileTooLarge(AttachmentError):
    status = 413


class Busy(AttachmentError):
    """Every image slot of this worker stayed busy: try again shortly (503)."""

    status = 503


# Decoding and resizing an image takes up to ~200 MB and a second of CPU: one at a time
# per worker process, so parallel uploads queue instead of multiplying the memory.
IMAGE_SLOTS = 1
IMAGE_WAIT_SECONDS = 20
_image_slots = threading.BoundedSemaphore(IMAGE_SLOTS)


def _inspect(data: bytes, content_type: str, max_pixels: int) -> ImageFacts:
    """Measure and make the display copy inside an image slot; metadata-free results.

    :raises FileTooLarge: over the pixel budget. :raises Busy: no slot came free in time.
    """
    if content_type not in RASTER_TYPES:
        return ImageFacts()
    if not _image_slots.acquire(timeout=IMAGE_WAIT_SECONDS):
        raise Busy("The wiki is busy processing other images; try again in a minute.")
    try:
        facts = inspect_image(data, content_type, max_pixels=max_pixels)
    except ImageTooLarge as error:
        raise FileTooLarge(str(error)) from None
    finally:
        _image_slots.release()
    if facts.display is None:
        return facts
    return replace(facts, display=strip_metadata(facts.display, content_type))


@dataclass
class FileEntry:
    """One file of a page: its newest version first in ``versions``."""

    name: str
    versions: list[Attachment] = field(default_factory=list)

    @property
    def latest(self) -> Attachment:
        return self.versions[0]


def list_files(page: Page) -> list[FileEntry]:
    """All files of ``page`` by name (case-insensitive order), each with its version history."""
    rows = db.session.scalars(
        select(Attachment)
        .where(Attachment.page_id == page.id)
        .options(selectinload(Attachment.uploader))
        .order_by(func.lower(Attachment.name), Attachment.name, Attachment.version.desc())
    ).all()
    return [FileEntry(name, list(group)) for name, group in groupby(rows, lambda a: a.name)]


def find_version(page: Page, name: str, version: int | None = None) -> Attachment | None:
    """Version ``version`` of the file ``name`` of ``page`` (its newest when None)."""
    stmt = select(Attachment).where(Attachment.page_id == page.id, Attachment.name == name)
    if version is not None:
        return db.session.scalar(stmt.where(Attachment.version == version))
    return db.session.scalar(stmt.order_by(Attachment.version.desc()).limit(1))


@dataclass(frozen=True)
class ServedFile:
    """What serving one version needs, besides its bytes (see :func:`blob_bytes`)."""

    name: str
    version: int
    content_type: str
    created_at: datetime
    sha256: str  # of the bytes to send: the display copy's, or the original's


def file_to_serve(
    title: str, name: str, version: int | None, *, original: bool
) -> ServedFile | None:
    """Version ``version`` (else the newest) of the file ``name`` of the live page ``title``.

    Points at the display copy of a large image unless ``original``. Serving is the hot path,
    so this is one prebuilt Core query. None when the page is missing or deleted, or has no
    such file or version.
    """
    if "\x00" in name:  # no stored name has one, and PostgreSQL refuses it in a query
        return None
    stmt = _serve_statement(original, version is not None)
    params = {"title": title, "name": name, "version": version}
    if is_postgres():
        # Autocommit spares the BEGIN and ROLLBACK round trips a transaction would cost.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(stmt, params).first()
    else:
        row = db.session.connection().execute(stmt, params).first()
    return ServedFile(*row) if row is not None else None


@cache
def _serve_statement(original: bool, versioned: bool) -> Select:
    shown = func.coalesce(Attachment.display_sha, Attachment.blob_sha)
    stmt = (
        select(
            Attachment.name,
            Attachment.version,
            Attachment.content_type,
            Attachment.created_at,
            Attachment.blob_sha if original else shown,
        )
        .join(Page, Page.id == Attachment.page_id)
        .where(
            Page.title == bindparam("title"),
            Page.deleted.is_(False),
            Attachment.name == bindparam("name"),
        )
    )
    if versioned:
        return stmt.where(Attachment.version == bindparam("version"))
    return stmt.order_by(Attachment.version.desc()).limit(1)


class BlobCache:
    """Recently served blob bytes by SHA-256, within a byte budget (least recently used go).

    Blobs never change (the key is their hash), so a cached copy is never stale; it saves the
    database transfer, which dominates serving on PostgreSQL (bytea arrives hex-encoded).
    """

    def __init__(self, budget: int, largest: int) -> None:
        self.largest = largest
        self._items: LRUCache[str, bytes] = LRUCache(maxsize=budget, getsizeof=len)
        self._lock = threading.Lock()

    def get(self, sha256: str) -> bytes | None:
        with self._lock:
            return self._items.get(sha256)

    def put(self, sha256: str, data: bytes) -> None:
        if len(data) > min(self.largest, self._items.maxsize):
            return
        with self._lock:
            self._items[sha256] = data


_blob_cache = BlobCache(budget=32 * 1024 * 1024, largest=2 * 1024 * 1024)


class Unpublishable(AttachmentError):
    """A stored image whose metadata cannot be removed (damaged): never sent (403)."""

    status = 403


def served_bytes(served: ServedFile) -> bytes | None:
    """The bytes to send for ``served``: images always without EXIF/XMP/text metadata.

    Defence in depth for blobs stored before uploads were stripped (the migration
    ``c24_strip_image_metadata`` rewrites them, but a restored backup or a copied database
    can bring old bytes back). Stripping happens on every serve rather than behind a
    "stripped" flag: a flag can be wrong, and GET requests write nothing, so a strip is
    never persisted here. It is cheap: :func:`strip_metadata` walks segment and chunk
    headers without decoding, and returns the very same object (no copy) when there is
    nothing to remove, which is every blob stored since uploads were stripped. None when
    the blob is missing.

    :raises Unpublishable: a damaged image that still holds metadata.
    """
    data = blob_bytes(served.sha256)
    if data is None:
        return None
    try:
        return strip_metadata(data, served.content_type)
    except MetadataError:
        raise Unpublishable(
            "This image is damaged and may hold hidden location data, so it is not shown."
        ) from None


def blob_bytes(sha256: str) -> bytes | None:
    """The bytes of a blob, from the process's :class:`BlobCache` when it has them."""
    data = _blob_cache.get(sha256)
    if data is None:
        data = blob_data(sha256)
        if data is not None:
            _blob_cache.put(sha256, data)
    return data


def blob_data(sha256: str) -> bytes | None:
    """The bytes of a blob, read from the database."""
    return db.session.scalar(select(Blob.data).where(Blob.sha256 == sha256))


def store_upload(
    page: Page,
    raw_name: str,
    data: bytes,
    user_id: int,
    *,
    max_bytes: int,
    unique: bool = False,
    max_pixels: int = MAX_DECODE_PIXELS,
) -> Attachment:
    """Store ``data`` as the next version of the file ``raw_name`` (sanitized) of ``page``.

    With ``unique``, an existing name is not versioned: a free name (``image-2.png``) is
    chosen instead, which is what a pasted screenshot wants. Commits.

    :raises AttachmentError: empty file or unusable name (400).
    Images are stored without EXIF/XMP/text metadata (a JPEG keeps its orientation only).

    :raises AttachmentError: empty file, unusable name, damaged image (400).
    :raises FileTooLarge: more than ``max_bytes``, or an image over ``max_pixels`` (413).
    :raises Busy: this worker's image slot stayed busy (503).
    :raises NotFound: the page was deleted meanwhile (404).
    """
    try:
        name = sanitize_name(raw_name)
    except FileNameError as error:
        raise AttachmentError(str(error)) from None
    if not data:
        raise AttachmentError("The file is empty.")
    if len(data) > max_bytes:
        raise FileTooLarge(f"The file is larger than the {max_bytes / 1048576:g} MB limit.")
    if _shadows_sub_page(page.title, name):
        raise AttachmentError(
            f"The sub-page “{page.title}/{name}” has the same address; choose another name."
        )
    content_type = sniff_type(data)
    try:
        data = strip_metadata(data, content_type)  # photos must not publish where they were taken
    except MetadataError:
        raise AttachmentError(
            "The image is damaged, so it could not be checked for hidden location data."
        ) from None
    facts = _inspect(data, content_type, max_pixels)  # slow work before taking the write lock
    blobs = [data] + ([facts.display] if facts.display else [])
    shas = [hashlib.sha256(b).hexdigest() for b in blobs]
    page_id = page.id
    _lock_live_page(page_id)
    if unique:
        name = _free_name(page_id, name)
    for sha, content in zip(shas, blobs, strict=True):
        _insert_blob(sha, content)
    attachment = Attachment(
        page_id=page_id,
        name=name,
        version=_next_version(page_id, name),
        blob_sha=shas[0],
        display_sha=shas[1] if len(shas) > 1 else None,
        content_type=content_type,
        size=len(data),
        width=facts.width,
        height=facts.height,
        uploader_id=user_id,
    )
    db.session.add(attachment)
    _commit_version(attachment)
    return attachment


def restore_version(page: Page, name: str, version: int, user_id: int) -> Attachment:
    """Make version ``version`` of ``name`` the newest again, as a new version. Commits.

    :raises NotFound: no such file or version, or the page was deleted meanwhile.
    """
    page_id = page.id
    _lock_live_page(page_id)
    old = db.session.scalar(
        select(Attachment).where(
            Attachment.page_id == page_id, Attachment.name == name, Attachment.version == version
        )
    )
    if old is None:
        db.session.rollback()
        raise NotFound(f"“{name}” has no version {version}.")
    restored = Attachment(
        page_id=page_id,
        name=name,
        version=_next_version(page_id, name),
        blob_sha=old.blob_sha,
        display_sha=old.display_sha,
        content_type=old.content_type,
        size=old.size,
        width=old.width,
        height=old.height,
        uploader_id=user_id,
    )
    db.session.add(restored)
    _commit_version(restored)
    return restored


def _commit_version(attachment: Attachment) -> None:
    """Commit a new version of a file; if the page's ```openapi blocks show that file, its
    search entry is queued in the same transaction and refreshed after the commit (the page
    view needs nothing: the new version bumps the page's generation)."""
    body = db.session.scalar(
        select(Revision.body)
        .join(Page, Revision.current_of(Page))
        .where(Page.id == attachment.page_id)
    )
    shown = body is not None and uses_attachment(body, attachment.name)
    if shown:
        indexing.queue(attachment.page_id)
    db.session.commit()
    if shown:
        indexing.sync_after_save(attachment.size)


def _lock_live_page(page_id: int) -> None:
    """Take the write lock (SQLite) or the page row lock (PostgreSQL) so versions never clash."""
    begin_write()
    pages = lock_pages(Page.id == page_id)
    if not pages or pages[0].deleted:
        db.session.rollback()
        raise NotFound("The page no longer exists.")


def _shadows_sub_page(title: str, name: str) -> bool:
    """Would ``/files/<title>/<name>`` also be the files address of an existing sub-page?"""
    try:
        sub = normalize_title(f"{title}/{name}")
    except TitleError:
        return False
    return db.session.scalar(select(Page.id).where(Page.title == sub)) is not None


def _next_version(page_id: int, name: str) -> int:
    latest = db.session.scalar(
        select(func.max(Attachment.version)).where(
            Attachment.page_id == page_id, Attachment.name == name
        )
    )
    return (latest or 0) + 1


def _free_name(page_id: int, name: str) -> str:
    taken = set(
        db.session.scalars(select(Attachment.name).where(Attachment.page_id == page_id).distinct())
    )
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, dot, ext = name, "", ""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem[: MAX_NAME - len(ext) - 8]}-{n}{dot}{ext}"
    return candidate


def _insert_blob(sha: str, data: bytes) -> None:
    if db.session.scalar(select(Blob.size).where(Blob.sha256 == sha)) is not None:
        return  # stored once: a re-upload or a copy costs no bytes
    # Another page may store the same bytes at the same moment: the first insert wins.
    insert = pg_insert if is_postgres() else sqlite_insert
    db.session.execute(
        insert(Blob)
        .values(sha256=sha, data=data, size=len(data))
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
