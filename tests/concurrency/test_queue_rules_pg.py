"""Queue rules under concurrent ingestion on PostgreSQL: batches touching the same traces and the same rules at
once add no trace twice and never pass a rule's daily cap."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import QueueRuleAddition, ReviewQueueItem
from reviewapp.services import queue_rules
from tests.rules.helpers import added_by, call, ingest, make_queue, make_rule

pytestmark = pytest.mark.postgres_only
THREADS = 8


def race(app, fn):
    barrier = threading.Barrier(THREADS)

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                return fn(i)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_concurrent_batches_add_each_trace_once_and_respect_the_cap(app, factory):
    project = factory.project()
    capped = make_rule(project.id, make_queue(project.id, "Errors"), [{"field": "error", "value": True}],
                       daily_cap=7)
    everything = make_rule(project.id, make_queue(project.id, "All"))
    ids = (project.id, capped.id, everything.id)

    def ingest_rounds(i):
        for round_ in range(4):
            # Every thread sends events of the same shared traces (each batch merges into them) and of its own.
            shared = [call(f"shared-{n}", i + round_ * 10, **{"$ai_is_error": True}) for n in range(6)]
            own = [call(f"own-{i}-{round_}-{n}", **({"$ai_is_error": True} if n % 2 else {})) for n in range(4)]
            ingest(ids[0], shared + own)

    race(app, ingest_rounds)
    db.session.expire_all()
    traces = 6 + THREADS * 4 * 4
    per_trace = db.session.execute(
        select(ReviewQueueItem.trace_id, func.count()).where(ReviewQueueItem.project_id == project.id,
                                                             ReviewQueueItem.deleted_at.is_(None))
        .group_by(ReviewQueueItem.trace_id)).all()
    assert len(per_trace) == traces and all(count == 1 for _, count in per_trace)
    assert len(added_by(capped)) == 7  # far more errors arrived
    assert len(added_by(everything)) == traces - 7
    additions = db.session.scalar(select(func.count()).select_from(QueueRuleAddition)
                                  .where(QueueRuleAddition.project_id == project.id))
    assert additions == traces
    assert queue_rules.stats([capped.id])[capped.id].added_today == 7


def test_concurrent_batches_of_different_traces_stop_at_the_cap(app, factory):
    project = factory.project()
    rule = make_rule(project.id, make_queue(project.id), daily_cap=5)
    project_id = project.id
    race(app, lambda i: [ingest(project_id, [call(f"t-{i}-{round_}-{n}") for n in range(3)]) for round_ in range(3)])
    assert len(added_by(rule)) == 5


def test_concurrent_backfills_of_one_rule_respect_its_cap(app, factory):
    project = factory.project()
    ingest(project.id, [call(f"t{n}") for n in range(40)])
    rule = make_rule(project.id, make_queue(project.id), daily_cap=15)
    project_id, rule_id = project.id, rule.id
    results = race(app, lambda i: queue_rules.backfill(project_id, None, rule_id))
    assert sum(results) == 15 and len(added_by(rule)) == 15
