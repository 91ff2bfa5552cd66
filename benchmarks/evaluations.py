"""Evaluations page benchmark: the server time of the Evaluations page (every evaluation with its results counted
by outcome) and of one evaluation's page, in a project of 10,000 and of 1,000,000 evaluation results, measured
in-process through the real routes. Beside it, the time of the query the page used to run (every result grouped by
evaluation and outcome) on the same data, so one run shows before and after under the same load.

    .venv/bin/python -m benchmarks.evaluations                       # SQLite (a fresh temporary file)
    .venv/bin/python -m benchmarks.evaluations --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reviewapp_bench

The results are inserted in bulk (straight inserts, with their outcome counts as the migration counts stored
results); then a few hundred more arrive through ingestion, as a judge's stream would, so the counts the page reads
are those ingest maintains. The benchmark checks that the page's counts are exactly the results stored.
Run on demand; not part of the test suite.
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, insert, select

from benchmarks.common import median, p95, page_app, signed_in, timed

SIZES = (10_000, 1_000_000)
EVALUATIONS = 6
CHUNK = 10_000
INGESTED = 300  # results sent through ingestion after the bulk load
PASSWORD = "benchmark password"
OUTCOMES = ("pass", "pass", "pass", "fail", "fail", "na", "skipped", "unknown")


def main() -> None:
    args = parse_args()
    app = page_app(args.database_url, "reviewapp-evals-")
    print(f"{'results':>11}{'list ms':>9}{'p95':>7}{'one ms':>8}{'p95':>7}{'old count ms':>14}   statements")
    for size in args.sizes:
        started = time.perf_counter()
        with app.app_context():
            setup = seed(size)
        seeded = time.perf_counter() - started
        lists, one, old, statements = measure(app, setup, args.runs)
        print(f"{size:>11,}{median(lists):>9.1f}{p95(lists):>7.1f}{median(one):>8.1f}{p95(one):>7.1f}"
              f"{median(old):>14.1f}   {statements}   (seeded in {seeded:.0f} s)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="evaluation results per project")
    parser.add_argument("--runs", type=int, default=20, help="timed views of each page")
    return parser.parse_args()


def seed(size: int) -> dict:
    """A project with a viewer, EVALUATIONS evaluations and `size` results spread over them and over outcomes."""
    from reviewapp.extensions import db
    from reviewapp.models import Evaluation, EvaluationOutcomeCount, TraceEvaluation, utcnow
    from reviewapp.services import accounts
    from reviewapp.services.ingest.posthog import ingest_batch

    project = accounts.create_project(f"Evaluations benchmark {size}")
    viewer = accounts.create_user(f"viewer-{project.id}@bench.example", PASSWORD)
    accounts.set_membership(viewer, project, "viewer")
    start = utcnow() - timedelta(days=7)
    judges = [Evaluation(project_id=project.id, key=f"judge-{n}", name=f"Judge {n}", name_seen_at=start,
                         runtime="llm_judge", result_type="boolean") for n in range(EVALUATIONS)]
    db.session.add_all(judges)
    db.session.commit()
    bulk = size - INGESTED
    counts: Counter = Counter()
    for begin in range(0, bulk, CHUNK):
        rows = []
        for n in range(begin, min(begin + CHUNK, bulk)):
            judge, outcome = judges[n % EVALUATIONS], OUTCOMES[n // EVALUATIONS % len(OUTCOMES)]
            counts[(judge.id, outcome)] += 1
            rows.append({"project_id": project.id, "evaluation_id": judge.id, "run_key": f"run-{n}",
                         "event_uuid": f"bench-{project.id}-{n}", "trace_id": f"trace-{n // 3}",
                         "target_kind": "trace", "target_id": f"trace-{n // 3}", "outcome": outcome,
                         "timestamp": start + timedelta(milliseconds=n), "result_type": "boolean",
                         "skipped": outcome == "skipped", "applicable": outcome != "na",
                         "bool_result": outcome == "pass", "reasoning": "Looks right."})
        db.session.execute(insert(TraceEvaluation), rows)
    db.session.execute(insert(EvaluationOutcomeCount), [
        {"project_id": project.id, "evaluation_id": evaluation_id, "outcome": outcome, "results": n}
        for (evaluation_id, outcome), n in sorted(counts.items())])
    db.session.commit()
    for begin in range(0, INGESTED, 50):
        ingest_batch(project.id, [judge_event(n, begin) for n in range(begin, begin + 50)])
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load in production
    return {"project_id": project.id, "email": viewer.email, "evaluation_id": judges[0].id}


def judge_event(n: int, batch: int) -> dict:
    return {"event": "$ai_evaluation", "distinct_id": "judge", "timestamp": f"2025-03-01T12:{batch % 60:02d}:00Z",
            "properties": {"$ai_trace_id": f"live-{n}", "$ai_evaluation_id": f"judge-{n % EVALUATIONS}",
                           "$ai_evaluation_name": f"Judge {n % EVALUATIONS}", "$ai_evaluation_runtime": "llm_judge",
                           "$ai_evaluation_result_type": "boolean", "$ai_evaluation_result": n % 4 != 0,
                           "$ai_target_type": "trace_id", "$ai_target_id": f"live-{n}"}}


def measure(app, setup: dict, runs: int) -> tuple[list[float], list[float], list[float], int]:
    from sqlalchemy import event

    from reviewapp.extensions import db
    from reviewapp.models import TraceEvaluation
    from reviewapp.services import evaluations

    client, _ = signed_in(app, setup["email"], PASSWORD)
    base = f"/projects/{setup['project_id']}/evaluations/"
    one_url = f"{base}{setup['evaluation_id']}"
    for url in (base, one_url):
        assert client.get(url).status_code == 200  # warms the session and the caches
    lists, one = timed(client, base, runs), timed(client, one_url, runs)
    with app.app_context():
        statements: list[str] = []

        def count(conn, cursor, statement, *rest) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        assert client.get(base).status_code == 200
        event.remove(db.engine, "before_cursor_execute", count)
        shown = {(row.evaluation.id, outcome): n for row in evaluations.list_evaluations(setup["project_id"])
                 for outcome, n in row.counts.items()}
        stored = {(evaluation_id, outcome): n for evaluation_id, outcome, n in db.session.execute(
            select(TraceEvaluation.evaluation_id, TraceEvaluation.outcome, func.count())
            .where(TraceEvaluation.project_id == setup["project_id"])
            .group_by(TraceEvaluation.evaluation_id, TraceEvaluation.outcome))}
        assert shown == stored, "the page's counts are not the results stored"
        old = []
        for _ in range(max(runs // 4, 3)):  # the page's query before the counts were kept
            started = time.perf_counter()
            db.session.execute(
                select(TraceEvaluation.evaluation_id, TraceEvaluation.outcome, func.count(),
                       func.max(TraceEvaluation.timestamp))
                .where(TraceEvaluation.project_id == setup["project_id"])
                .group_by(TraceEvaluation.evaluation_id, TraceEvaluation.outcome)).all()
            old.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
    return lists, one, old, len(statements)


if __name__ == "__main__":
    main()
