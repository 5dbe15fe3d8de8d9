"""OpenAPI documents in pages: rendered as API references, compared between revisions.

Pure package (no Flask, no database):

- ``loading`` reads YAML/JSON safely (alias bombs refused), ``validating`` checks it with
  openapi-spec-validator (no network, no files), ``refs`` follows internal ``$ref``s;
- ``html`` (with ``schema_html``) renders one ```openapi block: :func:`render_block`, the
  superfences formatter ``openapi_fence``; ``toc`` adds its operations to the page contents;
- ``compare`` lists the API changes between two page bodies: :func:`compare_bodies`
  (``ApiChanges.summary`` words them with :func:`wiki.text.api_summary.summary_text`);
- ``blocks`` finds the blocks in Markdown and writes in the attachments they name (the caller,
  ``wiki.rendering.openapi_sources``, reads those from the database).
"""

from wiki.rendering.openapi.compare import (
    ApiChanges,
    Change,
    CompareTimeout,
    compare_bodies,
    compare_documents,
    might_have_api,
)
from wiki.rendering.openapi.html import render_block
from wiki.rendering.openapi.loading import OpenAPIError, load_document

__all__ = [
    "ApiChanges",
    "Change",
    "CompareTimeout",
    "OpenAPIError",
    "compare_bodies",
    "compare_documents",
    "load_document",
    "might_have_api",
    "render_block",
]
