"""Claims that no longer make sense end at once, in the same transaction as the change: an item moved to another
queue frees its places in the one it left, and changing a queue's reviewers per trace ends the claims its new N
has no room (or no use) for — nobody waits for a lease to run out."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ItemClaim
from reviewapp.services import claims, judgments, queue_items, queues
from tests.services.test_judgments import LEASE, entries, item_of
from tests.services.test_judgments import setup as judging_setup  # noqa: F401 (a fixture)


@pytest.fixture
def setup(judging_setup):  # noqa: F811
    """The judgments tests' project (a queue of three reviewers per trace holding t-1, t-2, t-3), and another
    queue of three to move items to."""
    project, admin, people, queue, defs = judging_setup
    other = queues.create_queue(project.id, admin, "Other", "", settings={"reviews_per_trace": 3})
    return project, admin, people, queue, other, defs


def holders_of(trace_id: str) -> set[int]:
    return set(db.session.scalars(select(ItemClaim.user_id).where(ItemClaim.item_id == item_of(trace_id).id)))


def test_a_moved_item_keeps_no_places_in_the_queue_it_left(setup):
    project, admin, (ann, bob, *_), queue, other, _ok = setup
    assert claims.claim_next(project.id, ann, queue.id, LEASE).trace_id == "t-1"
    assert claims.claim_next(project.id, bob, queue.id, LEASE).trace_id == "t-1"
    queue_items.move_item(project.id, admin, item_of("t-1").id, str(other.id))
    assert holders_of("t-1") == set()
    # Ann's next trace in the old queue is one still there, not the moved one she "held".
    assert claims.claim_next(project.id, ann, queue.id, LEASE).trace_id == "t-2"
    # In its new queue the moved trace has all three places free.
    for person in setup[2][1:4]:
        assert claims.claim_next(project.id, person, other.id, LEASE).trace_id == "t-1"


def test_a_moved_item_of_a_single_reviewer_queue_is_free_in_its_new_one(setup):
    project, admin, (ann, bob, *_), queue, other, _ok = setup
    queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 1})
    queues.update_queue(project.id, admin, other.id, {"reviews_per_trace": 1})
    assert claims.claim_next(project.id, ann, queue.id, LEASE).trace_id == "t-1"
    queue_items.move_item(project.id, admin, item_of("t-1").id, str(other.id))
    assert item_of("t-1").claimed_by_id is None
    assert claims.claim_next(project.id, bob, other.id, LEASE).trace_id == "t-1"


def test_lowering_n_ends_the_latest_claims_beyond_the_room_left(setup):
    project, admin, (ann, bob, cat, dan), queue, _other, defs = setup
    for person in (ann, bob, cat):
        assert claims.claim_next(project.id, person, queue.id, LEASE).trace_id == "t-1"
    queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 2})
    assert holders_of("t-1") == {ann.id, bob.id}  # the earliest two keep their places; Cat's ended
    assert claims.claim_next(project.id, dan, queue.id, LEASE).trace_id == "t-2"

    judgments.submit_judgment(project.id, ann, item_of("t-1"), scores=entries(defs), comment=None)
    queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 3})  # raising N ends nobody's
    assert holders_of("t-1") == {bob.id}
    assert claims.claim_next(project.id, cat, queue.id, LEASE).trace_id == "t-1"
    queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 2})  # 1 judgment: room for 1 claim
    assert holders_of("t-1") == {bob.id}


def test_switching_between_one_and_several_reviewers_ends_the_other_kind_of_claim(setup):
    project, admin, (ann, bob, cat, _dan), queue, _other, _ok = setup
    claims.claim_next(project.id, ann, queue.id, LEASE)
    claims.claim_next(project.id, bob, queue.id, LEASE)
    queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 1})
    assert holders_of("t-1") == set()
    assert claims.claim_next(project.id, cat, queue.id, LEASE).trace_id == "t-1"  # nobody holds it any more
    assert item_of("t-1").claimed_by_id == cat.id

    queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 2})
    assert item_of("t-1").claimed_by_id is None and item_of("t-1").claim_expires_at is None
    for person in (ann, bob):  # both places on the oldest trace are free
        assert claims.claim_next(project.id, person, queue.id, LEASE).trace_id == "t-1"


def test_a_claim_of_someone_no_longer_assigned_ends_and_the_trace_is_free_for_the_assignees(setup):
    project, admin, (ann, bob, cid, *_), queue, _other, _ok = setup
    assert claims.claim_next(project.id, ann, queue.id, LEASE).trace_id == "t-1"
    assert claims.claim_next(project.id, bob, queue.id, LEASE).trace_id == "t-1"
    queues.update_queue(project.id, admin, queue.id, {"assignee_ids": [bob.id, cid.id]})
    assert holders_of("t-1") == {bob.id}  # Ann's place ends at once; Bob, still assigned, keeps his
    assert claims.claim_next(project.id, ann, queue.id, LEASE) is None
    assert claims.claim_next(project.id, cid, queue.id, LEASE).trace_id == "t-1"


def test_a_single_claim_of_someone_no_longer_assigned_ends(setup):
    project, admin, (ann, bob, *_), queue, _other, _ok = setup
    queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 1})
    assert claims.claim_next(project.id, ann, queue.id, LEASE).trace_id == "t-1"
    queues.update_queue(project.id, admin, queue.id, {"assignee_ids": [bob.id]})
    assert item_of("t-1").claimed_by_id is None
    assert claims.claim_next(project.id, bob, queue.id, LEASE).trace_id == "t-1"
