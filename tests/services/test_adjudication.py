"""services.adjudication: the items waiting for a decision, one item's judgments side by side, and deciding."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ReviewChange, ReviewQueueItem
from reviewapp.services import adjudication, reviews
from reviewapp.services.adjudication import NotDecidable
from reviewapp.services.errors import NotFound, ValidationError
from reviewapp.services.score_validation import ScoreValidationError
from tests.support.judgments import three_judges


@pytest.fixture
def case(factory):
    return three_judges(factory, traces=3, waiting=2)


def test_needs_decision_lists_the_waiting_items_oldest_first_with_their_judgments(case):
    waiting, total = adjudication.needs_decision(case.wb.project.id, case.wb.queue.id, limit=10, offset=0)
    assert total == 2
    assert [w.item.trace_id for w in waiting] == ["trace-001", "trace-002"]
    assert [j.reviewer.display_name for j in waiting[0].judgments] == ["Rita Reviewer", "Bob Brown", "Cleo Chen"]
    assert waiting[0].trace is not None and waiting[0].trace.name == "Support chat 1"
    page, total = adjudication.needs_decision(case.wb.project.id, case.wb.queue.id, limit=1, offset=1)
    assert total == 2 and [w.item.trace_id for w in page] == ["trace-002"]
    assert adjudication.waiting_count(case.wb.project.id, case.wb.queue.id) == 2


def test_decision_shows_each_scorer_across_the_judgments_and_marks_differences(case):
    view = adjudication.decision(case.wb.project.id, case.item.id)
    assert view.waiting
    rows = {row.definition.name: row for row in view.rows}
    assert rows["Answer quality"].differ
    assert [s.categorical_values for s in rows["Answer quality"].scores] == [["good"], ["bad"], ["good"]]
    assert rows["Rating"].differ and rows["Rating"].spread == Decimal("4.5")
    assert not rows["Resolved the issue"].differ and rows["Resolved the issue"].spread is None
    # Nobody answered Issues: the queue asks for it (every active scorer), all three agree on no answer.
    assert rows["Issues"].asked and rows["Issues"].scores == [None, None, None] and not rows["Issues"].differ
    assert [r.definition.name for r in view.differing] == ["Answer quality", "Rating"]
    assert [j.comment for j in view.judgments] == ["Looks right to me.", "The refund policy is wrong.", None]


def test_deciding_with_taken_and_own_values_writes_the_adjudicated_review(case):
    wb = case.wb
    bobs = next(j for j in adjudication.decision(wb.project.id, case.item.id).judgments if j.reviewer_id == case.bob.id)
    bobs_quality = next(s for s in bobs.scores if s.definition_id == wb.quality.id)
    note = "  Bob is right about refunds. "
    review = adjudication.decide(wb.project.id, wb.admin, case.item.id, comment=note, scores=[
        {"definition_id": str(wb.quality.id), "definition_version_id": str(bobs_quality.definition_version_id),
         "categorical_values": bobs_quality.categorical_values},  # taken from Bob's judgment
        case.rating("5"),  # the adjudicator's own value
        case.helpful(True),
    ])
    assert review.resolution == "adjudicated"
    assert review.created_by_id == wb.admin.id and review.reviewed_by_id == wb.admin.id
    assert review.comment == "Bob is right about refunds."
    values = {s.definition.name: reviews_value(s) for s in review.scores}
    assert values == {"Answer quality": ["bad"], "Rating": Decimal("5"), "Resolved the issue": True}
    db.session.expire_all()
    item = db.session.get(ReviewQueueItem, case.item.id)
    assert item.deleted_reason == "reviewed" and item.deleted_at is not None
    assert reviews.active_review_for_trace(wb.project.id, item.trace_id).id == review.id
    change = db.session.scalar(select(ReviewChange).where(ReviewChange.review_id == review.id))
    assert change.action == "adjudicated" and change.actor_id == wb.admin.id
    assert adjudication.waiting_count(wb.project.id, wb.queue.id) == 1
    view = adjudication.decision(wb.project.id, case.item.id)
    assert not view.waiting and view.review.id == review.id


def reviews_value(score):
    if score.categorical_values is not None:
        return score.categorical_values
    return score.numeric_value if score.numeric_value is not None else score.boolean_value


def test_a_second_decision_is_refused_as_already_decided(case):
    wb = case.wb
    adjudication.decide(wb.project.id, wb.admin, case.item.id, scores=[case.quality("good")], comment=None)
    other = case.bob  # any actor: the refusal is about the item
    with pytest.raises(NotDecidable) as refused:
        adjudication.decide(wb.project.id, other, case.item.id, scores=[case.quality("bad")], comment="mine")
    assert refused.value.kind == "decided" and refused.value.status == 409
    assert "already settled by Ada Admin" in refused.value.detail
    assert refused.value.review.reviewed_by_id == wb.admin.id
    assert reviews.active_review_for_trace(wb.project.id, case.item.trace_id).scores[0].categorical_values == ["good"]


def test_an_item_still_collecting_judgments_is_not_waiting_for_a_decision(case):
    pending = case.wb.items()[2]
    with pytest.raises(NotDecidable) as refused:
        adjudication.decide(case.wb.project.id, case.wb.admin, pending.id, scores=[case.quality("good")], comment=None)
    assert refused.value.kind == "not_waiting"
    assert "not waiting for a decision" in refused.value.detail
    assert reviews.active_review_for_trace(case.wb.project.id, pending.trace_id) is None


def test_bad_values_and_empty_decisions_are_refused_and_change_nothing(case):
    wb = case.wb
    with pytest.raises(ScoreValidationError) as bad:
        adjudication.decide(wb.project.id, wb.admin, case.item.id, scores=[case.rating("11")], comment=None)
    assert bad.value.attr == "scores" and "above the maximum 10" in bad.value.detail
    with pytest.raises(ValidationError) as empty:
        adjudication.decide(wb.project.id, wb.admin, case.item.id, scores=[], comment="  ")
    assert empty.value.attr == "scores" and empty.value.detail == adjudication.NOTHING_DECIDED
    with pytest.raises(ValidationError) as long_note:
        adjudication.decide(wb.project.id, wb.admin, case.item.id, scores=[], comment="x" * 20_001)
    assert long_note.value.attr == "comment"
    assert adjudication.decision(wb.project.id, case.item.id).waiting


def test_items_of_other_projects_are_not_found(case, factory):
    elsewhere = factory.project()
    with pytest.raises(NotFound):
        adjudication.decision(elsewhere.id, case.item.id)
    with pytest.raises(NotFound):
        adjudication.decide(elsewhere.id, case.wb.admin, case.item.id, scores=[], comment="x")
    with pytest.raises(NotFound):
        adjudication.decide(case.wb.project.id, case.wb.admin, "not-a-uuid", scores=[], comment="x")
