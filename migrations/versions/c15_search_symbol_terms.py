"""search: title_terms (the title's parts and symbol terms, weight A); rows rebuilt

Revision ID: c15_search
Revises: abe8854cbd7a
Create Date: 2026-12-06 12:30:00

Terms with symbols (C++, N+1, HTTP/2) are now stored as lexemes of their own, so every
``search_documents`` row is out of date: they are deleted, and the PostgreSQL search backend
rebuilds them from the pages on first use (``PgBackend.needs_rebuild``).
"""

import sqlalchemy as sa
from alembic import op

revision = "c15_search"
down_revision = "abe8854cbd7a"
branch_labels = None
depends_on = None

_TSV = """
    ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '') {title_terms}), 'A') ||
        setweight(to_tsvector('english', coalesce(headings, '') || ' ' || coalesce(tags, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(body_text, '')), 'C') ||
        setweight(to_tsvector('simple', coalesce(code, '')), 'D')
    ) STORED
"""


def _replace_tsv(title_terms: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
    op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS tsv")
    op.execute(_TSV.format(title_terms=title_terms))
    op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")


def upgrade():
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title_terms", sa.Text(), nullable=False, server_default="")
        )
    op.execute("DELETE FROM search_documents")
    if op.get_bind().dialect.name == "postgresql":
        _replace_tsv("|| ' ' || coalesce(title_terms, '')")


def downgrade():
    op.execute("DELETE FROM search_documents")
    if op.get_bind().dialect.name == "postgresql":
        _replace_tsv("")
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_column("title_terms")
