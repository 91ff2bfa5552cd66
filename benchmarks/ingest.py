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
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from benchmarks.common import Client, prepare_database, redact, scratch_database, serve_and_verify

EVENTS_PER_TRACE = 5  # a root, a retrieval span, three generations
MODELS = ("gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet", "gemini-1.5-flash")


def main() -> None:
    args = parse_args()
    os.environ.setdefault("SECRET_KEY", "benchmark")
    database_url = scratch_database(args.database_url)
    token, project_id = prepare_database(database_url)
    bodies = build_bodies(token, args.traces, args.batch_size, args.seed, args.spread)
    events = args.traces * EVENTS_PER_TRACE
    print(f"database: {redact(database_url)}")
    print(f"sending {events:,} events of {args.traces:,} traces in {len(bodies):,} batches of "
          f"{args.batch_size} with {args.threads} client threads to {args.workers} server workers")
    ok = serve_and_verify(database_url, project_id, args, lambda port: batch_client(bodies, port), len(bodies),
                          events)
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


def batch_client(bodies: list[bytes], port: int) -> Client:
    """A client thread's keep-alive connection, posting the prepared bodies to /batch/."""
    def open_client() -> tuple[Callable[[int], str | None], Callable[[], None]]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def send(index: int) -> str | None:
            nonlocal connection
            try:
                connection.request("POST", "/batch/", body=bodies[index], headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status, answer = 0, str(exc).encode()
            return None if status == 200 else f"batch {index}: {status} {answer[:300]!r}"

        return send, lambda: connection.close()

    return open_client


if __name__ == "__main__":
    main()
