"""PostgreSQL search: a sub-page title's words are indexed one by one

Revision ID: c28_search_title_slashes
Revises: c27_pg_prefix_indexes

PostgreSQL's parser reads "Core concepts/Authentication and authorization" as the file path
``concepts/authentication``, so neither word matched the title on its own (nor "Django REST
Framework" in "Key technologies/Django REST Framework" as a phrase). The title now reaches
the generated ``tsv`` column with each ``/`` read as a space; the column is computed again
for every row (nothing is deleted, search keeps answering after the migration).
"""

from alembic import op

revision = "c28_search_title_slashes"
down_revision = "c27_pg_prefix_indexes"
branch_labels = None
depends_on = None

_TSV = """
    ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', {title} || ' ' || coalesce(title_terms, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(headings, '') || ' ' || coalesce(tags, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(body_text, '')), 'C') ||
        setweight(to_tsvector('simple', coalesce(code, '')), 'D')
    ) STORED
"""


def _replace_tsv(title: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
    op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS tsv")
    op.execute(_TSV.format(title=title))
    op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _replace_tsv("translate(coalesce(title, ''), '/', ' ')")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _replace_tsv("coalesce(title, '')")
