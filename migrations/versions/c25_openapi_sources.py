"""Which attachment versions a revision's ```openapi blocks named when it was saved, so API
changes compare each revision with its own document (#18)

Revision ID: c25_openapi_sources
Revises: c24_strip_image_metadata
"""

import sqlalchemy as sa
from alembic import op

revision = "c25_openapi_sources"
down_revision = "c24_strip_image_metadata"
branch_labels = None
depends_on = None


def upgrade():
    # NULL for revisions saved before this migration: they are read by upload time instead.
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("openapi_sources", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_column("openapi_sources")
