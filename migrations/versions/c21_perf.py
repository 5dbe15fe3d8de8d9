"""Page generations for cache invalidation; who searched what for wanted pages (#21, #20.3)

Revision ID: c21_perf
Revises: abe8854cbd7a
"""

import sqlalchemy as sa
from alembic import op

revision = "c21_perf"
down_revision = "c20_security"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("generation", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("render_cache", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("generation", sa.Integer(), nullable=False, server_default="-1")
        )
    with op.batch_alter_table("search_misses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("searchers", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("dismissed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "search_miss_searchers",
        sa.Column("query_key", sa.String(length=500), nullable=False),
        sa.Column("searcher", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["query_key"],
            ["search_misses.query_key"],
            name=op.f("fk_search_miss_searchers_query_key_search_misses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("query_key", "searcher", name=op.f("pk_search_miss_searchers")),
    )


def downgrade():
    op.drop_table("search_miss_searchers")
    with op.batch_alter_table("search_misses", schema=None) as batch_op:
        batch_op.drop_column("dismissed")
        batch_op.drop_column("searchers")
    with op.batch_alter_table("render_cache", schema=None) as batch_op:
        batch_op.drop_column("generation")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("generation")
