"""Review export: every live review matching the filters, as CSV or JSON Lines, produced a page at a time so
an export of any size runs in bounded memory. Each scorer has its value, the version it was scored against and
whether it passed that version's rule (true, false, or empty / null without a rule). Two more forms show the
judgments behind the reviews (services/review_judgments.py): long, a row per judgment and scorer; wide, a row per
trace with a column per reviewer and scorer."""
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
from reviewapp.services import review_judgments
from reviewapp.services.errors import ValidationError
from reviewapp.services.reviews import ReviewFilters, review_conditions
from reviewapp.services.scorer_config import format_decimal

FORMATS = ("csv", "jsonl")
FORMS = ("long", "wide")  # beside the default: a review per row
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


def validate_form(raw: Any) -> str | None:
    """None (the default: a review per row), "long" or "wide"."""
    if raw is None or raw == "":
        return None
    if raw not in FORMS:
        text = str(raw)[:60]
        raise ValidationError(f"“{text}” is not a valid choice. Choose long or wide.", "form", "invalid_choice")
    return raw


def export_reviews(project_id: int, fmt: str, filters: ReviewFilters | None = None,
                   form: str | None = None) -> Iterator[str]:
    """The export as chunks of text (a header then one page of reviews per chunk). The format and form are
    checked now; the reviews are read as the chunks are consumed, oldest review first."""
    fmt = validate_format(fmt)
    form = validate_form(form)
    columns = score_columns(project_id)
    conditions = review_conditions(project_id, filters or ReviewFilters())
    pages = _pages(conditions)
    if form == "long":
        return _long(project_id, fmt, columns, pages)
    if form == "wide":
        return _wide(project_id, fmt, columns, review_judgments.judge_columns(conditions), pages)
    return _csv(columns, pages) if fmt == "csv" else _jsonl(columns, pages)


def filename(project_id: int, fmt: str, when, form: str | None = None) -> str:
    kind = f"-{form}" if form else ""
    return f"trace-reviews{kind}-project-{project_id}-{when:%Y%m%d-%H%M%S}.{fmt}"


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
    review_id: uuid.UUID
    queue_id: uuid.UUID | None
    resolution: str
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
                   TraceReview.updated_at, ReviewQueue.name, TraceReview.time_spent_seconds, TraceReview.queue_id,
                   TraceReview.resolution)
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
        yield [_Row(row[0], row[8], row[9], row[1], row[2], row[3], row[4], row[5], row[6], row[7], scores[row[0]])
               for row in reviews]
        after = ids[-1]
        if len(reviews) < PAGE_SIZE:
            return


def iso(value) -> str:
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


def cell_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(value)
    return plain_number(value)


