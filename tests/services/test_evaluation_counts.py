"""Evaluation results counted by outcome without counting them on every view: the counts the Evaluations page and
API show stay exactly the results stored, through replays, a rule change that re-reads outcomes and prune, and on
PostgreSQL through batches ingested at once beside a prune; the page's statements do not grow with the results."""
from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from reviewapp.extensions import db
from reviewapp.models import EvaluationOutcomeCount, Trace, TraceEvaluation, utcnow
from reviewapp.services import evaluations, retention
from reviewapp.services.ingest.posthog import ingest_batch
from tests.ingest.builders import generation
from tests.support.judge_data import judge_event


@pytest.fixture
def project(factory):
    return factory.project()


def shown(project_id: int) -> Counter:
    """The counts as the Evaluations page and API give them, by (evaluation name, outcome)."""
    db.session.expire_all()
    return Counter({(row.evaluation.name, outcome): n for row in evaluations.list_evaluations(project_id)
                    for outcome, n in row.counts.items()})


def stored(project_id: int) -> Counter:
    """The results actually stored, counted the slow way."""
    from reviewapp.models import Evaluation

    return Counter({(name, outcome): n for name, outcome, n in db.session.execute(
        select(Evaluation.name, TraceEvaluation.outcome, func.count())
        .join(Evaluation, Evaluation.id == TraceEvaluation.evaluation_id)
        .where(TraceEvaluation.project_id == project_id)
        .group_by(Evaluation.name, TraceEvaluation.outcome))})


def count_rows(project_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(EvaluationOutcomeCount)
                             .where(EvaluationOutcomeCount.project_id == project_id)) or 0


def test_counts_follow_ingest_replays_a_rule_change_and_prune(project):
    ingest_batch(project.id, [generation("a", 0), judge_event("a", 1, True), judge_event("a", 2, False,
                                                                                            name="Tone", key="tone")])
    run = str(uuid.uuid4())
    replayed = judge_event("b", 3, False, **{"$ai_evaluation_run_id": run})
    for _ in range(2):  # the same run twice, under two event uuids: stored once, counted once
        ingest_batch(project.id, [generation("b", 0), {**replayed, "uuid": str(uuid.uuid4())}])
    ingest_batch(project.id, [generation("c", 0), judge_event("c", 4, False, skipped=True)])
    assert shown(project.id) == stored(project.id) == Counter({
        ("Correctness", "pass"): 1, ("Correctness", "fail"): 1, ("Correctness", "skipped"): 1, ("Tone", "fail"): 1})
    assert count_rows(project.id) == 4  # folded as they came: one row per evaluation and outcome

    correctness = next(row.evaluation for row in evaluations.list_evaluations(project.id)
                       if row.evaluation.name == "Correctness")
    evaluations.update_evaluation(project.id, correctness.id, evaluations.Settings(true_is_failure=True))
    assert shown(project.id) == stored(project.id) == Counter({
        ("Correctness", "fail"): 1, ("Correctness", "pass"): 1, ("Correctness", "skipped"): 1, ("Tone", "fail"): 1})
    [row] = evaluations.list_evaluations(project.id, correctness.id)
    assert (row.counts, row.total, row.pass_rate) == ({"fail": 1, "pass": 1, "skipped": 1}, 3, 0.5)

    old = utcnow() - timedelta(days=90)
    db.session.execute(update(Trace).where(Trace.trace_id.in_(["a", "c"]))
                       .values(first_timestamp=old, last_timestamp=old, updated_at=old))
    db.session.commit()
    assert retention.prune(timedelta(days=30), project_id=project.id).traces == 2
    assert shown(project.id) == stored(project.id) == Counter({("Correctness", "pass"): 1})  # b's false, read inverted
    tone = next(row for row in evaluations.list_evaluations(project.id) if row.evaluation.name == "Tone")
    assert (tone.counts, tone.total, tone.last_seen) == ({}, 0, None)  # its only result went with its trace


def test_the_last_result_is_the_latest_stored(project):
    ingest_batch(project.id, [generation("a", 0), judge_event("a", 5, True), judge_event("a", 50, False)])
    [row] = evaluations.list_evaluations(project.id)
    latest = db.session.scalar(select(func.max(TraceEvaluation.timestamp)))
    assert row.last_seen == latest.replace(tzinfo=row.last_seen.tzinfo) and row.last_seen.tzinfo is not None


def test_the_page_runs_the_same_statements_and_counts_no_result_whatever_their_number(
        client, login, factory, project, count_queries):
    login(factory.user(project=project, role="viewer"))
    url = f"/projects/{project.id}/evaluations/"
    ingest_batch(project.id, [generation("t0", 0), judge_event("t0", 1, True)])
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    for chunk in range(4):
        ingest_batch(project.id, [judge_event(f"t{chunk}-{n}", n, n % 3 == 0, name=f"Judge {n % 4}",
                                              key=f"judge-{n % 4}") for n in range(60)])
    with count_queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert "Judge 3" in page and shown(project.id) == stored(project.id)
    assert len(many) == len(few), many
    assert not [s for s in many if "count(" in s.lower() and "trace_evaluations" in s]


@pytest.mark.postgres_only
def test_counts_stay_exact_under_concurrent_ingest_and_prune(app, project):
    """Four clients send overlapping batches (every result twice, as racing SDK retries) for the same evaluations
    while prune deletes old evaluated traces: nothing waits for a shared counter, nothing deadlocks, and the counts
    are the results stored."""
    project_id = project.id
    ingest_batch(project_id, [e for n in range(80) for e in (generation(f"old-{n}", n), judge_event(
        f"old-{n}", n, n % 2 == 0, name=f"Judge {n % 3}", key=f"judge-{n % 3}"))])
    old = utcnow() - timedelta(days=90)
    db.session.execute(update(Trace).values(first_timestamp=old, last_timestamp=old, updated_at=old))
    db.session.commit()
    runs = [str(uuid.uuid4()) for _ in range(120)]
    start = threading.Barrier(5)
    errors: list[BaseException] = []

    def send(n: int) -> None:
        with app.app_context():
            start.wait()
            try:
                for chunk in range(0, len(runs), 10):
                    order = range(chunk, chunk + 10) if n % 2 else reversed(range(chunk, chunk + 10))
                    ingest_batch(project_id, [judge_event(
                        f"new-{i % 9}", i, i % 3 != 0, skipped=i % 7 == 0, name=f"Judge {i % 3}",
                        key=f"judge-{i % 3}", **{"$ai_evaluation_run_id": runs[i]}) for i in order])
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    def prune() -> None:
        with app.app_context():
            start.wait()
            try:
                retention.prune(timedelta(days=30), project_id=project_id, batch=7)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)] + [threading.Thread(target=prune)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    db.session.expire_all()
    assert not db.session.scalar(select(func.count()).select_from(TraceEvaluation)
                                 .where(TraceEvaluation.trace_id.like("old-%")))
    assert sum(stored(project_id).values()) == len(runs)
    assert shown(project_id) == stored(project_id)
