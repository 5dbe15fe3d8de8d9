"""PostgreSQL: the search GIN indexes are written through, with no pending list

Revision ID: c29_gin_without_pending_list
Revises: c28_search_title_trigrams

With GIN's default ``fastupdate``, new entries go to a pending list that every search reads
from start to end until a VACUUM merges it into the index. Until then the planner prices
the index so high that it scans every row instead: at 10,000 pages, a search for a word no
page holds read the whole table (10-15 ms) on a server whose autovacuum had not run yet,
and every save lengthens the list again. A wiki is searched far more often than it is
saved, so each save now writes its entries into the index itself (a page's few hundred
words), and searches never depend on when VACUUM last ran. The lists already pending are
merged here.
"""

from alembic import op

revision = "c29_gin_without_pending_list"
down_revision = "c28_search_title_trigrams"
branch_labels = None
depends_on = None

INDEXES = ("ix_search_documents_tsv", "ix_pages_title_lower_trgm")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        # The trigram index exists only where pg_trgm could be created (c28).
        op.execute(
            f"""
            DO $$
            BEGIN
                IF to_regclass('{name}') IS NOT NULL THEN
                    ALTER INDEX {name} SET (fastupdate = off);
                    PERFORM gin_clean_pending_list('{name}'::regclass);
                END IF;
            END $$;
            """
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(
            f"DO $$ BEGIN IF to_regclass('{name}') IS NOT NULL THEN "
            f"ALTER INDEX {name} RESET (fastupdate); END IF; END $$;"
        )
