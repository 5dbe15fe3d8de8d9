"""The page attachments that ```openapi blocks name (``openapi: api.yaml``), read from the
database and put into the body before it is rendered or compared.

The pure renderer never touches the database; inlining the text into the body also makes
the render caches (pieces, per-revision HTML) key on the document itself.
"""

from __future__ import annotations

from sqlalchemy import select

from wiki.extensions import db
from wiki.files.service import blob_bytes, find_version
from wiki.models import Page
from wiki.rendering.openapi.blocks import attachment_refs, inline_attachments
from wiki.rendering.openapi.loading import MAX_SOURCE_CHARS


def with_attachments(body: str, title: str | None) -> str:
    """``body`` with the attachments its ```openapi blocks name (the newest version of each
    file of page ``title``) written into those blocks; unchanged when there are none.

    A missing attachment leaves its block as it is (it renders as an error box naming it).
    """
    names = attachment_refs(body) if title else set()
    if not names:
        return body
    page = db.session.scalar(select(Page).where(Page.title == title))
    if page is None:
        return body
    texts = {}
    for name in names:
        attachment = find_version(page, name)
        data = blob_bytes(attachment.blob_sha) if attachment is not None else None
        if data is not None:
            # One character over the limit is enough for the loader to refuse it clearly.
            texts[name] = data[: MAX_SOURCE_CHARS * 4].decode("utf-8", "replace")[
                : MAX_SOURCE_CHARS + 1
            ]
    return inline_attachments(body, texts)
