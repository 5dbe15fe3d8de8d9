"""PostgreSQL: a trigram index on lower(title) for search suggestions' word-start matches

Revision ID: c28_search_title_trigrams
Revises: c28_search_title_slashes

When fewer titles than asked start with what was typed, suggestions look for titles with a
word starting with it (``lower(title) ~ '(^|[^[:alnum:]_])zip'``): a scan of every title,
~5 ms at 10,000 pages on a quiet server. pg_trgm's GIN index serves that regular expression
(0.3 ms). The extension ships with PostgreSQL but creating it may need rights the wiki's
role lacks: then nothing is created and suggestions scan titles as before.
"""

from alembic import op

revision = "c28_search_title_trigrams"
down_revision = "c28_search_title_slashes"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        DO $$
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
            RAISE NOTICE 'pg_trgm unavailable: suggestions scan titles';
        END $$;
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                CREATE INDEX ix_pages_title_lower_trgm ON pages
                    USING gin (lower(title) gin_trgm_ops);
            END IF;
        END $$;
        """
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_pages_title_lower_trgm")
