"""`reviewapp seed-demo` saves its reviews through the review service, so each has its history entry, dated back
with the review (the trace page's History card reads as the review card does)."""
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ReviewChange, TraceReview


def test_each_demo_review_has_its_creation_dated_with_it(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    reviews = db.session.scalars(select(TraceReview)).all()
    assert reviews
    changes = {change.review_id: change for change in db.session.scalars(
        select(ReviewChange).where(ReviewChange.subject == "review"))}  # judgments have entries of their own
    assert set(changes) == {review.id for review in reviews}
    for review in reviews:
        change = changes[review.id]
        assert (change.action, change.actor_id, change.created_at) == ("created", review.created_by_id,
                                                                       review.created_at)
        assert change.after["comment"] == review.comment
