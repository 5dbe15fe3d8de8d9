"""What an edit changed in a page's API, kept on its notification for "API: 2 breaking
changes" (#18)

Revision ID: c23_api_notes
Revises: c22_open_threads
"""

import sqlalchemy as sa
from alembic import op

revision = "c23_api_notes"
down_revision = "c22_open_threads"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("api_breaking", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("api_changes", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("api_changes")
        batch_op.drop_column("api_breaking")
