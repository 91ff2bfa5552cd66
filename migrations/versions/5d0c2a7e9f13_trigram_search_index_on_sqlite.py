"""trigram search index on traces (SQLite only)

The traces list's search read every trace of the project on SQLite. An FTS5 table of trigrams over the searched
columns (external content: it reads the text from `traces`) answers it instead, kept in step by triggers, and is
filled from the traces already stored. PostgreSQL has its pg_trgm index (b1fec127131b): there this does nothing.

The statements are copied from models/trace.py (SQLITE_SEARCH_DDL) as they stand at this revision. A later
migration that rebuilds `traces` on SQLite (batch_alter_table copies it to a new table) drops the triggers with
the old table, and must create them again.

Revision ID: 5d0c2a7e9f13
Revises: b1fec127131b
Create Date: 2026-11-27 10:52:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d0c2a7e9f13'
down_revision = 'b1fec127131b'
branch_labels = None
depends_on = None

CREATE = (
    """CREATE VIRTUAL TABLE traces_search USING fts5(
        trace_id, name, input_preview, output_preview, distinct_id,
        content='traces', content_rowid='id', tokenize='trigram', columnsize=0)""",
    """CREATE TRIGGER traces_search_after_insert AFTER INSERT ON traces BEGIN
        INSERT INTO traces_search(rowid, trace_id, name, input_preview, output_preview, distinct_id)
        VALUES (new.id, new.trace_id, new.name, new.input_preview, new.output_preview, new.distinct_id);
    END""",
    """CREATE TRIGGER traces_search_after_delete AFTER DELETE ON traces BEGIN
        INSERT INTO traces_search(traces_search, rowid, trace_id, name, input_preview, output_preview, distinct_id)
        VALUES ('delete', old.id, old.trace_id, old.name, old.input_preview, old.output_preview, old.distinct_id);
    END""",
    """CREATE TRIGGER traces_search_after_update
    AFTER UPDATE OF trace_id, name, input_preview, output_preview, distinct_id ON traces
    WHEN old.trace_id IS NOT new.trace_id OR old.name IS NOT new.name OR old.input_preview IS NOT new.input_preview
        OR old.output_preview IS NOT new.output_preview OR old.distinct_id IS NOT new.distinct_id
    BEGIN
        INSERT INTO traces_search(traces_search, rowid, trace_id, name, input_preview, output_preview, distinct_id)
        VALUES ('delete', old.id, old.trace_id, old.name, old.input_preview, old.output_preview, old.distinct_id);
        INSERT INTO traces_search(rowid, trace_id, name, input_preview, output_preview, distinct_id)
        VALUES (new.id, new.trace_id, new.name, new.input_preview, new.output_preview, new.distinct_id);
    END""",
)


def _is_sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if not _is_sqlite():
        return
    for statement in CREATE:
        op.execute(statement)
    # Index the traces stored before this revision.
    op.execute("INSERT INTO traces_search(traces_search) VALUES ('rebuild')")


def downgrade():
    if not _is_sqlite():
        return
    for trigger in ("after_update", "after_delete", "after_insert"):
        op.execute(f"DROP TRIGGER traces_search_{trigger}")
    op.execute("DROP TABLE traces_search")
