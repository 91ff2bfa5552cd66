"""Importing a file of PostHog-shaped events (JSON Lines or one array) with capture's validation, in chunks."""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reviewapp.extensions import db
from reviewapp.models import utcnow
from reviewapp.services.errors import ValidationError
from reviewapp.services.ingest.events import AIEvent
from reviewapp.services.ingest.posthog import parse_event
from reviewapp.services.ingest.store import IngestResult, store_events

IMPORT_CHUNK = 1000


@dataclass
class ImportReport:
    result: IngestResult = field(default_factory=IngestResult)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line or item number, what is wrong)
    written: bool = False


def import_events(project_id: int, items: Iterable[tuple[int, Any]], *, strict: bool = False,
                  chunk_size: int = IMPORT_CHUNK) -> ImportReport:
    """Import numbered events (a JSON text line, or an already parsed event) with capture's validation.

    Bad items are reported by number and skipped; with `strict`, any bad item aborts the import and nothing
    is written (one transaction). Otherwise each chunk commits on its own: re-running is harmless, as events
    already stored are recognised by uuid."""
    report = ImportReport()
    now = utcnow()
    chunk: list[AIEvent] = []

    def flush() -> None:
        if chunk and not (strict and report.errors):
            store_events(project_id, chunk, report.result, received_at=now)
            if not strict:
                db.session.commit()
        chunk.clear()

    try:
        for number, item in items:
            report.result.received += 1
            try:
                event = parse_event(_decoded(item), "", now)
            except ValidationError as exc:
                field_name = f"{exc.attr}: " if exc.attr else ""
                report.errors.append((number, f"{field_name}{exc.detail}"))
                continue
            if event is None:
                report.result.ignored += 1
                continue
            chunk.append(event)
            if len(chunk) >= chunk_size:
                flush()
        flush()
        if strict and report.errors:
            db.session.rollback()
            report.result = IngestResult(received=report.result.received)
            return report
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    report.written = True
    return report


def _decoded(item: Any) -> Any:
    if not isinstance(item, str):
        return item
    try:
        return json.loads(item)
    except ValueError as exc:
        raise ValidationError(f"Not valid JSON: {exc}.", None, "parse_error") from None
    except RecursionError:
        raise ValidationError("Nested too deeply to read.", None, "parse_error") from None
