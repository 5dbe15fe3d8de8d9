"""The page attachments that ```openapi blocks name (``openapi: api.yaml``), read from the
database and put into the body before it is rendered or compared.

The pure renderer never touches the database; inlining the text into the body also makes
the render caches (pieces, per-revision HTML) and the API-changes cache key on the document
itself.

Which version of an attachment a body is read with:

* rendering (saves, previews, views of the current revision) and the new side of a save's
  API note use the newest version: re-uploading a file changes the page at once (the upload
  bumps the page's generation, wiki/pages/generations.py, so every cached view of it is
  rebuilt);
* a saved revision is compared (diff page, recent changes, a save's API note), and an old
  revision shown (``?rev=N``, the rendered diff), with the versions it was saved with:
  :func:`pinned_versions` records them on the revision (``Revision.openapi_sources``),
  :func:`as_saved` reads them back. Revisions saved before they were recorded use the
  newest version uploaded at or before their time.

Only ``wiki.models`` is read here (like ``wiki.rendering.cache``), not ``wiki.files``: the
files service queues a page whose blocks use an uploaded file for re-indexing, and
``wiki.search`` builds that page's document through this module (wiki/search/sources.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Attachment, Blob, Page, Revision
from wiki.rendering.openapi.blocks import attachment_refs, inline_attachments
from wiki.rendering.openapi.loading import MAX_SOURCE_CHARS


def _version_of(
    page_id: int, name: str, *, version: int | None = None, at: datetime | None = None
) -> tuple[int, str] | None:
    """(version, blob SHA) of ``name``: version ``version``, else the newest uploaded at or
    before ``at``, else the newest."""
    stmt = select(Attachment.version, Attachment.blob_sha).where(
        Attachment.page_id == page_id, Attachment.name == name
    )
    if version is not None:
        stmt = stmt.where(Attachment.version == version)
    elif at is not None:
        stmt = stmt.where(Attachment.created_at <= at)
    row = db.session.execute(stmt.order_by(Attachment.version.desc()).limit(1)).first()
    return (row[0], row[1]) if row is not None else None


def _text(sha: str) -> str | None:
    data = db.session.scalar(select(Blob.data).where(Blob.sha256 == sha))
    if data is None:
        return None
    # One character over the limit is enough for the loader to refuse it clearly.
    return data[: MAX_SOURCE_CHARS * 4].decode("utf-8", "replace")[: MAX_SOURCE_CHARS + 1]


def _texts(
    body: str,
    page_id: int,
    versions: Mapping[str, int] | None = None,
    at: datetime | None = None,
) -> dict[str, str]:
    """The text of each attachment the blocks of ``body`` name: the ``versions`` given (a
    name not in them did not exist), else the newest as of ``at`` (None: now)."""
    texts = {}
    for name in sorted(attachment_refs(body)):
        if versions is not None and name not in versions:
            continue  # it had no such attachment then: the block shows the error box
        found = _version_of(page_id, name, version=(versions or {}).get(name), at=at)
        if found is not None and (text := _text(found[1])) is not None:
            texts[name] = text
    return texts


def _inlined(body: str, page_id: int, **which) -> str:
    texts = _texts(body, page_id, **which)
    return inline_attachments(body, texts) if texts else body


def with_attachments(body: str, title: str | None) -> str:
    """``body`` with the attachments its ```openapi blocks name (the newest version of each
    file of page ``title``) written into those blocks; unchanged when there are none.

    A missing attachment leaves its block as it is (it renders as an error box naming it).
    """
    if not title or "openapi" not in body:
        return body
    page_id = db.session.scalar(select(Page.id).where(Page.title == title))
    return _inlined(body, page_id) if page_id is not None else body


def newest_texts(page_id: int, body: str) -> list[str]:
    """The newest text of each attachment that ```openapi blocks of ``body`` name (page
    ``page_id``), in name order; none for most bodies, at the cost of a substring test."""
    return list(_texts(body, page_id).values()) if "openapi" in body else []


def uses_attachment(body: str, name: str) -> bool:
    """Whether an ```openapi block of ``body`` names the attachment ``name``."""
    return "openapi" in body and name in attachment_refs(body)


def pinned_versions(page_id: int, body: str) -> str | None:
    """What :attr:`Revision.openapi_sources` records for a revision of ``body`` saved now:
    the newest version of each attachment its blocks name, as JSON; None when they name none.

    Called under the page's lock, which uploads take too, so no version can slip in between.
    """
    names = attachment_refs(body)
    if not names:
        return None
    versions = {}
    for name in sorted(names):
        found = _version_of(page_id, name)
        if found is not None:
            versions[name] = found[0]
    return json.dumps(versions, sort_keys=True)


def as_saved(revision: Revision | None) -> str:
    """The revision's body with the attachment versions it was saved with written in ("" for
    None: the empty page before the first revision)."""
    if revision is None:
        return ""
    body = revision.body
    if "openapi" not in body:
        return body
    if revision.openapi_sources is not None:
        return _inlined(body, revision.page_id, versions=json.loads(revision.openapi_sources))
    return _inlined(body, revision.page_id, at=revision.created_at)


def for_view(revision: Revision, *, current: bool) -> str:
    """The body a view of ``revision`` renders, attachments written in: the page's current
    revision with the newest version of each (a re-upload changes the page at once), an
    older revision with the versions it was saved with (as its diff compares it). Read by
    page id, so an old revision of a renamed page finds its own page's files."""
    if "openapi" not in revision.body:
        return revision.body
    return _inlined(revision.body, revision.page_id) if current else as_saved(revision)