def text_cell(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _CsvText:
    """A CSV writer whose rows are taken back as text a page at a time, so an export streams in bounded memory."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def writerow(self, row: list[str]) -> None:
        self._writer.writerow(row)

    def flush(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def _csv(columns: list[Column], pages: Iterator[list[_Row]]) -> Iterator[str]:
    writer = _CsvText()
    header = list(FIXED_COLUMNS)
    for column in columns:
        header += [text_cell(heading) for heading in _headings(column.label)]
    writer.writerow(header)
    yield writer.flush()
    for page in pages:
        for row in page:
            cells = [text_cell(row.trace_id), text_cell(row.comment), text_cell(row.reviewed_by),
                     iso(row.created_at), iso(row.updated_at), text_cell(row.queue),
                     "" if row.time_spent_seconds is None else plain_number(row.time_spent_seconds)]
            for column in columns:
                value, version, passed = row.scores.get(column.definition_id, (None, None, None))
                cells += [cell_value(value), "" if version is None else str(version), cell_value(passed)]
            writer.writerow(cells)
        yield writer.flush()


def json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, list)):
        return value
    return json_number(value)


def _jsonl(columns: list[Column], pages: Iterator[list[_Row]]) -> Iterator[str]:
    for page in pages:
        lines = []
        for row in page:
            scores = {
                column.label: {"definition_id": str(column.definition_id), "kind": column.kind,
                               "value": json_value(row.scores[column.definition_id][0]),
                               "version": row.scores[column.definition_id][1],
                               "passed": row.scores[column.definition_id][2]}
                for column in columns if column.definition_id in row.scores
            }
            lines.append(json.dumps({
                "trace_id": row.trace_id,
                "comment": row.comment,
                "reviewed_by": row.reviewed_by,
                "created_at": iso(row.created_at),
                "updated_at": iso(row.updated_at),
                "queue": row.queue,
                "time_spent_seconds": None if row.time_spent_seconds is None else json_number(row.time_spent_seconds),
                "scores": scores,
            }, ensure_ascii=False) + "\n")
        yield "".join(lines)


# --- the judgments behind the reviews: long and wide -------------------------------------------------------

LONG_COLUMNS = ("trace_id", "queue", "reviewer", "scorer", "version", "value", "passed", "comment", "judged_at",
                "final value", "resolution")
UNKNOWN_REVIEWER = "(deleted account)"
Scores = dict[uuid.UUID, tuple[Any, int, bool | None]]


def _judges(project_id: int, page: list[_Row]) -> dict[uuid.UUID, list[review_judgments.JudgmentRecord]]:
    """Each review's judges: the judgments behind a settled review (one query per page); a review saved by one
    reviewer is its own single judgment."""
    behind = review_judgments.records_for(
        project_id, [(row.review_id, row.trace_id, row.queue_id, row.resolution) for row in page])
    for row in page:
        if row.resolution not in review_judgments.SETTLED:
            behind[row.review_id] = [review_judgments.JudgmentRecord(row.reviewed_by, row.comment, row.updated_at,
                                                                     row.scores)]
    return behind


def _long_rows(columns: list[Column], row: _Row, judges: list[review_judgments.JudgmentRecord]) -> Iterator[dict]:
    """A row per judgment and scorer it answered (one with no scorer for a judgment with a comment only), in the
    order of the scorer columns; values as JSON has them."""
    for judge in judges:
        base = {"trace_id": row.trace_id, "queue": row.queue, "reviewer": judge.reviewer or UNKNOWN_REVIEWER}
        tail = {"comment": judge.comment, "judged_at": iso(judge.judged_at)}
        answered = [column for column in columns if column.definition_id in judge.scores]
        if not answered:
            yield base | {"scorer": None, "version": None, "value": None, "passed": None} | tail | {
                "final value": None, "resolution": row.resolution}
        for column in answered:
            value, version, passed = judge.scores[column.definition_id]
            final = row.scores.get(column.definition_id, (None, None, None))[0]
            yield base | {"scorer": column.label, "version": version, "value": value, "passed": passed} | tail | {
                "final value": final, "resolution": row.resolution}


def _long(project_id: int, fmt: str, columns: list[Column], pages: Iterator[list[_Row]]) -> Iterator[str]:
    def lines() -> Iterator[list[dict]]:
        for page in pages:
            judges = _judges(project_id, page)
            yield [line for row in page for line in _long_rows(columns, row, judges.get(row.review_id, []))]

    return _write_dicts(fmt, list(LONG_COLUMNS), lines())


def _wide(project_id: int, fmt: str, columns: list[Column], pairs: list[tuple[str | None, uuid.UUID]],
          pages: Iterator[list[_Row]]) -> Iterator[str]:
    """A row per review: its final value per scorer, its resolution, then a column per reviewer and scorer."""
    labels = {column.definition_id: column.label for column in columns}
    judge_headings = {(email, definition_id): f"{email or UNKNOWN_REVIEWER} · {labels[definition_id]}"
                      for email, definition_id in pairs if definition_id in labels}
    header = ["trace_id", "queue", *(c.label for c in columns), "resolution", *judge_headings.values()]

    def lines() -> Iterator[list[dict]]:
        for page in pages:
            judges = _judges(project_id, page)
            out = []
            for row in page:
                line: dict[str, Any] = {"trace_id": row.trace_id, "queue": row.queue}
                line |= {c.label: row.scores.get(c.definition_id, (None,))[0] for c in columns}
                line["resolution"] = row.resolution
                line |= dict.fromkeys(judge_headings.values())
                for judge in judges.get(row.review_id, []):
                    for definition_id, (value, _, _) in judge.scores.items():
                        heading = judge_headings.get((judge.reviewer, definition_id))
                        if heading is not None:
                            line[heading] = value
                out.append(line)
            yield out

    return _write_dicts(fmt, header, lines())


def _json_cell(value: Any) -> Any:
    return value if isinstance(value, str) else json_value(value)


def _write_dicts(fmt: str, header: list[str], pages: Iterator[list[dict]]) -> Iterator[str]:
    """Rows (dicts keyed by `header`) as CSV with that header, or as JSON Lines with those keys, a page a chunk."""
    if fmt == "jsonl":
        for page in pages:
            yield "".join(json.dumps({key: _json_cell(line[key]) for key in header}, ensure_ascii=False) + "\n"
                          for line in page)
        return
    writer = _CsvText()
    writer.writerow([text_cell(heading) for heading in header])
    yield writer.flush()
    for page in pages:
        for line in page:
            writer.writerow([text_cell(value) if isinstance(value, str) else
                             cell_value(value) for value in (line[key] for key in header)])
        yield writer.flush()
