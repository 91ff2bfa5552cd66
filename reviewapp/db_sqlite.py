"""SQLite connection settings: foreign keys on, WAL for concurrent readers, a busy timeout for writers."""
from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Checkpoint every 64 MiB of WAL rather than 4 MiB: fewer fsyncs, and a page written by several commits
        # is copied to the database once, which speeds up ingestion (benchmarks/ingest.py).
        cursor.execute("PRAGMA wal_autocheckpoint=16384")
        cursor.close()
