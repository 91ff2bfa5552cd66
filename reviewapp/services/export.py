"""Review export: every live review matching the filters, as CSV or JSON Lines, produced a page at a time so
an export of any size runs in bounded memory. Each scorer has its value, the version it was scored against and
whether it passed that version's rule (true, false, or empty / null without a rule)."""
from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ReviewQueue, ScoreDefinition, TraceReview, TraceReviewScore, User
from reviewapp.services.errors import ValidationError
from reviewapp.services.reviews import ReviewFilters, review_conditions
from reviewapp.services.scorer_config import format_decimal

FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
PAGE_SIZE = 1000
FIXED_COLUMNS = ("trace_id", "comment", "reviewed_by", "created_at", "updated_at", "queue", "time_spent_seconds")
# A spreadsheet would run a cell starting with one of these as a formula; text cells get a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Column:
    """One scorer's columns: its value, the version it was scored against, and its verdict ("<label> passed")."""

    definition_id: uuid.UUID
    kind: str
    label: str


def validate_format(raw: Any) -> str:
    fmt = "csv" if raw is None or raw == "" else raw
    if fmt not in FORMATS:
        text = str(fmt)[:60]
        raise ValidationError(f"“{text}” is not a valid choice. Choose csv or jsonl.", "format", "invalid_choice")
    return fmt


def export_reviews(project_id: int, fmt: str, filters: ReviewFilters | None = None) -> Iterator[str]:
    """The export as chunks of text (a header then one page of reviews per chunk). The format is checked
    now; the reviews are read as the chunks are consumed, oldest review first."""
    fmt = validate_format(fmt)
    columns = score_columns(project_id)
    conditions = review_conditions(project_id, filters or ReviewFilters())
    pages = _pages(conditions)
    return _csv(columns, pages) if fmt == "csv" else _jsonl(columns, pages)


def filename(project_id: int, fmt: str, when) -> str:
    return f"trace-reviews-project-{project_id}-{when:%Y%m%d-%H%M%S}.{fmt}"


def score_columns(project_id: int) -> list[Column]:
    """Every scorer of the project (archived too) by name; a name shared by several scorers, or clashing with
    another column, gets the end of the scorer's id appended so every heading is unique."""
    definitions = db.session.execute(
        select(ScoreDefinition.id, ScoreDefinition.name, ScoreDefinition.kind)
        .where(ScoreDefinition.project_id == project_id)
        .order_by(ScoreDefinition.name, ScoreDefinition.id)
    ).all()
    counts: dict[str, int] = {}
    for _, name, _ in definitions:
        counts[name] = counts.get(name, 0) + 1
    used = set(FIXED_COLUMNS)
    columns: list[Column] = []
    for definition_id, name, kind in definitions:
        label = name
        if counts[name] > 1 or any(heading in used for heading in _headings(label)):
            label = f"{name} ({definition_id.hex[-8:]})"
        used.update(_headings(label))
        columns.append(Column(definition_id, kind, label))
    return columns


def _headings(label: str) -> tuple[str, str, str]:
    return label, f"{label} version", f"{label} passed"


@dataclass
class _Row:
    trace_id: str
    comment: str | None
    reviewed_by: str | None
    created_at: Any
    updated_at: Any
    queue: str | None
    time_spent_seconds: float | None
    scores: dict[uuid.UUID, tuple[Any, int, bool | None]]  # definition id → (value, version, passed)


def _pages(conditions: list[Any]) -> Iterator[list[_Row]]:
    """Pages of reviews by id (time-ordered), each with its scores: two queries per page, nothing kept after."""
    after: uuid.UUID | None = None
    while True:
        query = (
            select(TraceReview.id, TraceReview.trace_id, TraceReview.comment, User.email, TraceReview.created_at,
                   TraceReview.updated_at, ReviewQueue.name, TraceReview.time_spent_seconds)
            .outerjoin(User, User.id == TraceReview.reviewed_by_id)
            .outerjoin(ReviewQueue, ReviewQueue.id == TraceReview.queue_id)
            .where(*conditions)
            .order_by(TraceReview.id)
            .limit(PAGE_SIZE)
        )
        if after is not None:
            query = query.where(TraceReview.id > after)
        reviews = db.session.execute(query).all()
        if not reviews:
            return
        ids = [row[0] for row in reviews]
        scores: dict[uuid.UUID, dict[uuid.UUID, tuple[Any, int, bool | None]]] = {review_id: {} for review_id in ids}
        for review_id, definition_id, categorical, numeric, boolean, version, passed in db.session.execute(
            select(TraceReviewScore.review_id, TraceReviewScore.definition_id, TraceReviewScore.categorical_values,
                   TraceReviewScore.numeric_value, TraceReviewScore.boolean_value,
                   TraceReviewScore.definition_version, TraceReviewScore.passed)
            .where(TraceReviewScore.review_id.in_(ids))
        ):
            value = categorical if categorical is not None else numeric if numeric is not None else boolean
            scores[review_id][definition_id] = (value, version, passed)
        yield [_Row(row[1], row[2], row[3], row[4], row[5], row[6], row[7], scores[row[0]]) for row in reviews]
        after = ids[-1]
        if len(reviews) < PAGE_SIZE:
            return


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def numeric_text(value: Any) -> str:
    """A numeric score as the API writes it: PostHog's decimal string with six places ("1.500000")."""
    return f"{Decimal(str(value)):.6f}"


def plain_number(value: Any) -> str:
    """A number as a spreadsheet reads it: plain decimal notation, no exponent, no trailing zeros (1.5, 10,
    0.000001, 1000000)."""
    return format_decimal(Decimal(str(value)))


def json_number(value: Any) -> int | float:
    """A stored number as a JSON number (the API keeps PostHog's decimal strings; a file for analysis wants
    numbers): whole numbers exactly, others as the nearest float."""
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def _cell_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(value)
    return plain_number(value)


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv(columns: list[Column], pages: Iterator[list[_Row]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    header = list(FIXED_COLUMNS)
    for column in columns:
        header += [_text(heading) for heading in _headings(column.label)]
    writer.writerow(header)
    yield flush()
    for page in pages:
        for row in page:
            cells = [_text(row.trace_id), _text(row.comment), _text(row.reviewed_by), _iso(row.created_at),
                     _iso(row.updated_at), _text(row.queue),
                     "" if row.time_spent_seconds is None else plain_number(row.time_spent_seconds)]
            for column in columns:
                value, version, passed = row.scores.get(column.definition_id, (None, None, None))
                cells += [_cell_value(value), "" if version is None else str(version), _cell_value(passed)]
            writer.writerow(cells)
        yield flush()


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, list)):
        return value
    return json_number(value)


def _jsonl(columns: list[Column], pages: Iterator[list[_Row]]) -> Iterator[str]:
    for page in pages:
        lines = []
        for row in page:
            scores = {
                column.label: {"definition_id": str(column.definition_id), "kind": column.kind,
                               "value": _json_value(row.scores[column.definition_id][0]),
                               "version": row.scores[column.definition_id][1],
                               "passed": row.scores[column.definition_id][2]}
                for column in columns if column.definition_id in row.scores
            }
            lines.append(json.dumps({
                "trace_id": row.trace_id,
                "comment": row.comment,
                "reviewed_by": row.reviewed_by,
                "created_at": _iso(row.created_at),
                "updated_at": _iso(row.updated_at),
                "queue": row.queue,
                "time_spent_seconds": None if row.time_spent_seconds is None else json_number(row.time_spent_seconds),
                "scores": scores,
            }, ensure_ascii=False) + "\n")
        yield "".join(lines)
