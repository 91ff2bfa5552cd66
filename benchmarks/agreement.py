"""Agreement benchmark: the server time of the Insights Agreement section (services.reliability: load the judgments,
compute percent agreement, pairwise and Fleiss' κ, Krippendorff's α with its 1,000-resample bootstrap interval,
calibration against the final reviews and the disagreements; then render templates/insights/_agreement.html) for a
queue of 10,000 items × 3 judgments of one single-choice scorer, every item settled by a final review (consensus
where the three agree, else adjudicated). Target: under 300 ms on PostgreSQL.

    .venv/bin/python -m benchmarks.agreement                                      # SQLite (a fresh temporary file)
    .venv/bin/python -m benchmarks.agreement --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reviewapp_bench

The judgments are written straight into the tables in bulk (30,000 through the judging service would take far
longer than what is measured). Run on demand; not part of the test suite.
"""
from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from benchmarks.common import median, p95, redact

CHUNK = 5000
OPTIONS = ("good", "ok", "bad")


def main() -> None:
    args = parse_args()
    os.environ.setdefault("SECRET_KEY", "benchmark")
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='reviewapp-agreement-')) / 'bench.sqlite'}"
    from reviewapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark", "RATELIMIT_ENABLED": False,
                      "SERVER_NAME": "localhost"})
    print(f"database: {redact(url)}")
    with app.app_context():
        from reviewapp.extensions import db
        from reviewapp.models import Base

        Base.metadata.create_all(db.engine)
        started = time.perf_counter()
        project_id, queue_id = seed(args.items, args.judges, args.seed)
        print(f"seeded {args.items:,} items × {args.judges} judgments in {time.perf_counter() - started:.1f} s")
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        db.session.remove()
    times = [measure(app, project_id, queue_id, check=(n == 0)) for n in range(args.warmup + args.runs)]
    runs = [elapsed for elapsed, _ in times[args.warmup:]]
    cpu = [used for _, used in times[args.warmup:]]
    print(f"{'items':>8}{'judgments':>11}{'section ms':>12}{'p95':>8}{'cpu ms':>8}")
    print(f"{args.items:>8,}{args.items * args.judges:>11,}{median(runs):>12.1f}{p95(runs):>8.1f}{median(cpu):>8.1f}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh temporary SQLite file")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--judges", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seed", type=int, default=12)
    return parser.parse_args()


def measure(app, project_id: int, queue_id: uuid.UUID, *, check: bool) -> tuple[float, float]:
    """One render of the section, as the Insights page does it, in its own request (fresh session): its wall time
    and this process's CPU time (ms). The CPU time leaves out the database's work and the waits for a core, so it
    compares runs on a shared, loaded machine where the wall time cannot."""
    from flask import render_template_string

    from reviewapp.extensions import db
    from reviewapp.models import Project
    from reviewapp.services import reliability

    with app.test_request_context("/"):
        project = db.session.get(Project, project_id)
        started, cpu_started = time.perf_counter(), time.process_time()
        found = reliability.queues_agreement(project_id, reliability.several_reviewer_queues(project_id))
        page = render_template_string(
            '{% from "insights/_agreement.html" import agreement_section %}'
            '{{ agreement_section(found, project, true) }}', found=found, project=project)
        elapsed = (time.perf_counter() - started) * 1000
        used = (time.process_time() - cpu_started) * 1000
        if check:  # the section says what was seeded
            [queue] = found
            assert queue.queue.id == queue_id and len(queue.versions) == 1, found
            version = queue.versions[0]
            assert version.percent.items == version.items > 0 and version.alpha is not None, version
            assert version.interval is not None and "agreement-bar" in page
            print(f"α {version.alpha:.3f} (95% {version.interval[0]:.3f} to {version.interval[1]:.3f}); "
                  f"{version.reading}")
        db.session.remove()
    return elapsed, used


def seed(items: int, judges: int, seed_value: int) -> tuple[int, uuid.UUID]:
    """A project, `judges` reviewers, one categorical scorer and a queue of `items` settled items, each judged by
    every reviewer (mostly agreeing, as real reviewers do), with its final review."""
    from reviewapp.extensions import db
    from reviewapp.models import (
        Judgment,
        JudgmentScore,
        ReviewQueue,
        ReviewQueueItem,
        ScoreDefinitionVersion,
        TraceReview,
        TraceReviewScore,
        uuid7,
    )
    from reviewapp.services import accounts, scorers

    rng = random.Random(seed_value + items)
    project = accounts.create_project(f"Agreement benchmark {items} {datetime.now(UTC):%H:%M:%S}")
    users = [accounts.create_user(f"judge{i}-{uuid.uuid4().hex[:8]}@example.com", "benchmark-pw-1")
             for i in range(judges)]
    accounts.set_membership(users[0], project, "admin")
    for user in users[1:]:
        accounts.set_membership(user, project, "reviewer")
    definition = scorers.create_definition(project.id, users[0], name="Quality", kind="categorical", config={
        "options": [{"key": key, "label": key.title()} for key in OPTIONS]})
    version = db.session.get(ScoreDefinitionVersion, definition.current_version_id)
    queue = ReviewQueue(project_id=project.id, name="Three reviewers", reviews_per_trace=judges)
    db.session.add(queue)
    db.session.commit()
    start = datetime.now(UTC) - timedelta(days=20)
    score = {"project_id": project.id, "definition_id": definition.id, "definition_version_id": version.id,
             "definition_version": version.version, "definition_config": version.config}
    for offset in range(0, items, CHUNK):
        rows: dict[str, list[dict]] = {"items": [], "judgments": [], "scores": [], "reviews": [], "finals": []}
        for n in range(offset, min(offset + CHUNK, items)):
            when = start + timedelta(seconds=n * 30)
            item_id, trace_id, truth = uuid7(), f"trace-{n:06d}", rng.choice(OPTIONS)
            rows["items"].append({"id": item_id, "project_id": project.id, "queue_id": queue.id, "trace_id": trace_id,
                                  "created_at": when, "updated_at": when, "deleted_at": when,
                                  "deleted_reason": "reviewed", "judgment_count": judges, "state": "pending"})
            answers = [truth if rng.random() < 0.8 else rng.choice(OPTIONS) for _ in users]
            for user, answer in zip(users, answers, strict=True):
                judgment_id = uuid7()
                rows["judgments"].append({"id": judgment_id, "project_id": project.id, "queue_id": queue.id,
                                          "item_id": item_id, "trace_id": trace_id, "reviewer_id": user.id,
                                          "created_at": when, "updated_at": when})
                rows["scores"].append({**score, "id": uuid7(), "judgment_id": judgment_id,
                                       "categorical_values": [answer], "created_at": when, "updated_at": when})
            review_id = uuid7()
            agreed = len(set(answers)) == 1
            rows["reviews"].append({"id": review_id, "project_id": project.id, "trace_id": trace_id,
                                    "queue_id": queue.id, "created_by_id": users[0].id, "reviewed_by_id": users[0].id,
                                    "resolution": "consensus" if agreed else "adjudicated",
                                    "created_at": when, "updated_at": when})
            rows["finals"].append({**score, "id": uuid7(), "review_id": review_id,
                                   "categorical_values": [answers[0] if agreed else truth],
                                   "created_at": when, "updated_at": when})
        for model, key in ((ReviewQueueItem, "items"), (Judgment, "judgments"), (JudgmentScore, "scores"),
                           (TraceReview, "reviews"), (TraceReviewScore, "finals")):
            db.session.execute(insert(model), rows[key])
        db.session.commit()
    return project.id, queue.id


if __name__ == "__main__":
    main()
