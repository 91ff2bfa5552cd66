"""A live server for the OTel clients to export to, and readers of what arrived."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from sqlalchemy import select
from werkzeug.serving import make_server

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent


class Recorder:
    """WSGI middleware noting each request's path, type and encoding, so a test sees what the client really sent."""

    def __init__(self, app):
        self.app, self.requests = app, []

    def __call__(self, environ, start_response):
        self.requests.append((environ["PATH_INFO"], environ.get("CONTENT_TYPE"), environ.get("HTTP_CONTENT_ENCODING")))
        return self.app(environ, start_response)


@contextmanager
def serving(app) -> Iterator[tuple[str, list]]:
    recorder = Recorder(app)
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", recorder.requests
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def tracer_with(processor: SpanProcessor, **resource: Any):
    """A tracer whose spans go to `processor`; on leaving, everything is flushed and the provider shut down."""
    provider = TracerProvider(resource=Resource.create({"service.name": "shop-assistant", **resource}))
    provider.add_span_processor(processor)
    try:
        yield provider.get_tracer("tests.otel")
    finally:
        assert processor.force_flush(10_000)
        provider.shutdown()


def events_of(project_id: int) -> list[TraceEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(TraceEvent).where(TraceEvent.project_id == project_id)
                                   .order_by(TraceEvent.timestamp, TraceEvent.id)))


def by_name(project_id: int) -> dict[str, TraceEvent]:
    """The stored events by span name ($ai_span_name)."""
    return {event.properties.get("$ai_span_name"): event for event in events_of(project_id)}


def trace_of(project_id: int, trace_id: str) -> Trace | None:
    db.session.expire_all()
    return db.session.scalar(select(Trace).where(Trace.project_id == project_id, Trace.trace_id == trace_id))


def hex_trace_id(span) -> str:
    return format(span.get_span_context().trace_id, "032x")


def hex_span_id(span) -> str:
    return format(span.get_span_context().span_id, "016x")
