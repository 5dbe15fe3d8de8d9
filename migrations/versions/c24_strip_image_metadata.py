"""Images uploaded before uploads were stripped lose their EXIF/XMP/text metadata (#20 point 9)

A data migration: each stored JPEG, PNG or WebP blob that still carries metadata is replaced
by a stripped copy (new SHA-256; attachments repointed; the old blob deleted). One blob in
memory at a time; idempotent; damaged images are left alone (serving refuses to publish
their metadata). Same SQL on SQLite and PostgreSQL. Downgrading keeps the stripped bytes:
the metadata is gone for good, which is the point.

Revision ID: c24_strip_image_metadata
Revises: c23_api_notes
"""

import sys

from alembic import op

from wiki.files.stored_metadata import strip_stored_images

revision = "c24_strip_image_metadata"
down_revision = "c23_api_notes"
branch_labels = None
depends_on = None


def upgrade():
    report = strip_stored_images(op.get_bind())
    if report.rewritten or report.damaged:
        print(f"Image metadata: {report}", file=sys.stderr)


def downgrade():
    pass
