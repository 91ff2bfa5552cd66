"""Small helpers every service shares: id parsing, text cleaning, list ordering, LIKE escaping, chunking, committing
with a clear refusal."""
from __future__ import annotations

import uuid
from typing import Any, Iterable

from sqlalchemy.exc import IntegrityError

from reviewapp.extensions import db
from reviewapp.services.errors import ServiceError, ValidationError
from reviewapp.services.errors import required as missing


def as_uuid(value: Any) -> uuid.UUID | None:
    """The value as a UUID, or None when it is not one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


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
