"""The declarative base, shared column types and id/time helpers for every model."""
from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, MetaData, text, types
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)



LIVE = text("deleted_at IS NULL")


def live_index(name: str, *columns: str, unique: bool = False) -> Index:
    """An index over the live (not soft-deleted) rows only, the same partial index on both databases."""
    return Index(name, *columns, unique=unique, sqlite_where=LIVE, postgresql_where=LIVE)

def utcnow() -> datetime:
    return datetime.now(UTC)


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): 48-bit Unix milliseconds, then random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


class UTCDateTime(types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)



class JSONType(types.TypeDecorator):
    """JSON on SQLite, JSONB on PostgreSQL."""

    impl = types.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(types.JSON())


def json_type() -> JSONType:
    return JSONType()


# SQLite's full-text index of the traces list's search (built by DDL in models/trace.py, not a model) and the
# shadow tables FTS5 keeps beside it.
TRACES_SEARCH = "traces_search"
DDL_ONLY_TABLES = frozenset(
    [TRACES_SEARCH, *(f"{TRACES_SEARCH}_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config"))])


def exists_on(dialect_name: str, obj, name: str | None, type_: str) -> bool:
    """Whether a schema object is built on this database kind from the models: indexes declared with
    `Index(...).ddl_if(dialect="postgresql")` exist on PostgreSQL only, and the tables built by DDL alone
    (DDL_ONLY_TABLES) are no model's. Alembic's comparison (migrations/env.py and tests/test_migrations.py) asks
    this, since it does not read `ddl_if` itself, and would otherwise want to drop those tables."""
    if type_ == "table":
        return name not in DDL_ONLY_TABLES
    if type_ != "index":
        return True
    ddl_if = getattr(obj, "_ddl_if", None)
    return ddl_if is None or ddl_if.dialect is None or dialect_name == ddl_if.dialect
