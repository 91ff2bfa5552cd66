"""Judgments at N reviewers per trace: who may claim what (never twice, at most N − judgments live claims, assignees,
skips), and how the Nth judgment settles the item (consensus per kind, tolerance, disagreement, edits)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import (
    ItemClaim,
    Judgment,
    QueueAssignee,
    ReviewChange,
    ReviewQueueItem,
    TraceReview,
    utcnow,
)
from reviewapp.services import accounts, claims, judgments, queue_items, queues, review_history, scorers
from reviewapp.services.errors import PermissionDenied, ValidationError

LEASE = timedelta(minutes=30)


@pytest.fixture
def setup(factory):
    project = factory.project()
    admin = factory.user(project=project, role="admin")
    people = [factory.user(project=project, role="reviewer") for _ in range(4)]
    quality = scorers.create_definition(project.id, admin, name="Quality", kind="categorical", config={
        "options": [{"key": "good", "label": "Good"}, {"key": "bad", "label": "Bad"}],
        "selection_mode": "multiple"})
    score = scorers.create_definition(project.id, admin, name="Score", kind="numeric", config={"min": 0, "max": 10})
    ok = scorers.create_definition(project.id, admin, name="OK", kind="boolean", config={})
    queue = queues.create_queue(project.id, admin, "Triple", "")
    queue.reviews_per_trace = 3
    db.session.commit()
    for trace_id in ("t-1", "t-2", "t-3"):  # one by one: oldest first is t-1, t-2, t-3
        queue_items.add_item(project.id, admin, str(queue.id), trace_id)
    return project, admin, people, queue, {"quality": quality, "score": score, "ok": ok}


def entries(defs, quality=("good",), score="7", ok=True):
    out = []
    if quality is not None:
        out.append({"definition_id": str(defs["quality"].id), "categorical_values": list(quality)})
    if score is not None:
        out.append({"definition_id": str(defs["score"].id), "numeric_value": score})
    if ok is not None:
        out.append({"definition_id": str(defs["ok"].id), "boolean_value": ok})
    return out


def item_of(trace_id: str) -> ReviewQueueItem:
    return db.session.scalar(select(ReviewQueueItem).where(ReviewQueueItem.trace_id == trace_id)
                             .order_by(ReviewQueueItem.created_at.desc()))


def judge(project, user, trace_id, defs, **values) -> Judgment:
    return judgments.submit_judgment(project.id, user, item_of(trace_id), scores=entries(defs, **values),
                                     comment=None)


def test_each_reviewer_claims_a_trace_once_and_gets_their_held_one_back(setup):
    project, _admin, (ann, bob, cat, dan), queue, defs = setup
    first = claims.claim_next(project.id, ann, queue.id)
    assert first.trace_id == "t-1"
    assert claims.claim_next(project.id, ann, queue.id).id == first.id  # held: the same one again
    # three reviewers share the oldest trace; the fourth gets the next one
    assert claims.claim_next(project.id, bob, queue.id).trace_id == "t-1"
    assert claims.claim_next(project.id, cat, queue.id).trace_id == "t-1"
    assert claims.claim_next(project.id, dan, queue.id).trace_id == "t-2"
    assert db.session.scalar(select(func.count()).select_from(ItemClaim)) == 4
    assert db.session.scalar(select(func.count()).select_from(ItemClaim).where(ItemClaim.user_id == ann.id)) == 1
    # once judged, the reviewer never gets that trace again
    judge(project, ann, "t-1", defs)
    assert claims.claim_next(project.id, ann, queue.id).trace_id == "t-2"
    assert item_of("t-1").judgment_count == 1


def test_judgments_and_live_claims_together_never_exceed_n(setup):
    project, _admin, (ann, bob, cat, dan), queue, defs = setup
    for user in (ann, bob):
        claims.claim_next(project.id, user, queue.id)
        judge(project, user, "t-1", defs)
    assert claims.claim_next(project.id, cat, queue.id).trace_id == "t-1"
    assert claims.claim_next(project.id, dan, queue.id).trace_id == "t-2"  # 2 judgments + 1 claim = N
    # an expired claim frees its place
    db.session.execute(ItemClaim.__table__.update().where(ItemClaim.user_id == cat.id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    claims.skip_item(project.id, dan, item_of("t-2").id)
    assert claims.claim_next(project.id, dan, queue.id).trace_id == "t-1"
    # a direct save without a place is refused while others hold them all
    with pytest.raises(ValidationError, match="All 3 places"):
        judge(project, cat, "t-1", defs)


def test_judging_twice_is_refused(setup):
    project, _admin, (ann, *_), _queue, defs = setup
    judge(project, ann, "t-1", defs)
    with pytest.raises(ValidationError, match="already judged"):
        judge(project, ann, "t-1", defs)
    assert db.session.scalar(select(func.count(Judgment.id))) == 1


def test_skipping_gives_up_the_place_and_the_trace_comes_back_last(setup):
    project, _admin, (ann, bob, *_), queue, _defs = setup
    held = claims.claim_next(project.id, ann, queue.id)
    claims.skip_item(project.id, ann, held.id, "unsure")
    assert db.session.scalar(select(func.count()).select_from(ItemClaim)) == 0
    assert [claims.claim_next(project.id, ann, queue.id).trace_id] == ["t-2"]
    assert claims.claim_next(project.id, bob, queue.id).trace_id == "t-1"


def test_only_assignees_claim_at_any_n(setup, factory):
    project, admin, (ann, bob, *_), queue, _defs = setup
    single = queues.create_queue(project.id, admin, "Single", "")
    queue_items.bulk_add(project.id, admin, str(single.id), ["s-1"])
    for q in (queue, single):
        db.session.add(QueueAssignee(queue_id=q.id, user_id=ann.id))
    db.session.commit()
    for q in (queue, single):
        db.session.refresh(q)
        assert claims.claim_next(project.id, bob, q.id) is None
        assert claims.refusal(q, bob) == "You are not assigned to this queue."
        assert claims.refusal(q, ann) is None
        assert claims.claim_next(project.id, ann, q.id) is not None
    with pytest.raises(PermissionDenied):
        judge(project, bob, "t-1", _defs)


def test_agreeing_judgments_settle_by_consensus_with_the_earliest_values(setup):
    project, _admin, (ann, bob, cat, _), queue, defs = setup
    queue.numeric_tolerance = Decimal("1")
    db.session.commit()
    judge(project, ann, "t-1", defs, quality=("good", "bad"), score="7")
    judge(project, bob, "t-1", defs, quality=("bad", "good"), score="8")
    assert item_of("t-1").state == "pending" and item_of("t-1").deleted_at is None
    assert db.session.scalar(select(func.count(TraceReview.id))) == 0
    judge(project, cat, "t-1", defs, quality=("good", "bad"), score="7.5")
    item = item_of("t-1")
    assert item.deleted_reason == "reviewed" and item.judgment_count == 3
    review = db.session.scalar(select(TraceReview))
    assert (review.resolution, review.trace_id, review.comment) == ("consensus", "t-1", None)
    assert review.created_by_id == cat.id and review.reviewed_by_id == cat.id
    values = {s.definition.name: (s.categorical_values, s.numeric_value, s.boolean_value) for s in review.scores}
    assert values == {"Quality": (["good", "bad"], None, None), "Score": (None, Decimal("7"), None),
                      "OK": (None, None, True)}


@pytest.mark.parametrize("second", [
    {"quality": ("good",)},  # categorical: another set
    {"ok": False},  # boolean
    {"score": "7.5"},  # numeric, no tolerance: must be equal
    {"ok": None},  # answered by one and not the other
])
def test_disagreeing_judgments_need_a_decision(setup, second):
    project, _admin, (ann, bob, cat, _), queue, defs = setup
    queue.reviews_per_trace, queue.required_scorer_ids = 2, []  # a scorer may be left out
    db.session.commit()
    judge(project, ann, "t-1", defs, quality=("good", "bad"))
    judge(project, bob, "t-1", defs, **{"quality": ("good", "bad"), **second})
    item = item_of("t-1")
    assert (item.state, item.deleted_at, item.judgment_count) == ("needs_decision", None, 2)
    assert db.session.scalar(select(func.count(TraceReview.id))) == 0
    # nobody claims it any more
    assert claims.claim_next(project.id, cat, queue.id).trace_id == "t-2"


def test_numeric_tolerance_is_inclusive_and_pairwise(setup):
    project, _admin, (ann, bob, cat, _), queue, defs = setup
    queue.numeric_tolerance = Decimal("0.5")
    db.session.commit()
    for user, value in ((ann, "7"), (bob, "7.5"), (cat, "6.5")):  # 7.5 and 6.5 are 1 apart
        judge(project, user, "t-1", defs, score=value)
    assert item_of("t-1").state == "needs_decision"
    for user, value in ((ann, "7"), (bob, "7.5"), (cat, "7.5")):
        judge(project, user, "t-2", defs, score=value)
    assert item_of("t-2").deleted_reason == "reviewed"


def test_an_edit_at_needs_decision_rechecks_agreement_and_is_kept_in_history(setup):
    project, _admin, (ann, bob, *_), queue, defs = setup
    queue.reviews_per_trace = 2
    db.session.commit()
    judge(project, ann, "t-1", defs, ok=True)
    mine = judge(project, bob, "t-1", defs, ok=False)
    assert item_of("t-1").state == "needs_decision"
    with pytest.raises(PermissionDenied):
        judgments.update_judgment(project.id, ann, mine.id, comment="not mine")
    judgments.update_judgment(project.id, bob, mine.id, comment="on reflection", scores=entries(defs, ok=True))
    assert item_of("t-1").deleted_reason == "reviewed"
    review = db.session.scalar(select(TraceReview))
    assert review.resolution == "consensus" and review.reviewed_by_id == bob.id
    changes = db.session.scalars(select(ReviewChange).where(ReviewChange.subject == review_history.JUDGMENT)
                                 .order_by(ReviewChange.created_at)).all()
    assert [(c.action, c.subject_id) for c in changes][-1] == ("updated", mine.id)
    assert changes[-1].before["comment"] is None and changes[-1].after["comment"] == "on reflection"
    assert len(changes) == 3  # two creations, one edit
    with pytest.raises(ValidationError, match="can no longer be edited"):
        judgments.update_judgment(project.id, bob, mine.id, comment="too late")


def test_an_edit_adds_its_time_to_the_judgments_and_a_bad_time_changes_nothing(setup):
    project, _admin, (ann, *_), _queue, defs = setup
    claims.claim_next(project.id, ann, _queue.id, LEASE)
    mine = judgments.submit_judgment(project.id, ann, item_of("t-1"), scores=entries(defs), comment=None,
                                     time_spent_seconds=30)
    judgments.update_judgment(project.id, ann, mine.id, comment="second look", time_spent_seconds="12.5")
    assert db.session.get(Judgment, mine.id).time_spent_seconds == 42.5
    judgments.update_judgment(project.id, ann, mine.id, comment="no clock")  # the API's PATCH without a time
    assert db.session.get(Judgment, mine.id).time_spent_seconds == 42.5
    with pytest.raises(ValidationError, match="between 0 and"):
        judgments.update_judgment(project.id, ann, mine.id, comment="lost", time_spent_seconds=-1)
    kept = db.session.get(Judgment, mine.id)
    assert (kept.comment, kept.time_spent_seconds) == ("no clock", 42.5)


def test_the_list_hides_others_judgments_of_a_blind_trace_until_one_judges_it(setup):
    project, admin, (ann, bob, *_), queue, defs = setup
    queue.blind = True
    db.session.commit()
    judge(project, ann, "t-1", defs)
    judge(project, ann, "t-2", defs)
    judge(project, bob, "t-2", defs)

    def seen(user, **filters):
        found, total = judgments.list_judgments(project.id, accounts.membership_for(user.id, project.id),
                                                limit=50, **filters)
        assert total == len(found)
        return sorted((j.trace_id, j.reviewer_id) for j in found)

    assert seen(bob) == [("t-2", ann.id), ("t-2", bob.id)]  # not ann's t-1: bob has not judged it
    assert seen(ann) == [("t-1", ann.id), ("t-2", ann.id), ("t-2", bob.id)]
    assert len(seen(admin)) == 3
    assert seen(admin, reviewer_id=bob.id) == [("t-2", bob.id)]
    assert seen(admin, trace_id="t-1", queue_id=queue.id, definition_id=defs["ok"].id) == [("t-1", ann.id)]
