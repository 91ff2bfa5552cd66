"""Ingestion: each wire format has a parser that validates its events into the same `AIEvent` records
(events.py); one store writes each event once and folds it into its trace's summary row (store.py, summary.py).

PostHog's `$ai_*` events are parsed in posthog.py, which capture, the demo seed and file import (file_import.py)
use. OpenTelemetry is the second format: otlp.py reads OTLP exports, otel.py and otel_conventions.py map spans onto
the same `$ai_*` properties as PostHog does, and otel_ingest.py hands them to `parse_event` and
`store.store_and_commit`, so the store and summary code serve both unchanged.

`ingest_batch` and `import_events` (what the demo seed, the tests and the benchmarks call) load on first use: the
store imports the evaluations and queue-rules hooks, which import `events` and `summary` of this package, so
importing the package must not import the store (through posthog.py) before the hooks exist."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewapp.services.ingest.file_import import import_events
    from reviewapp.services.ingest.posthog import ingest_batch

__all__ = ["import_events", "ingest_batch"]
_HOMES = {"import_events": "file_import", "ingest_batch": "posthog"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
