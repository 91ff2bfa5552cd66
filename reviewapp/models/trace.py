"""The trace store: every raw `$ai_*` event kept whole, one summary row per trace kept current on ingest, and
the models each trace used (for the model filter)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    column,
    event,
    table,
)
from sqlalchemy.orm import Mapped, mapped_column

from reviewapp.models.base import TRACES_SEARCH, Base, UTCDateTime, json_type, utcnow

BigIntPK = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER keys
SEARCHED = ("trace_id", "name", "input_preview", "output_preview", "distinct_id")  # what the list's search reads


class TraceEvent(Base):
    __tablename__ = "trace_events"
    __table_args__ = (
        UniqueConstraint("project_id", "uuid"),  # SDK retries store nothing twice
        Index("ix_trace_events_project_trace_ts", "project_id", "trace_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    uuid: Mapped[str] = mapped_column(String(64))
    trace_id: Mapped[str] = mapped_column(String(255))
    event: Mapped[str] = mapped_column(String(64))
    distinct_id: Mapped[str | None] = mapped_column(String(200))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    span_id: Mapped[str | None] = mapped_column(String(255))
    parent_id: Mapped[str | None] = mapped_column(String(255))
    properties: Mapped[dict] = mapped_column(json_type())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Trace(Base):
    __tablename__ = "traces"
    __table_args__ = (
        UniqueConstraint("project_id", "trace_id"),
        Index("ix_traces_project_first_ts", "project_id", "first_timestamp"),
        Index("ix_traces_project_error_ts", "project_id", "has_error", "first_timestamp"),
        Index("ix_traces_project_session", "project_id", "session_id"),
        Index("ix_traces_project_last_ts", "project_id", "last_timestamp"),
        # The traces list's other sort orders.
        Index("ix_traces_project_cost", "project_id", "total_cost_usd"),
        Index("ix_traces_project_latency", "project_id", "latency_seconds"),
        Index("ix_traces_project_input_tokens", "project_id", "input_tokens"),
        # The list's search (ILIKE '%term%' on each searched column) through trigrams on PostgreSQL; SQLite has
        # its own trigram index, the FTS5 table below.
        Index("ix_traces_search_trgm", *SEARCHED, postgresql_using="gin",
              postgresql_ops={name: "gin_trgm_ops" for name in SEARCHED}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    trace_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    first_timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    last_timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    session_id: Mapped[str | None] = mapped_column(String(255))
    distinct_id: Mapped[str | None] = mapped_column(String(200))
    models: Mapped[list[str]] = mapped_column(json_type(), default=list)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    generation_count: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cost_usd: Mapped[float] = mapped_column(Numeric(18, 8, asdecimal=False), default=0)
    latency_seconds: Mapped[float | None] = mapped_column(Float)
    has_error: Mapped[bool] = mapped_column(Boolean, default=False)
    has_root: Mapped[bool] = mapped_column(Boolean, default=False)
    input_preview: Mapped[str | None] = mapped_column(Text)
    output_preview: Mapped[str | None] = mapped_column(Text)
    # The latest end (timestamp + latency) of any event: the latency when there is no root to say it.
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which event each picked field (name, session, distinct id, previews, root latency) came from, as
    # [priority, "timestamp|uuid"], so a late event can be merged into the row as if it had come in order.
    provenance: Mapped[dict] = mapped_column(json_type(), default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The trigram operator class comes from the pg_trgm extension (a trusted one: the database owner may create it).
event.listen(Trace.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))

# SQLite's index for the list's search: an FTS5 table of the searched columns' trigrams that reads its text from
# `traces` (external content, so nothing is stored twice), kept in step by triggers. The update trigger fires only
# when a searched column changed: ingestion rewrites a trace's summary row on every batch that touches it.
# columnsize=0: no per-row token counts, which only ranking would read. Migration 5d0c2a7e9f13 builds the same.
SQLITE_SEARCH_DDL = (
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
for statement in SQLITE_SEARCH_DDL:
    event.listen(Trace.__table__, "after_create", DDL(statement).execute_if(dialect="sqlite"))
# The triggers go with `traces`; the FTS5 table and its shadow tables would stay behind.
event.listen(Trace.__table__, "before_drop", DDL("DROP TABLE IF EXISTS traces_search").execute_if(dialect="sqlite"))
# What the list's search queries: `traces_search MATCH :phrase` gives the rowids (trace ids) that match.
traces_search = table(TRACES_SEARCH, column("rowid"), column(TRACES_SEARCH))


class TraceModel(Base):
    """One row per model a trace used; its key serves the traces list's model filter."""

    __tablename__ = "trace_models"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(255), primary_key=True)
    trace_id: Mapped[str] = mapped_column(String(255), primary_key=True)
