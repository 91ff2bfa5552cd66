"""Export benchmark: stream every review of a project as CSV and as JSON Lines through the real API route
(`GET trace_reviews/export/`, bearer key, streamed response), and report the time and the peak memory, for a
project of N reviews and one of N/10, so that bounded memory shows as a peak that does not grow with N.

    .venv/bin/python -m benchmarks.export --reviews 100000                      # SQLite (a fresh temporary file)
    .venv/bin/python -m benchmarks.export --reviews 100000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reviewapp_bench

Each review has four scores (single choice, multiple choice, numeric, yes/no), a comment, a reviewer and a
queue. The reviews are written straight into the tables in bulk (making 100,000 through the review service
one by one would take far longer than the export being measured); the export then reads them like any other.
Time is measured in one pass, memory (tracemalloc: every Python allocation, its peak while streaming) in a
second, since tracing slows Python down. Run on demand; not part of the test suite.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from benchmarks.common import redact

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 5000
COMMENTS = ("Good answer.", "Missed the refund policy; cited the wrong dates.", "Too long, but correct.",
            "Polite, accurate, and it linked the right help article.", "", "Hallucinated an order number.")


def main() -> None:
    args = parse_args()
    os.environ.setdefault("SECRET_KEY", "benchmark")
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='reviewapp-export-')) / 'bench.sqlite'}"
    app = app_for(url)
    print(f"database: {redact(url)}")
    sizes = [max(args.reviews // 10, 1), args.reviews]
    with app.app_context():
        from reviewapp.extensions import db
        from reviewapp.models import Base

        Base.metadata.create_all(db.engine)
        projects = []
        for size in sizes:
            started = time.perf_counter()
            projects.append(seed(size, args.seed))
            print(f"seeded {size:,} reviews ({size * 4:,} scores) in {time.perf_counter() - started:.1f} s")
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does to a live database after a bulk load; without fresh statistics the planner
            # takes the project's 100,000 reviews for one and sorts them for every page.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        db.session.remove()

    print(f"{'format':<7}{'reviews':>10}{'bytes':>14}{'seconds':>9}{'reviews/s':>11}{'peak MiB':>10}"
          f"{'max RSS MiB':>13}")
    for fmt in args.formats:
        for size, (project_id, key) in zip(sizes, projects, strict=True):
            seconds, size_bytes, lines = timed_export(app, project_id, key, fmt)
            peak = traced_export(app, project_id, key, fmt)
            expected = size + 1 if fmt == "csv" else size
            assert lines == expected, f"{fmt}: expected {expected} lines, got {lines}"
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{fmt:<7}{size:>10,}{size_bytes:>14,}{seconds:>9.2f}{size / seconds:>11,.0f}"
                  f"{peak / 2**20:>10.1f}{rss:>13.0f}")
    print("peak MiB: the most memory Python held at once while streaming (tracemalloc); max RSS: the process's "
          "high-water mark so far, seeding included.")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a fresh temporary SQLite file")
    parser.add_argument("--formats", nargs="+", default=["csv", "jsonl"], choices=["csv", "jsonl"])
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def app_for(database_url: str):
    from reviewapp import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "benchmark",
                       "RATELIMIT_ENABLED": False})


def seed(count: int, seed_value: int) -> tuple[int, str]:
    """A project with `count` reviews, each with four scores, written in bulk. Returns its id and an API key."""
    from reviewapp.extensions import db
    from reviewapp.models import ReviewQueue, ScoreDefinitionVersion, TraceReview, TraceReviewScore, uuid7
    from reviewapp.services import accounts, queues, scorers

    rng = random.Random(seed_value + count)
    project = accounts.create_project(f"Export benchmark {count} {datetime.now(UTC):%H:%M:%S}")
    reviewers = [accounts.create_user(f"reviewer{i}-{uuid.uuid4().hex[:8]}@example.com", "benchmark-pw-1")
                 for i in range(5)]
    admin = reviewers[0]
    accounts.set_membership(admin, project, "admin")
    for user in reviewers[1:]:
        accounts.set_membership(user, project, "reviewer")
    _, key = accounts.create_api_key(admin, "llm_analytics:read", "export benchmark", [project.id])
    definitions = [
        scorers.create_definition(project.id, admin, name="Quality", kind="categorical", config={"options": [
            {"key": "good", "label": "Good"}, {"key": "ok", "label": "OK"}, {"key": "bad", "label": "Bad"}]}),
        scorers.create_definition(project.id, admin, name="Issues", kind="categorical", config={
            "options": [{"key": k, "label": k.title()} for k in ("facts", "tone", "format", "length", "safety")],
            "selection_mode": "multiple", "max_selections": 3}),
        scorers.create_definition(project.id, admin, name="Rating", kind="numeric",
                                  config={"min": 0, "max": 10, "step": 0.5}),
        scorers.create_definition(project.id, admin, name="Resolved", kind="boolean",
                                  config={"true_label": "Resolved", "false_label": "Not resolved"}),
    ]
    versions = {d.id: db.session.get(ScoreDefinitionVersion, d.current_version_id) for d in definitions}
    queue: ReviewQueue = queues.create_queue(project.id, admin, "Benchmark queue")
    start = datetime.now(UTC) - timedelta(days=30)
    issue_keys = ["facts", "tone", "format", "length", "safety"]

    for offset in range(0, count, CHUNK):
        review_rows, score_rows = [], []
        for n in range(offset, min(offset + CHUNK, count)):
            review_id = uuid7()
            when = start + timedelta(seconds=n * 20)
            reviewer = reviewers[n % len(reviewers)]
            review_rows.append({
                "id": review_id, "project_id": project.id, "trace_id": f"trace-{n:07d}",
                "comment": rng.choice(COMMENTS) or None, "queue_id": queue.id, "created_by_id": reviewer.id,
                "reviewed_by_id": reviewer.id, "time_spent_seconds": round(rng.uniform(5, 240), 3),
                "created_at": when, "updated_at": when,
            })
            values = [
                {"categorical_values": [rng.choice(["good", "ok", "bad"])]},
                {"categorical_values": rng.sample(issue_keys, rng.randint(1, 3))},
                {"numeric_value": rng.randint(0, 20) / 2},
                {"boolean_value": rng.random() < 0.7},
            ]
            for definition, value in zip(definitions, values, strict=True):
                version = versions[definition.id]
                score = {"categorical_values": None, "numeric_value": None, "boolean_value": None, **value}
                score_rows.append({
                    "id": uuid7(), "review_id": review_id, "project_id": project.id,
                    "definition_id": definition.id, "definition_version_id": version.id,
                    "definition_version": version.version, "definition_config": version.config,
                    "created_at": when, "updated_at": when, **score,
                })
        db.session.execute(insert(TraceReview), review_rows)
        db.session.execute(insert(TraceReviewScore), score_rows)
        db.session.commit()
    return project.id, key


def _stream(app, project_id: int, key: str, fmt: str):
    """The export as a client receives it: the API route, its streamed body read chunk by chunk."""
    client = app.test_client()
    response = client.get(f"/api/projects/{project_id}/llm_analytics/trace_reviews/export/?format={fmt}",
                          headers={"Authorization": f"Bearer {key}"}, buffered=False)
    assert response.status_code == 200, response.status_code
    try:
        yield from response.response
    finally:
        response.close()


def timed_export(app, project_id: int, key: str, fmt: str) -> tuple[float, int, int]:
    gc.collect()
    started = time.perf_counter()
    size = lines = 0
    for chunk in _stream(app, project_id, key, fmt):
        size += len(chunk)
        lines += chunk.count(b"\n")
    return time.perf_counter() - started, size, lines


def traced_export(app, project_id: int, key: str, fmt: str) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        for _chunk in _stream(app, project_id, key, fmt):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


if __name__ == "__main__":
    main()
