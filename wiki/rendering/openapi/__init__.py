"""OpenAPI documents in pages: rendered as API references, compared between revisions.

Pure package (no Flask, no database): :func:`render_block` turns the text of one ```openapi
block into HTML; :func:`compare_bodies` lists the API changes between two page bodies.
Attachments a block refers to are read by the caller and passed in as text.
"""

from wiki.rendering.openapi.compare import ApiChanges, Change, compare_bodies, compare_documents
from wiki.rendering.openapi.html import render_block
from wiki.rendering.openapi.loading import OpenAPIError, load_document

__all__ = [
    "ApiChanges",
    "Change",
    "OpenAPIError",
    "compare_bodies",
    "compare_documents",
    "load_document",
    "render_block",
]
