"""Queue rules benchmark: ingestion throughput with 20 active queue rules against none, on the ingest benchmark's
machinery (a real server process, several client threads posting `/batch/`). Runs go in pairs, one without rules
and one with, the order turning each round (0 20, 20 0, 0 20, …) so that a machine shared with other work, or
one whose load drifts, is fair to both; each run ingests into a new database (a fresh SQLite file, or on
PostgreSQL a database made by `createdb` beside the one named and dropped after). Reported: the median of each
side and the median of the rounds' own ratios (each round's two runs ran minutes apart at most).

    .venv/bin/python -m benchmarks.queue_rules --traces 10000 --runs 6
    .venv/bin/python -m benchmarks.queue_rules --traces 10000 --runs 6 --spread \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reviewapp_bench
    .venv/bin/python -m benchmarks.queue_rules --in-process --traces 2000 --runs 10 --spread

--in-process calls the ingest service directly from one thread instead (no server, no HTTP) and also reports the
process's CPU time: on SQLite that is all the work, database included, and it is far steadier than the clock on a
machine others are using.

The 20 rules are the kinds a team writes: thresholds on cost, latency and tokens, a model, a provider, errors, a
text, a property and a judge's failure, several sampled (5–25%) and capped, a few matching often enough to add
traces during the run. Run on demand; not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks.common import (
    app_for,
    free_port,
    fresh_postgres_database,
    prepare_database,
    redact,
    scratch_database,
    send_all,
    start_server,
    verify,
)
from benchmarks.ingest import EVENTS_PER_TRACE, batch_client, build_bodies

RULES = [  # (name, conditions, sample_percent, daily_cap)
    ("Dear traces", [{"field": "cost", "value": 0.01}], 100, None),
    ("Slow traces", [{"field": "latency", "value": 30}], 100, None),
    ("Long inputs", [{"field": "input_tokens", "value": 5500}], 100, 200),
    ("Sonnet sample", [{"field": "model", "value": "claude-3-5-sonnet"}], 5, 100),
    ("Gemini slow", [{"field": "model", "value": "gemini-1.5-flash"}, {"field": "latency", "value": 3.9}], 10, None),
    ("Anthropic", [{"field": "provider", "value": "anthropic"}], 100, None),
    ("Errors", [{"field": "error", "value": True}], 100, None),
    ("Errors on 4o", [{"field": "error", "value": True}, {"field": "model", "value": "gpt-4o"}], 50, None),
    ("Refund talk", [{"field": "text", "value": "refund"}], 100, None),
    ("Order talk sample", [{"field": "text", "value": "order 99"}], 25, 50),
    ("Enterprise plan", [{"field": "property", "key": "plan", "value": "enterprise"}], 100, None),
    ("Judge failed", [{"field": "evaluation", "key": "correctness", "value": "fail"}], 10, None),
    ("Helpfulness failed", [{"field": "evaluation", "key": "helpfulness", "value": "fail"}], 100, 20),
    ("One user", [{"field": "user", "value": "user-42"}], 100, None),
    ("One session", [{"field": "session", "value": "session-7"}], 100, None),
    ("Many output tokens", [{"field": "output_tokens", "value": 1150}], 20, 100),
    ("Cheap and quick", [{"field": "cost", "op": "lte", "value": 0.0001},
                         {"field": "latency", "op": "lte", "value": 0.1}], 100, None),
    ("Total tokens", [{"field": "total_tokens", "value": 7000}], 100, None),
    ("4o mini sample", [{"field": "model", "value": "gpt-4o-mini"}], 1, 30),
    ("Everything, rarely", [], 0.5, 25),
]


def add_rules(database_url: str, project_id: int) -> None:
    from reviewapp.extensions import db
    from reviewapp.services import queue_rules, queues

    with app_for(database_url).app_context():
        for n, (name, conditions, percent, cap) in enumerate(RULES):
            queue = queues.create_queue(project_id, None, f"Queue {n + 1}")
            queue_rules.create_rule(project_id, None, queue.id, {
                "name": name, "conditions": conditions, "sample_percent": percent, "daily_cap": cap})
        db.session.remove()
        db.engine.dispose()


def additions(database_url: str, project_id: int) -> int:
    from sqlalchemy import func, select

    from reviewapp.extensions import db
    from reviewapp.models import QueueRuleAddition

    with app_for(database_url).app_context():
        count = db.session.scalar(select(func.count()).select_from(QueueRuleAddition)
                                  .where(QueueRuleAddition.project_id == project_id)) or 0
        db.session.remove()  # gives the connection back, so that dispose closes it and the database can be dropped
        db.engine.dispose()
    return count


@contextmanager
def run_database(args: argparse.Namespace) -> Iterator[str]:
    """A new database for one run: a fresh SQLite file, or a fresh database on the PostgreSQL server named."""
    if args.database_url and args.database_url.startswith("postgresql"):
        with fresh_postgres_database(args.database_url) as url:
            yield url
    else:
        yield scratch_database(args.database_url)


def one_run(args: argparse.Namespace, database_url: str, with_rules: bool) -> tuple[float, int]:
    token, project_id = prepare_database(database_url)
    if with_rules:
        add_rules(database_url, project_id)
    bodies = build_bodies(token, args.traces, args.batch_size, args.seed, args.spread)
    server = start_server(database_url, free_port_and_remember(args), args.workers)
    try:
        elapsed, _, failures = send_all(len(bodies), args.threads, batch_client(bodies, args.current_port))
    finally:
        server.terminate()
        server.wait(timeout=30)
    events = args.traces * EVENTS_PER_TRACE
    stored, traces, counted = verify(database_url, project_id)
    if failures or (stored, traces, counted) != (events, args.traces, events):
        raise SystemExit(f"VERIFICATION FAILED: {failures[:1]} {(stored, traces, counted)}")
    return events / elapsed, additions(database_url, project_id) if with_rules else 0


@dataclass
class InProcessRun:
    cpu_rate: float  # events per CPU second
    wall_rate: float  # events per wall-clock second
    added: int  # traces the rules added
    hook_share: float  # of the CPU time, the share spent in the rules' hook (loading, matching, adding)


@contextmanager
def timed_rules_hook(spent: list[float]) -> Iterator[None]:
    """Add the CPU time of every call of the rules' ingestion hook to spent[0]. The hook's share of a run is
    measured within the run, at the same moment as the rest of ingestion, so unlike the rate of a whole run it
    barely moves with the machine's load."""
    from reviewapp.services import queue_rules

    hook = queue_rules.apply_on_ingest

    def timed(*args: Any, **kwargs: Any) -> int:
        began = time.process_time()
        try:
            return hook(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - began

    queue_rules.apply_on_ingest = timed
    try:
        yield
    finally:
        queue_rules.apply_on_ingest = hook


def in_process_run(args: argparse.Namespace, database_url: str, with_rules: bool) -> InProcessRun:
    """Ingest from this process, timing the wall clock, the CPU and the rules' hook."""
    from reviewapp.extensions import db
    from reviewapp.services.ingest import ingest_batch

    token, project_id = prepare_database(database_url)
    if with_rules:
        add_rules(database_url, project_id)
    batches = [json.loads(body)["batch"] for body in build_bodies(token, args.traces, args.batch_size, args.seed,
                                                                   args.spread)]
    app = app_for(database_url)
    hook = [0.0]
    with app.app_context():
        ingest_batch(project_id, batches[0])  # the connection and the statement cache, outside the clock
        with timed_rules_hook(hook):
            began_wall, began_cpu = time.perf_counter(), time.process_time()
            for batch in batches[1:]:
                ingest_batch(project_id, batch)
            wall, cpu = time.perf_counter() - began_wall, time.process_time() - began_cpu
        db.session.remove()
        db.engine.dispose()
    events = sum(len(batch) for batch in batches[1:])
    return InProcessRun(events / cpu, events / wall, additions(database_url, project_id) if with_rules else 0,
                        hook[0] / cpu)


def free_port_and_remember(args: argparse.Namespace) -> int:
    args.current_port = free_port()
    return args.current_port


def report(what: str, rates: dict[int, list[float]]) -> None:
    """The median of each side, and the median of the rounds' ratios (20 rules over 0 rules, each round's own)."""
    without, with_rules = statistics.median(rates[0]), statistics.median(rates[len(RULES)])
    paired = statistics.median(b / a for a, b in zip(rates[0], rates[len(RULES)], strict=False))
    print(f"median by {what}: 0 rules {without:,.0f} events/s, {len(RULES)} rules {with_rules:,.0f} events/s "
          f"({(with_rules / without - 1) * 100:+.1f}%); median of the rounds' own ratios {(paired - 1) * 100:+.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=10_000, help="traces per run (5 events each)")
    parser.add_argument("--runs", type=int, default=6, help="runs in all, in rounds of 0 and 20 rules")
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None,
                        help="default: a fresh SQLite file per run; on PostgreSQL a fresh database per run beside it")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spread", action="store_true", help="each trace's events over 5 batches")
    parser.add_argument("--in-process", action="store_true", help="ingest from this process, timing CPU too")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "benchmark")
    print(f"database: {redact(args.database_url or 'sqlite (a fresh file per run)')}; {args.traces:,} traces "
          f"({args.traces * EVENTS_PER_TRACE:,} events) per run{', spread over 5 batches each' if args.spread else ''}")
    rates: dict[int, list[float]] = {0: [], len(RULES): []}
    cpu_rates: dict[int, list[float]] = {0: [], len(RULES): []}
    hook_shares: dict[int, list[float]] = {0: [], len(RULES): []}
    for run in range(args.runs):
        rules = 0 if run % 2 == (run // 2) % 2 else len(RULES)  # 0 20, 20 0, 0 20, …
        detail = ""
        with run_database(args) as database_url:
            if args.in_process:
                measured = in_process_run(args, database_url, bool(rules))
                rate, added = measured.wall_rate, measured.added
                cpu_rates[rules].append(measured.cpu_rate)
                hook_shares[rules].append(measured.hook_share)
                detail = (f" ({measured.cpu_rate:,.0f} per CPU second, {measured.hook_share * 100:.1f}% of it in the "
                          "rules' hook)")
            else:
                rate, added = one_run(args, database_url, bool(rules))
        rates[rules].append(rate)
        print(f"run {run + 1}: {rules:2} rules: {rate:,.0f} events/s{detail}"
              + (f", {added:,} traces added" if rules else ""), flush=True)
    report("wall clock", rates)
    if args.in_process:
        report("CPU time", cpu_rates)
        without, with_rules = (statistics.median(hook_shares[n]) for n in (0, len(RULES)))
        # The rest of ingestion is the same work either way, so the rates compare as the rest's shares do.
        change = (1 - with_rules) / (1 - without) - 1
        print(f"median share of CPU time in the rules' hook: 0 rules {without * 100:.1f}%, {len(RULES)} rules "
              f"{with_rules * 100:.1f}%: with the rest of ingestion the same, {len(RULES)} rules change the rate by "
              f"{change * 100:+.1f}%")
    sys.exit(0)


if __name__ == "__main__":
    main()
