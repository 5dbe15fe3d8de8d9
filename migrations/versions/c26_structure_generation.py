"""A site-wide structure generation: the page tree beside every page lists its neighbours,
so a page created, deleted, restored or renamed changes views of other pages (#21)

Revision ID: c26_structure_generation
Revises: c25_openapi_sources
"""

import sqlalchemy as sa
from alembic import op

revision = "c26_structure_generation"
down_revision = "c25_openapi_sources"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "site_generations",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_site_generations")),
    )
    op.bulk_insert(table, [{"name": "structure", "value": 0}])


def downgrade():
    op.drop_table("site_generations")
