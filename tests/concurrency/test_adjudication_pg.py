"""Two admins deciding the same disagreement at once on PostgreSQL: the item's row lock lets one decision through;
the other is refused as already decided (its input kept by the page), never a 500, never two final reviews."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import ReviewChange, ReviewQueueItem, TraceReview, User
from reviewapp.services import adjudication
from tests.support.judgments import three_judges

pytestmark = pytest.mark.postgres_only


def test_two_admins_deciding_at_once_one_wins_the_other_hears_it_was_decided(app, factory):
    case = three_judges(factory, traces=1, waiting=1)
    second = factory.user(email="second-admin@example.com", project=case.wb.project, role="admin",
                          first_name="Sam", last_name="Second")
    project_id, item_id = case.wb.project.id, case.item.id
    deciders = [(case.wb.admin.id, "good"), (second.id, "bad")]
    scores = {key: [case.quality(key), case.rating("5")] for _, key in deciders}
    barrier = threading.Barrier(2)

    def decide(n: int) -> str:
        user_id, key = deciders[n]
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                adjudication.decide(project_id, user, item_id, scores=scores[key], comment=f"decided {key}")
                outcome = "saved"
            except adjudication.NotDecidable as exc:
                outcome = exc.kind
            db.session.remove()
            return outcome

    for _ in range(3):  # a few rounds: the race goes either way
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(decide, range(2)))
        assert sorted(outcomes) == ["decided", "saved"], outcomes
        db.session.expire_all()
        assert db.session.scalar(select(func.count(TraceReview.id))) == 1
        review = db.session.scalar(select(TraceReview))
        winner = outcomes.index("saved")
        assert review.reviewed_by_id == deciders[winner][0] and review.resolution == "adjudicated"
        assert review.comment == f"decided {deciders[winner][1]}"
        assert db.session.scalar(select(func.count(ReviewChange.id))) == 1
        assert db.session.scalar(select(ReviewQueueItem.deleted_reason)) == "reviewed"
        # Back to waiting for the next round.
        db.session.execute(ReviewChange.__table__.delete())
        db.session.execute(TraceReview.__table__.delete())
        item = db.session.get(ReviewQueueItem, item_id)
        item.deleted_at, item.deleted_reason = None, None
        db.session.commit()
