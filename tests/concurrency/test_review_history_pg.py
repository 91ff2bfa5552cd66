"""The review history under concurrent writes on PostgreSQL: edits of one review by several people at once each
land as an entry, one after the other (each starting from the values the previous one left), and the review ends
as the last entry says — no change is lost or recorded twice."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import ReviewChange, TraceReview, User
from reviewapp.services import accounts, review_history, reviews, scorers

pytestmark = pytest.mark.postgres_only


def _people(project, count: int) -> list[int]:
    ids = []
    for n in range(count):
        user = accounts.create_user(f"editor{n}@example.com", "correct horse battery", f"Editor {n}")
        accounts.set_membership(user, project, "reviewer")
        ids.append(user.id)
    return ids


def _history(project_id: int) -> list[ReviewChange]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReviewChange).where(ReviewChange.project_id == project_id)
                                   .order_by(ReviewChange.created_at, ReviewChange.id)))


@pytest.mark.parametrize("editors", [2, 8])
def test_concurrent_patches_of_one_review_each_land_in_order(app, factory, editors):
    project = factory.project("Racing edits")
    admin = factory.user(project=project, role="admin")
    rating = scorers.create_definition(project.id, admin, name="Rating", kind="numeric",
                                       config={"min": 0, "max": 10, "step": 1})
    review = reviews.save_review(project.id, admin, trace_id="contested", comment="start", scores=[
        {"definition_id": str(rating.id), "numeric_value": 0}])
    user_ids = _people(project, editors)
    project_id, review_id, rating_id = project.id, review.id, str(rating.id)
    barrier = threading.Barrier(editors)

    def patch(n: int) -> None:
        # What PATCH trace_reviews/{id}/ calls, each in its own session and connection.
        with app.app_context():
            user = db.session.get(User, user_ids[n])
            barrier.wait()
            reviews.save_review(project_id, user, review_id=review_id, comment=f"by {n}",
                                scores=[{"definition_id": rating_id, "numeric_value": n + 1}])
            db.session.remove()

    with ThreadPoolExecutor(editors) as pool:
        list(pool.map(patch, range(editors)))

    created, *edits = _history(project_id)
    assert created.action == "created" and len(edits) == editors
    assert all(edit.action == "updated" for edit in edits)
    assert sorted(edit.actor_id for edit in edits) == sorted(user_ids)  # each editor once
    previous = created
    for edit in edits:  # each edit starts from what the one before it left: none overwrote another unrecorded
        assert edit.before == previous.after
        assert edit.after["comment"] == f"by {user_ids.index(edit.actor_id)}"
        assert edit.after["reviewed_by"]["id"] == edit.actor_id
        previous = edit
    final = db.session.get(TraceReview, review_id)
    assert review_history.snapshot(final) == edits[-1].after
    assert final.updated_at == edits[-1].created_at


def test_racing_creations_record_one_creation(app, factory):
    project = factory.project("Racing creations")
    user_ids = _people(project, 6)
    project_id = project.id
    barrier = threading.Barrier(len(user_ids))

    def create(n: int) -> str:
        with app.app_context():
            user = db.session.get(User, user_ids[n])
            barrier.wait()
            try:
                reviews.save_review(project_id, user, trace_id="contested", comment=f"by {n}")
                outcome = "created"
            except reviews.AlreadyReviewed:
                outcome = "refused"
            db.session.remove()
            return outcome

    with ThreadPoolExecutor(len(user_ids)) as pool:
        outcomes = list(pool.map(create, range(len(user_ids))))
    assert outcomes.count("created") == 1, outcomes
    [entry] = _history(project_id)
    review = db.session.scalar(select(TraceReview))
    assert (entry.action, entry.review_id, entry.after["comment"]) == ("created", review.id, review.comment)
    assert db.session.scalar(select(func.count(ReviewChange.id))) == 1
