"""Ingestion: each wire format has a parser that validates its events into the same `AIEvent` records
(events.py); one store writes each event once and folds it into its trace's summary row (store.py, summary.py).

PostHog's `$ai_*` events are parsed in posthog.py, which capture, the demo seed and file import (file_import.py)
use. A second format, such as OpenTelemetry spans, is one more parser module: it maps its fields onto the same
`$ai_*` properties and hands its records to `store.store_and_commit`, and the store and summary code serve it
unchanged."""
from __future__ import annotations

from reviewapp.services.ingest.file_import import import_events
from reviewapp.services.ingest.posthog import ingest_batch

__all__ = ["import_events", "ingest_batch"]  # what the demo seed, the CLI tests and the benchmarks call
