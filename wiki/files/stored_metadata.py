"""Images stored before uploads were stripped of metadata: rewrite them once (#20 point 9).

Run by the migration ``c24_strip_image_metadata`` on the migration's own connection, so it
uses plain tables here, never the ORM models (a later model change must not break an old
migration). Each image blob that still carries EXIF/XMP/text metadata becomes a new stripped
blob (content-addressed: its SHA-256 is new), every attachment version pointing at the old
bytes is repointed, and the old blob is deleted once nothing refers to it. Only one blob's
bytes are in memory at a time. Running it again finds nothing to do (stripping is
idempotent). A damaged image whose metadata cannot be removed is left as it is and counted:
serving refuses to publish it (see :func:`wiki.files.service.served_bytes`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wiki.text.image_metadata import STRIPPABLE_TYPES, MetadataError, strip_metadata

_blobs = sa.table(
    "blobs", sa.column("sha256"), sa.column("data"), sa.column("size"), sa.column("created_at")
)
_attachments = sa.table(
    "attachments",
    sa.column("blob_sha"),
    sa.column("display_sha"),
    sa.column("content_type"),
    sa.column("size"),
)


@dataclass
class StripReport:
    """What :func:`strip_stored_images` did: blobs looked at, rewritten, left damaged."""

    checked: int = 0
    rewritten: int = 0
    damaged: int = 0

    def __str__(self) -> str:
        return (
            f"{self.checked} images checked, {self.rewritten} stripped, "
            f"{self.damaged} damaged (left as they are; never served)."
        )


def strip_stored_images(
    conn: Connection, *, batch: int = 100, progress: Callable[[int], None] | None = None
) -> StripReport:
    """Make every stored JPEG, PNG and WebP blob (originals and display copies) metadata-free.

    Works through the image blobs in SHA-256 order, ``batch`` names at a time; ``progress``
    is called with the number done after each batch. Does not commit.
    """
    report = StripReport()
    after = ""
    while shas := _next_batch(conn, after, batch):
        for sha, content_type in shas:
            report.checked += 1
            outcome = _strip_blob(conn, sha, content_type)
            report.rewritten += outcome == "rewritten"
            report.damaged += outcome == "damaged"
        after = shas[-1][0]
        if progress is not None:
            progress(len(shas))
    return report


def count_stored_images(conn: Connection) -> int:
    """How many image blobs :func:`strip_stored_images` will look at (for a progress bar)."""
    shown = _image_blobs()
    return conn.execute(sa.select(sa.func.count(sa.distinct(shown.c.sha)))).scalar() or 0


def _image_blobs() -> sa.Subquery:
    """(sha, content_type) of every blob an image attachment refers to, original or copy."""
    images = _attachments.c.content_type.in_(STRIPPABLE_TYPES)
    originals = sa.select(_attachments.c.blob_sha.label("sha"), _attachments.c.content_type)
    copies = sa.select(_attachments.c.display_sha, _attachments.c.content_type).where(
        _attachments.c.display_sha.is_not(None)
    )
    return sa.union(originals.where(images), copies.where(images)).subquery()


def _next_batch(conn: Connection, after: str, batch: int) -> list[tuple[str, str]]:
    shown = _image_blobs()
    rows = conn.execute(
        sa.select(shown.c.sha, sa.func.min(shown.c.content_type))
        .where(shown.c.sha > after)
        .group_by(shown.c.sha)
        .order_by(shown.c.sha)
        .limit(batch)
    )
    return [(sha, content_type) for sha, content_type in rows]


def _strip_blob(conn: Connection, sha: str, content_type: str) -> str:
    row = conn.execute(
        sa.select(_blobs.c.data, _blobs.c.created_at).where(_blobs.c.sha256 == sha)
    ).first()
    if row is None:
        return "missing"
    data = bytes(row.data)  # PostgreSQL returns a memoryview
    try:
        stripped = strip_metadata(data, content_type)
    except MetadataError:
        return "damaged"
    if stripped == data:
        return "clean"
    new_sha = hashlib.sha256(stripped).hexdigest()
    exists = conn.execute(sa.select(_blobs.c.size).where(_blobs.c.sha256 == new_sha)).first()
    if exists is None:
        conn.execute(
            sa.insert(_blobs).values(
                sha256=new_sha, data=stripped, size=len(stripped), created_at=row.created_at
            )
        )
    conn.execute(
        sa.update(_attachments)
        .where(_attachments.c.blob_sha == sha)
        .values(blob_sha=new_sha, size=len(stripped))
    )
    conn.execute(
        sa.update(_attachments).where(_attachments.c.display_sha == sha).values(display_sha=new_sha)
    )
    conn.execute(sa.delete(_blobs).where(_blobs.c.sha256 == sha))  # nothing refers to it now
    return "rewritten"
