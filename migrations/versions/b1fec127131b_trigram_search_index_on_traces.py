"""trigram search index on traces (PostgreSQL only)

The traces list's search is ILIKE '%term%' on five columns; a GIN trigram index answers it without reading every
trace. SQLite has no such index: there the search stays a scan, and this migration does nothing.

Revision ID: b1fec127131b
Revises: 8c6f51864116
Create Date: 2026-11-26 09:59:29.267939

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b1fec127131b'
down_revision = '8c6f51864116'
branch_labels = None
depends_on = None

SEARCHED = ['trace_id', 'name', 'input_preview', 'output_preview', 'distinct_id']


def _is_postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not _is_postgresql():
        return
    # pg_trgm is a trusted extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index('ix_traces_search_trgm', 'traces', SEARCHED, unique=False, postgresql_using='gin',
                    postgresql_ops={column: 'gin_trgm_ops' for column in SEARCHED})


def downgrade():
    if not _is_postgresql():
        return
    # The extension stays: dropping it could break anything else in the database that came to use it.
    op.drop_index('ix_traces_search_trgm', table_name='traces')
