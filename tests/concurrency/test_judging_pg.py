"""The proof of claiming with N reviewers per trace under real concurrency (PostgreSQL, FOR UPDATE SKIP LOCKED): twenty
reviewers, each in its own thread, session and connection, work 200 traces at N = 3 until nothing is left for
them. Every trace gets exactly three judgments by three different reviewers, no item ever holds more than N live
claims and judgments together, and since the judges agree every item ends done with a consensus review."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import ItemClaim, Judgment, ReviewQueueItem, TraceReview, User, utcnow
from reviewapp.services import accounts, claims, judgments, queue_items, queues, scorers

REVIEWERS = 20
ITEMS = 200
N = 3


@pytest.mark.postgres_only
def test_twenty_reviewers_judge_two_hundred_traces_three_times_each(app, factory):
    project = factory.project("Busy")
    admin = factory.user(project=project, role="admin")
    verdict = scorers.create_definition(project.id, admin, name="Verdict", kind="boolean", config={})
    queue = queues.create_queue(project.id, admin, "Triple")
    queue.reviews_per_trace = N
    db.session.commit()
    assert len(queue_items.bulk_add(project.id, admin, queue.id, [f"t-{n:03d}" for n in range(ITEMS)]).added) == ITEMS
    emails = []
    for n in range(REVIEWERS):
        user = accounts.create_user(f"judge{n}@example.com", "correct horse battery", f"Judge {n}")
        accounts.set_membership(user, project, "reviewer")
        emails.append(user.email)
    project_id, queue_id, verdict_id = project.id, queue.id, str(verdict.id)
    barrier = threading.Barrier(REVIEWERS)
    overfull: list[str] = []

    def work(n: int) -> list[str]:
        judged = []
        with app.app_context():
            me = db.session.scalar(select(User).where(User.email == emails[n]))
            barrier.wait()
            while (item := claims.claim_next(project_id, me, queue_id)) is not None:
                # Under this claim, the item's live claims and judgments never exceed N.
                busy = item.judgment_count + (db.session.scalar(select(func.count()).select_from(ItemClaim).where(
                    ItemClaim.item_id == item.id, ItemClaim.expires_at >= utcnow())) or 0)
                if busy > N:
                    overfull.append(item.trace_id)
                judgments.submit_judgment(project_id, me, item, comment=f"judge {n}", scores=[
                    {"definition_id": verdict_id, "boolean_value": True}])
                judged.append(item.trace_id)
            db.session.remove()
        return judged

    with ThreadPoolExecutor(REVIEWERS) as pool:
        results = list(pool.map(work, range(REVIEWERS)))

    assert overfull == []
    everything = [trace for judged in results for trace in judged]
    assert len(everything) == ITEMS * N
    assert Counter(everything) == {f"t-{n:03d}": N for n in range(ITEMS)}
    assert all(len(judged) == len(set(judged)) for judged in results)  # nobody twice on a trace
    assert sum(1 for judged in results if judged) > REVIEWERS // 2  # the work was shared
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Judgment.id))) == ITEMS * N
    reviewers_per_trace = db.session.execute(
        select(Judgment.trace_id, func.count(func.distinct(Judgment.reviewer_id))).group_by(Judgment.trace_id)).all()
    assert {count for _, count in reviewers_per_trace} == {N} and len(reviewers_per_trace) == ITEMS
    items = db.session.scalars(select(ReviewQueueItem)).all()
    assert {(i.deleted_reason, i.judgment_count, i.state) for i in items} == {("reviewed", N, "pending")}
    reviews = db.session.scalars(select(TraceReview)).all()
    assert len(reviews) == ITEMS
    assert {r.resolution for r in reviews} == {"consensus"}
    assert {s.boolean_value for r in reviews for s in r.scores} == {True}
    assert db.session.scalar(select(func.count()).select_from(ItemClaim)) == 0  # every claim ended with its save
