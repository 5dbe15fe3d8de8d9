"""PostgreSQL: indexes for title prefix matches (the page tree's sub-pages, search
suggestions). Under a collation other than "C" (C.UTF-8 and every locale), a B-tree index
cannot serve ``LIKE 'abc%'``: these use the text_pattern_ops operator class, which can.
SQLite needs none (wiki.db.starts_with turns a prefix into a range on the title's index).

Revision ID: c27_pg_prefix_indexes
Revises: c26_structure_generation
"""

from alembic import op

revision = "c27_pg_prefix_indexes"
down_revision = "c26_structure_generation"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_pages_title_prefix ON pages (title text_pattern_ops)")
    op.execute("CREATE INDEX ix_pages_title_lower_prefix ON pages (lower(title) text_pattern_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_pages_title_lower_prefix")
    op.execute("DROP INDEX ix_pages_title_prefix")
