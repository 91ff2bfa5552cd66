"""Small helpers every service shares: id parsing, LIKE escaping, chunking, committing with a clear refusal."""
from __future__ import annotations

import uuid
from typing import Any, Iterable

from sqlalchemy.exc import IntegrityError

from reviewapp.extensions import db
from reviewapp.services.errors import ServiceError


def as_uuid(value: Any) -> uuid.UUID | None:
    """The value as a UUID, or None when it is not one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped (use escape='\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def commit_or(error: ServiceError) -> None:
    """Commit; if a constraint refuses (a race another request won), roll back and raise `error` instead."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise error from None
