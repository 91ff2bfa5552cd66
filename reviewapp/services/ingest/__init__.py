"""Ingestion: each wire format has a parser that validates its events into the same `AIEvent` records
(events.py); one store writes each event once and folds it into its trace's summary row (store.py, summary.py).

PostHog's `$ai_*` events are parsed in posthog.py, which capture, the demo seed and file import (file_import.py)
use. OpenTelemetry is the second format: otlp.py reads OTLP exports, otel.py and otel_conventions.py map spans onto
the same `$ai_*` properties as PostHog does, and otel_ingest.py hands them to `parse_event` and
`store.store_and_commit`, so the store and summary code serve both unchanged."""
from __future__ import annotations

from reviewapp.services.ingest.file_import import import_events
from reviewapp.services.ingest.posthog import ingest_batch

__all__ = ["import_events", "ingest_batch"]  # what the demo seed, the CLI tests and the benchmarks call
