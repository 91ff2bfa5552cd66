"""Retention: `reviewapp prune` deletes old traces nobody reviewed, judged or queued — with their events, evaluation
results and model rows — in batches, counts them first on a dry run, and keeps everything else. On PostgreSQL it
runs beside a live ingest without losing or half-deleting a trace."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvaluation, TraceEvent, TraceModel, utcnow
from reviewapp.services import queue_items, queues, retention, reviews
from reviewapp.services.errors import ValidationError
from reviewapp.services.ingest.posthog import ingest_batch
from tests.ingest.builders import generation
from tests.support.judge_data import judge_event


def age_everything(days: int = 90) -> None:
    """Make every stored trace look `days` old, by its events and by its arrival."""
    old = utcnow() - timedelta(days=days)
    db.session.execute(update(Trace).values(first_timestamp=old, last_timestamp=old, updated_at=old))
    db.session.commit()


def trace_ids() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(Trace.trace_id)))


@pytest.fixture
def store(factory):
    project = factory.project()
    admin = factory.user(project=project, role="admin")
    names = ["plain", "evaluated", "reviewed", "queued", "was-queued", "recent"]
    ingest_batch(project.id, [generation(name, n) for n, name in enumerate(names)]
                 + [judge_event("evaluated", 30, False)])
    age_everything()
    reviews.save_review(project.id, admin, trace_id="reviewed", comment="keep me")
    queue = queues.create_queue(project.id, admin, "Support")
    queue_items.add_item(project.id, admin, queue.id, "queued")
    removed = queue_items.add_item(project.id, admin, queue.id, "was-queued")
    queue_items.remove_item(project.id, admin, removed.id)
    ingest_batch(project.id, [generation("recent", 100)])  # a late event renews an old trace
    return project


def test_a_dry_run_counts_and_deletes_nothing(runner, store):
    result = runner.invoke(args=["prune", "--older-than", "30d", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would delete 2 traces older than 30d" in result.output
    assert len(trace_ids()) == 6


def test_prune_deletes_only_what_nobody_needs_with_its_events_and_results(runner, store):
    result = runner.invoke(args=["prune", "--older-than", "30d", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 traces and 3 events older than 30d in 2 batches." in result.output
    assert trace_ids() == {"reviewed", "queued", "was-queued", "recent"}
    gone = ("plain", "evaluated")
    for model in (TraceEvent, TraceEvaluation, TraceModel):
        assert db.session.scalar(select(func.count()).select_from(model).where(model.trace_id.in_(gone))) == 0
    # The evaluation stays (its other results may be on kept traces): only the pruned trace's results went.
    assert db.session.scalar(select(func.count()).select_from(TraceEvent)) == 5


def test_the_setting_is_the_default_age_and_a_bad_age_is_refused(runner, app, store):
    assert "set REVIEWAPP_RETENTION_DAYS" in runner.invoke(args=["prune"]).output
    app.config["RETENTION_DAYS"] = 365
    try:
        assert "Deleted 0 traces" in runner.invoke(args=["prune"]).output  # 90 days old: within a year
    finally:
        app.config["RETENTION_DAYS"] = 0
    assert "older_than: Give an age like" in runner.invoke(args=["prune", "--older-than", "soon"]).output
    with pytest.raises(ValidationError):
        retention.parse_age("0h")
    assert retention.parse_age("2w") == timedelta(weeks=2)


def test_prune_keeps_to_its_project(runner, store, factory):
    other = factory.project()
    ingest_batch(other.id, [generation("elsewhere", 0)])
    age_everything()
    result = runner.invoke(args=["prune", "--older-than", "30d", "--project", str(other.id)])
    assert "Deleted 1 trace " in result.output
    assert "plain" in trace_ids() and "elsewhere" not in trace_ids()


@pytest.mark.postgres_only
def test_prune_beside_a_live_ingest_loses_no_event_and_leaves_no_orphan(app, factory):
    project = factory.project()
    old = [f"old-{n:03d}" for n in range(300)]
    ingest_batch(project.id, [generation(t, n) for n, t in enumerate(old)])
    age_everything()
    project_id = project.id
    errors: list[BaseException] = []
    late: list[str] = []
    start = threading.Barrier(2)

    def ingest() -> None:
        with app.app_context():
            start.wait()
            try:
                for n in range(60):  # new traces, and late events for old ones being pruned
                    batch = [generation(f"new-{n:03d}", n), generation(old[(n * 5) % len(old)], n + 1000)]
                    late.append(old[(n * 5) % len(old)])
                    ingest_batch(project_id, batch)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    thread = threading.Thread(target=ingest)
    thread.start()
    start.wait()
    result = retention.prune(timedelta(days=30), project_id=project_id, batch=10)
    thread.join()
    assert not errors, errors
    assert result.traces > 0
    db.session.expire_all()
    # Every stored event has its trace, and every trace's summary counts exactly its stored events.
    rows = db.session.execute(
        select(Trace.trace_id, Trace.event_count, func.count(TraceEvent.id))
        .outerjoin(TraceEvent, (TraceEvent.project_id == Trace.project_id) & (TraceEvent.trace_id == Trace.trace_id))
        .where(Trace.project_id == project_id).group_by(Trace.trace_id, Trace.event_count)).all()
    assert all(count == stored for _, count, stored in rows), [r for r in rows if r[1] != r[2]][:5]
    orphans = db.session.scalar(select(func.count()).select_from(TraceEvent).where(
        ~select(Trace.id).where(Trace.project_id == TraceEvent.project_id,
                                Trace.trace_id == TraceEvent.trace_id).exists()))
    assert orphans == 0
    kept = {trace_id for trace_id, _, _ in rows}
    assert {f"new-{n:03d}" for n in range(60)} <= kept  # nothing new was pruned
    assert set(late) <= kept  # every late event is stored, in a trace of its own or its renewed old one
