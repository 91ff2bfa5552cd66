"""OTel ingest benchmark: the OpenTelemetry SDK's own OTLP/HTTP exporter sends GenAI-convention traces (an agent
span, a retrieval span, three chat generations each) to `/i/v0/ai/otel/v1/traces` of a real server process from
several client threads, in the batch processor's 512-span exports; report spans per second, then check that every
span arrived exactly once and every trace's summary counts its five events.

    .venv/bin/python -m benchmarks.otel_ingest --traces 20000                       # SQLite (a fresh temporary file)
    .venv/bin/python -m benchmarks.otel_ingest --traces 20000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reviewapp_bench

    .venv/bin/python -m benchmarks.otel_ingest --traces 4000 --in-process    # OTel beside /batch/, no HTTP

The spans are made before the clock starts (as an app's BatchSpanProcessor holds them); the exporter encodes each
batch to protobuf and posts it while the clock runs, as it does in an app. Run on demand; not part of the tests.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
from collections.abc import Callable

from benchmarks.common import Client, prepare_database, redact, scratch_database, serve_and_verify
from benchmarks.ingest import MODELS

SPANS_PER_TRACE = 5  # an agent span, a retrieval span, three chat generations
EXPORT_BATCH = 512  # BatchSpanProcessor's max_export_batch_size


def main() -> None:
    args = parse_args()
    os.environ.setdefault("SECRET_KEY", "benchmark")
    database_url = scratch_database(args.database_url)
    token, project_id = prepare_database(database_url)
    batches = build_batches(args.traces, args.batch_size, args.seed)
    if args.in_process:
        compare_in_process(database_url, project_id, batches, args.traces, args.seed)
        return
    spans = args.traces * SPANS_PER_TRACE
    print(f"database: {redact(database_url)}")
    print(f"sending {spans:,} spans of {args.traces:,} traces in {len(batches):,} OTLP exports of up to "
          f"{args.batch_size} spans with {args.threads} exporter threads to {args.workers} server workers"
          f"{' (gzip)' if args.gzip else ''}")
    ok = serve_and_verify(database_url, project_id, args,
                          lambda port: exporter_client(batches, port, token, args.gzip), len(batches), spans,
                          ("spans", "export", "exports"))
    print("verified: every span arrived exactly once" if ok else "VERIFICATION FAILED")
    sys.exit(0 if ok else 1)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=20_000, help="traces to send (5 spans each)")
    parser.add_argument("--batch-size", type=int, default=EXPORT_BATCH, help="spans per OTLP export")
    parser.add_argument("--threads", type=int, default=4, help="concurrent exporter threads")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--gzip", action="store_true", help="compress exports, as OTEL_EXPORTER_OTLP_COMPRESSION=gzip")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--in-process", action="store_true",
                        help="no server: time the OTel ingest of each export and the /batch/ ingest of the same "
                             "number of SDK events alternately in this process, so both see the same machine load")
    return parser.parse_args()


def compare_in_process(database_url: str, project_id: int, batches: list[list], traces: int, seed: int) -> None:
    """Per-event cost of the two ingest paths, alternating export by export (a shared machine's load then weighs
    on both alike): OTel from the exporter's protobuf bytes, /batch/ from the SDK's parsed JSON."""
    from datetime import UTC, datetime, timedelta

    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    from benchmarks.common import app_for
    from benchmarks.ingest import trace_events
    from reviewapp.services.ingest import otlp
    from reviewapp.services.ingest.otel_ingest import ingest_spans
    from reviewapp.services.ingest.posthog import ingest_batch

    began = time.perf_counter()
    bodies = [encode_spans(batch).SerializeToString() for batch in batches]
    encoding = time.perf_counter() - began
    _, batch_project = prepare_database(database_url)
    rng, start = random.Random(seed), datetime.now(UTC) - timedelta(days=3)
    events = [e for n in range(traces) for e in trace_events(rng, n, start + timedelta(seconds=2 * n))]
    sdk_batches = [json.dumps(events[i:i + len(b)]) for i, b in zip(range(0, len(events), len(batches[0])), batches,
                                                                     strict=False)]
    # The SDK spans and bodies made for the run are no part of a server's heap: frozen, the garbage collector does
    # not rescan them at each collection, which would weigh on the path that allocates more (OTel).
    gc.collect()
    gc.freeze()
    otel_time = batch_time = otel_cpu = batch_cpu = 0.0
    with app_for(database_url).app_context():
        for body, sdk_batch in zip(bodies, sdk_batches, strict=True):
            began, cpu = time.perf_counter(), time.process_time()
            ingest_spans(project_id, otlp.protobuf_spans(body))
            otel_time += time.perf_counter() - began
            otel_cpu += time.process_time() - cpu
            began, cpu = time.perf_counter(), time.process_time()
            ingest_batch(batch_project, json.loads(sdk_batch))
            batch_time += time.perf_counter() - began
            batch_cpu += time.process_time() - cpu
    spans = traces * SPANS_PER_TRACE
    # CPU time beside wall time: on a shared machine the wall time also counts waiting for a core and the disk.
    print(f"OTel: {spans / otel_time:,.0f} spans/s ({otel_time / spans * 1e6:.0f} µs a span, "
          f"{otel_cpu / spans * 1e6:.0f} µs of CPU); /batch/: {spans / batch_time:,.0f} events/s "
          f"({batch_time / spans * 1e6:.0f} µs an event, {batch_cpu / spans * 1e6:.0f} µs of CPU); the exporter's "
          f"encoding: {encoding / spans * 1e6:.0f} µs a span (client side)")


def build_batches(traces: int, batch_size: int, seed: int) -> list[list]:
    """Finished SDK spans (ReadableSpan), in exports of `batch_size`: a trace's spans may straddle two exports, as
    a batch processor cuts them."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

    rng = random.Random(seed)
    resource = Resource.create({"service.name": "support-agent", "deployment.environment": "bench"})
    scope = InstrumentationScope("benchmarks.otel_ingest", "1.0")
    start = time.time_ns() - 3 * 86_400 * 10**9
    spans = []

    def span(name, trace_id, span_id, parent_id, offset_ms, duration_ms, attributes):
        began = start + offset_ms * 10**6
        context = SpanContext(trace_id, span_id, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
        parent = (SpanContext(trace_id, parent_id, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
                  if parent_id else None)
        return ReadableSpan(name=name, context=context, parent=parent, resource=resource, attributes=attributes,
                            kind=SpanKind.INTERNAL, start_time=began, end_time=began + duration_ms * 10**6,
                            instrumentation_scope=scope)

    for n in range(traces):
        trace_id = rng.getrandbits(128) or 1
        ids = [rng.getrandbits(64) or 1 for _ in range(SPANS_PER_TRACE)]
        user, session = f"user-{rng.randrange(5000)}", f"session-{rng.randrange(20000)}"
        question = f"Customer question number {n}: where is my order {rng.randrange(10**6)}?"
        model = rng.choice(MODELS)
        offset = n * 2000
        spans.append(span("invoke_agent support", trace_id, ids[0], None, offset, 4000, {
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support", "posthog.distinct_id": user,
            "gen_ai.conversation.id": session}))
        spans.append(span("retrieve", trace_id, ids[1], ids[0], offset + 100, 300, {
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "retrieve", "posthog.distinct_id": user}))
        for i in range(3):
            spans.append(span(f"chat {model}", trace_id, ids[2 + i], ids[0], offset + 500 + i * 1000, 900, {
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": model,
                "gen_ai.response.model": model, "posthog.distinct_id": user,
                "gen_ai.input.messages": json.dumps([
                    {"role": "system", "parts": [{"type": "text", "content": "You are a support agent."}]},
                    {"role": "user", "parts": [{"type": "text", "content": question}]}]),
                "gen_ai.output.messages": json.dumps([
                    {"role": "assistant", "parts": [{"type": "text", "content": f"Step {i}: your order ships soon."}],
                     "finish_reason": "stop"}]),
                "gen_ai.usage.input_tokens": rng.randrange(50, 2000),
                "gen_ai.usage.output_tokens": rng.randrange(10, 400),
                "gen_ai.response.finish_reasons": ("stop",),
            }))
    return [spans[offset:offset + batch_size] for offset in range(0, len(spans), batch_size)]


def exporter_client(batches: list[list], port: int, token: str, compress: bool) -> Client:
    """A client thread's own OTLPSpanExporter, exporting the prepared batches as a BatchSpanProcessor does."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    def open_client() -> tuple[Callable[[int], str | None], Callable[[], None]]:
        exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/i/v0/ai/otel/v1/traces",
                                    headers={"Authorization": f"Bearer {token}"}, timeout=120,
                                    compression=Compression.Gzip if compress else Compression.NoCompression)

        def send(index: int) -> str | None:
            result = exporter.export(batches[index])
            return None if result == SpanExportResult.SUCCESS else f"export {index}: {result.name}"

        return send, exporter.shutdown

    return open_client


if __name__ == "__main__":
    main()
