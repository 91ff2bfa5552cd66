"""Small helpers every service shares: id parsing, loading by id within a project, text cleaning, list ordering, LIKE
escaping, chunking, inserts that skip rows already stored, committing with a clear refusal, and leaving the session
clean after one."""
from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Insert

from reviewapp.extensions import db
from reviewapp.services.errors import NotFound, ServiceError, ValidationError
from reviewapp.services.errors import required as missing

# Python reads numbers of any length; the database fails with an overflow (a 500) on one past its column. So an
# offset past the largest bigint, or an id past the largest integer id column (PostgreSQL's int4), is refused first.
INT64_MAX = 2**63 - 1
ID_MAX = 2**31 - 1


def as_uuid(value: Any) -> uuid.UUID | None:
    """The value as a UUID, or None when it is not one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


T = TypeVar("T")


def load_by_id(scoped: Select[T], id_column: Any, raw_id: Any) -> T:
    """The one object of `scoped` (a select already limited to the project, and to live rows where that matters)
    whose `id_column` is `raw_id`, or NotFound: a malformed id and another project's id answer alike."""
    found_id = as_uuid(raw_id)
    found = db.session.scalar(scoped.where(id_column == found_id)) if found_id else None
    if found is None:
        raise NotFound()
    return found


def clean_text(raw: Any, attr: str, *, max_length: int, required: bool = True) -> str:
    """`raw` as trimmed text of at most `max_length` characters (counted after trimming, as the API reference
    does). A required field refuses None and blank text; an optional one reads None as ""."""
    if raw is None:
        if required:
            raise missing(attr)
        return ""
    if not isinstance(raw, str):
        raise ValidationError("Not a valid string.", attr)
    text = raw.strip()
    if required and not text:
        raise missing(attr)
    if len(text) > max_length:
        raise ValidationError(f"Ensure this field has no more than {max_length} characters.", attr)
    return text


def clean_order(raw: str | None, columns: Iterable[str]) -> str | None:
    """`raw` when it names one of `columns` (with a leading "-" for descending); None when it is empty."""
    if raw is None or raw == "":
        return None
    if raw.lstrip("-") not in columns:
        choices = ", ".join(sorted(columns))
        raise ValidationError(f"Select a valid choice. {raw} is not one of the available choices: {choices}.",
                              "order_by", "invalid_choice")
    return raw


def ordering(order: str | None, columns: dict[str, Any], default: list[Any], tiebreak: Any) -> list[Any]:
    """The ORDER BY for `order` (a key of `columns`, "-" first for descending), with `tiebreak` in the same
    direction so pages never overlap; `default` when there is no order."""
    if not order:
        return default
    column = columns[order.lstrip("-")]
    return [column.desc(), tiebreak.desc()] if order.startswith("-") else [column.asc(), tiebreak.asc()]


def contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped (use escape='\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def insert_ignoring_conflicts(table: Table, index_elements: list[str]) -> Insert:
    """An INSERT into `table` that skips a row whose `index_elements` (a unique key) are already stored, in the
    session's own dialect (both databases write it `ON CONFLICT DO NOTHING`)."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=index_elements)


P = ParamSpec("P")
R = TypeVar("R")


def refusal_rolls_back(service: Callable[P, R]) -> Callable[P, R]:
    """Every public write service carries this: if it refuses (any ServiceError), whatever it had already changed
    in the session is rolled back before the caller hears of it. A page that re-renders the form after a refusal
    therefore shows what is stored, never a half-applied edit, and needs no rollback of its own."""
    @functools.wraps(service)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except ServiceError:
            db.session.rollback()
            raise
    return guarded


def commit_keeping_state() -> None:
    """Commit without expiring what the session holds. What this transaction wrote stays as written (not a value
    a concurrent writer committed a moment later), and rows it only read (the member, the project, the user)
    are not fetched again by the rest of the request: on PostgreSQL each refetch is a round trip."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def commit_or(error: ServiceError, *, commit: bool = True) -> None:
    """Commit (with commit=False only flush, for a caller whose transaction goes on); if a constraint refuses (a
    race another request won), roll back and raise `error` instead."""
    try:
        if commit:
            db.session.commit()
        else:
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise error from None
