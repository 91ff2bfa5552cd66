"""Blind review's one rule: in a blind queue a member below admin sees others' work on a pending trace only after
judging it themselves; admins always see it; a non-blind queue or a done item hides nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import Judgment, Membership, ReviewQueueItem, utcnow
from reviewapp.services import accounts, queue_items, queues, visibility


@pytest.fixture
def setting(factory):
    project = factory.project()
    admin = factory.user(project=project, role="admin")
    ann = factory.user(project=project, role="reviewer")
    bob = factory.user(project=project, role="reviewer")
    queue = queues.create_queue(project.id, admin, "Blind pairs", "")
    queue.blind, queue.reviews_per_trace = True, 2
    db.session.commit()
    queue_items.bulk_add(project.id, admin, str(queue.id), ["t-1", "t-2"])
    return project, admin, ann, bob, queue


def member(user, project) -> Membership:
    return accounts.membership_for(user.id, project.id)


def judge(project, user, trace_id: str) -> None:
    item = db.session.scalar(select(ReviewQueueItem).where(ReviewQueueItem.trace_id == trace_id,
                                                           ReviewQueueItem.deleted_at.is_(None)))
    db.session.add(Judgment(project_id=project.id, queue_id=item.queue_id, item_id=item.id, trace_id=trace_id,
                            reviewer_id=user.id))
    item.judgment_count += 1
    db.session.commit()


def visible_traces(membership: Membership, trace_ids: list[str]) -> list[str]:
    return [t for t in trace_ids if visibility.can_see_others_work(membership, t)]


def test_a_reviewer_sees_others_work_on_a_blind_trace_only_after_judging_it(setting):
    project, admin, ann, bob, _queue = setting
    judge(project, ann, "t-1")
    assert visible_traces(member(ann, project), ["t-1", "t-2"]) == ["t-1"]
    assert visible_traces(member(bob, project), ["t-1", "t-2"]) == []
    assert visible_traces(member(admin, project), ["t-1", "t-2"]) == ["t-1", "t-2"]
    assert visibility.hidden(member(admin, project), "t-1") is None


def test_the_condition_filters_a_query_of_judgments(setting):
    project, _admin, ann, bob, _queue = setting
    judge(project, ann, "t-1")
    judge(project, bob, "t-2")
    rows = db.session.scalars(select(Judgment.trace_id).where(
        *visibility.where_visible(member(bob, project), Judgment.trace_id)).order_by(Judgment.trace_id)).all()
    assert rows == ["t-2"]


def test_a_done_item_or_a_queue_that_is_not_blind_hides_nothing(setting):
    project, _admin, _ann, bob, queue = setting
    t1 = db.session.scalar(select(ReviewQueueItem).where(ReviewQueueItem.trace_id == "t-1"))
    t1.deleted_at, t1.deleted_reason = utcnow(), "reviewed"
    db.session.commit()
    assert visible_traces(member(bob, project), ["t-1", "t-2", "not-queued"]) == ["t-1", "not-queued"]
    queue.blind = False
    db.session.commit()
    assert visible_traces(member(bob, project), ["t-1", "t-2"]) == ["t-1", "t-2"]
