"""Ingest benchmark: POST PostHog-shaped `$ai_*` batches to `/batch/` of a real server process from several
client threads, report events per second, then check that every event and trace arrived.

    .venv/bin/python -m benchmarks.ingest --traces 100000                       # SQLite (a fresh temporary file)
    .venv/bin/python -m benchmarks.ingest --traces 100000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reviewapp_bench
    .venv/bin/python -m benchmarks.ingest --traces 20000 --spread            # each trace over 5 batches

The server is `reviewapp serve` (gunicorn, synchronous workers). The database gets the schema if it lacks it and a new
project for the run, so nothing already there is touched. Run on demand; not part of the test suite.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import redact

ROOT = Path(__file__).resolve().parent.parent
EVENTS_PER_TRACE = 5  # a root, a retrieval span, three generations
MODELS = ("gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet", "gemini-1.5-flash")


def main() -> None:
    args = parse_args()
    os.environ.setdefault("SECRET_KEY", "benchmark")
    database_url = args.database_url
    if not database_url:  # a scratch SQLite file
        database_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='reviewapp-bench-')) / 'bench.sqlite'}"
    token, project_id = prepare_database(database_url)
    bodies = build_bodies(token, args.traces, args.batch_size, args.seed, args.spread)
    events = args.traces * EVENTS_PER_TRACE
    print(f"database: {redact(database_url)}")
    print(f"sending {events:,} events of {args.traces:,} traces in {len(bodies):,} batches of "
          f"{args.batch_size} with {args.threads} client threads to {args.workers} server workers")

    port = args.port or free_port()
    server = start_server(database_url, port, args.workers)
    try:
        elapsed, latencies, failures = send_all(bodies, port, args.threads)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"elapsed: {elapsed:.1f} s")
    print(f"throughput: {events / elapsed:,.0f} events/s ({len(bodies) / elapsed:,.1f} batches/s)")
    if latencies:
        ordered = sorted(latencies)
        print(f"batch latency: median {statistics.median(ordered) * 1000:.0f} ms, "
              f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:.0f} ms")
    stored_events, stored_traces, counted = verify(database_url, project_id)
    print(f"stored: {stored_events:,} events, {stored_traces:,} traces, summaries count {counted:,} events")
    ok = not failures and stored_events == events and stored_traces == args.traces and counted == events
    if failures:
        print(f"FAILED: {len(failures)} batches were refused, e.g. {failures[0]}")
    print("verified: nothing lost, nothing counted twice" if ok else "VERIFICATION FAILED")
    sys.exit(0 if ok else 1)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=100_000, help="traces to send (5 events each)")
    parser.add_argument("--batch-size", type=int, default=250, help="events per /batch/ request")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spread", action="store_true",
                        help="send each trace's events in different batches (one per event), so every batch after "
                             "a trace's first updates its summary row; by default a trace's events go together")
    return parser.parse_args()


def app_for(database_url: str):
    from reviewapp import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "benchmark"})


def prepare_database(database_url: str) -> tuple[str, int]:
    from reviewapp.extensions import db
    from reviewapp.models import Base
    from reviewapp.services import accounts

    app = app_for(database_url)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        project = accounts.create_project(f"Benchmark {datetime.now(UTC):%Y-%m-%d %H:%M:%S}")
        token, project_id = project.api_token, project.id
        db.session.remove()
        db.engine.dispose()
    return token, project_id


def build_bodies(token: str, traces: int, batch_size: int, seed: int, spread: bool = False) -> list[bytes]:
    """Every request body, built before the clock starts so the clients spend their time sending. Spread: for each
    run of `batch_size` traces, all their first events, then all their second events, and so on."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=3)
    per_trace = [trace_events(rng, n, start + timedelta(seconds=n * 2)) for n in range(traces)]
    events: list[dict] = []
    if spread:
        for first in range(0, traces, batch_size):
            window = per_trace[first:first + batch_size]
            events.extend(trace[k] for k in range(EVENTS_PER_TRACE) for trace in window)
    else:
        events = [event for trace in per_trace for event in trace]
    bodies = []
    for offset in range(0, len(events), batch_size):
        batch = events[offset:offset + batch_size]
        bodies.append(json.dumps({"api_key": token, "batch": batch, "sent_at": None}).encode())
    return bodies


def trace_events(rng: random.Random, n: int, when: datetime) -> list[dict]:
    trace_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    user = f"user-{rng.randrange(5000)}"

    def event(name: str, seconds: float, **properties) -> dict:
        return {
            "event": name, "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "distinct_id": user,
            "timestamp": (when + timedelta(seconds=seconds)).isoformat(),
            "properties": {"$ai_trace_id": trace_id, "$lib": "posthog-python", **properties},
        }

    question = f"Customer question number {n}: where is my order {rng.randrange(10**6)}?"
    model = rng.choice(MODELS)
    generations = [
        event("$ai_generation", 0.5 + i, **{
            "$ai_span_id": f"gen-{i}", "$ai_parent_id": trace_id, "$ai_model": model, "$ai_provider": "openai",
            "$ai_input": [{"role": "system", "content": "You are a support agent."},
                          {"role": "user", "content": question}],
            "$ai_output_choices": [{"role": "assistant", "content": f"Step {i}: your order ships soon."}],
            "$ai_input_tokens": rng.randrange(50, 2000), "$ai_output_tokens": rng.randrange(10, 400),
            "$ai_input_cost_usd": 0.0001, "$ai_output_cost_usd": 0.0002, "$ai_latency": rng.uniform(0.2, 3.0),
        })
        for i in range(3)
    ]
    return [
        event("$ai_trace", 4.0, **{"$ai_span_name": "support chat", "$ai_latency": 4.0,
                                   "$ai_session_id": f"session-{rng.randrange(20000)}",
                                   "$ai_input_state": question, "$ai_output_state": "Your order ships soon."}),
        event("$ai_span", 0.1, **{"$ai_span_id": "retrieve", "$ai_parent_id": trace_id,
                                  "$ai_span_name": "retrieve", "$ai_latency": 0.3}),
        *generations,
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "benchmark"}
    command = [str(Path(sys.executable).parent / "reviewapp"), "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited: {server.stderr.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("server did not start within 60 s")


def send_all(bodies: list[bytes], port: int, threads: int) -> tuple[float, list[float], list[str]]:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            began = time.perf_counter()
            try:
                connection.request("POST", "/batch/", body=bodies[index],
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status, answer = 0, str(exc).encode()
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                if status != 200:
                    failures.append(f"batch {index}: {status} {answer[:300]!r}")
        connection.close()

    began = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - began, latencies, failures


def verify(database_url: str, project_id: int) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from reviewapp.extensions import db
    from reviewapp.models import Trace, TraceEvent

    with app_for(database_url).app_context():
        events = db.session.scalar(
            select(func.count()).select_from(TraceEvent).where(TraceEvent.project_id == project_id))
        traces = db.session.scalar(select(func.count()).select_from(Trace).where(Trace.project_id == project_id))
        counted = db.session.scalar(select(func.coalesce(func.sum(Trace.event_count), 0))
                                    .where(Trace.project_id == project_id))
    return events, traces, counted


if __name__ == "__main__":
    main()
