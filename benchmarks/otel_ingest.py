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
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import redact
from benchmarks.ingest import MODELS, free_port, prepare_database, start_server, verify

SPANS_PER_TRACE = 5  # an agent span, a retrieval span, three chat generations
EXPORT_BATCH = 512  # BatchSpanProcessor's max_export_batch_size


def main() -> None:
    args = parse_args()
    os.environ.setdefault("SECRET_KEY", "benchmark")
    database_url = args.database_url
    if not database_url:
        database_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='reviewapp-bench-')) / 'bench.sqlite'}"
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

    port = args.port or free_port()
    server = start_server(database_url, port, args.workers)
    try:
        elapsed, latencies, failures = export_all(batches, port, token, args.threads, args.gzip)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"elapsed: {elapsed:.1f} s")
    print(f"throughput: {spans / elapsed:,.0f} spans/s ({len(batches) / elapsed:,.1f} exports/s)")
    if latencies:
        ordered = sorted(latencies)
        print(f"export latency: median {statistics.median(ordered) * 1000:.0f} ms, "
              f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:.0f} ms")
    stored_events, stored_traces, counted = verify(database_url, project_id)
    print(f"stored: {stored_events:,} events, {stored_traces:,} traces, summaries count {counted:,} events")
    ok = not failures and stored_events == spans and stored_traces == args.traces and counted == spans
    if failures:
        print(f"FAILED: {len(failures)} exports did not succeed, e.g. {failures[0]}")
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

    from benchmarks.ingest import app_for, trace_events
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


def export_all(batches: list[list], port: int, token: str, threads: int,
               compress: bool) -> tuple[float, list[float], list[str]]:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(len(batches)))

    def client() -> None:
        exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/i/v0/ai/otel/v1/traces",
                                    headers={"Authorization": f"Bearer {token}"}, timeout=120,
                                    compression=Compression.Gzip if compress else Compression.NoCompression)
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            began = time.perf_counter()
            result = exporter.export(batches[index])
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                if result != SpanExportResult.SUCCESS:
                    failures.append(f"export {index}: {result.name}")
        exporter.shutdown()

    began = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - began, latencies, failures


if __name__ == "__main__":
    main()
