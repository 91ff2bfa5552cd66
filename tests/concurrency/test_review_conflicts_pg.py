"""Saves from the review page racing on PostgreSQL: whoever commits first wins, and every other reviewer hears of
it as a conflict (their input kept by the page), never a 500 and never a silent overwrite."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import ReviewQueueItem, TraceReview, User
from reviewapp.services import accounts, queue_items, queues, submissions

pytestmark = pytest.mark.postgres_only
THREADS = 8


def test_racing_saves_of_one_trace_keep_one_review_and_tell_the_others(app, factory):
    project = factory.project("Racing saves")
    admin = factory.user(project=project, role="admin")
    queue = queues.create_queue(project.id, admin, "Q")
    queue_items.add_item(project.id, admin, queue.id, "contested")
    user_ids = []
    for n in range(THREADS):
        user = accounts.create_user(f"racer{n}@example.com", "correct horse battery", f"Racer {n}")
        accounts.set_membership(user, project, "reviewer")
        user_ids.append(user.id)
    project_id = project.id
    barrier = threading.Barrier(THREADS)

    def save(n: int) -> str:
        with app.app_context():
            user = db.session.get(User, user_ids[n])
            barrier.wait()
            try:
                submissions.submit_review(project_id, user, trace_id="contested", comment=f"by {n}", scores=[])
                outcome = "saved"
            except submissions.SaveConflict as exc:
                outcome = exc.kind
            db.session.remove()
            return outcome

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(save, range(THREADS)))
    assert outcomes.count("saved") == 1, outcomes
    assert set(outcomes) - {"saved"} <= {"reviewed", "held"}, outcomes
    db.session.expire_all()
    assert db.session.scalar(select(func.count(TraceReview.id))) == 1
    winner = outcomes.index("saved")
    assert db.session.scalar(select(TraceReview.comment)) == f"by {winner}"
    assert db.session.scalar(select(ReviewQueueItem.deleted_reason)) == "reviewed"
