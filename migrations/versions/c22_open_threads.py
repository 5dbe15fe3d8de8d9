"""Open discussion threads per page, kept on the page row for its "Discussion (N open)" tab
(#13); an index on lower(title) for A-Z lists that stop early (#21)

Revision ID: c22_open_threads
Revises: c21_perf
"""

import sqlalchemy as sa
from alembic import op

revision = "c22_open_threads"
down_revision = "c21_perf"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("open_threads", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE pages SET open_threads = (SELECT count(*) FROM discussion_threads t"
        " WHERE t.page_id = pages.id AND t.resolved = false)"
    )
    op.create_index("ix_pages_title_lower", "pages", [sa.text("lower(title)")])


def downgrade():
    op.drop_index("ix_pages_title_lower", table_name="pages")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("open_threads")
