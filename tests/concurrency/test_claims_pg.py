"""Claims under real concurrency: twenty reviewers work one queue through the review pages at once, each in its
own thread, session and database connection (PostgreSQL, FOR UPDATE SKIP LOCKED). Then the claim rules one
reviewer at a time, on every database (on SQLite the claim is a guarded single-row update)."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import ReviewQueueItem, TraceReview, User, utcnow
from reviewapp.services import accounts, claims, queue_items, queues
from reviewapp.services.errors import Conflict
from tests.web.workbench import form_fields, signed_in

REVIEWERS = 20
ITEMS = 200


def reviewer(project, n: int):
    user = accounts.create_user(f"reviewer{n}@example.com", "correct horse battery", f"Reviewer {n}")
    accounts.set_membership(user, project, "reviewer")
    return user


@pytest.mark.postgres_only
def test_twenty_reviewers_share_a_queue_without_overlap(app, factory):
    project = factory.project("Busy")
    admin = factory.user(project=project, role="admin")
    queue = queues.create_queue(project.id, admin, "Big queue")
    result = queue_items.bulk_add(project.id, admin, queue.id, [f"t-{n:03d}" for n in range(ITEMS)])
    assert len(result.added) == ITEMS
    # Plain values only cross into the threads: each works in its own session.
    users = [SimpleNamespace(email=reviewer(project, n).email) for n in range(REVIEWERS)]
    barrier = threading.Barrier(REVIEWERS)
    start = f"/projects/{project.id}/queues/{queue.id}/review/next"
    done = f"/projects/{project.id}/queues/{queue.id}/review/done"

    def work(n: int) -> tuple[list[str], list[int]]:
        reviewed, statuses = [], []
        with app.app_context():
            client, token = signed_in(app, users[n])
            barrier.wait()
            response = client.post(start, data={"csrf_token": token})
            statuses.append(response.status_code)
            location = response.location
            while location != done:
                page = client.get(location)
                statuses.append(page.status_code)
                html = page.get_data(as_text=True)
                trace_id = html.split("Reviewing <code>", 1)[1].split("</code>", 1)[0]
                response = client.post(location, data={**form_fields(html), "comment": f"by {n}"})
                statuses.append(response.status_code)
                assert response.status_code == 302, response.get_data(as_text=True)
                reviewed.append(trace_id)
                location = response.location
            db.session.remove()
        return reviewed, statuses

    with ThreadPoolExecutor(REVIEWERS) as pool:
        results = list(pool.map(work, range(REVIEWERS)))

    statuses = [s for _, codes in results for s in codes]
    assert all(s < 500 for s in statuses), Counter(statuses)
    everything = [trace for traces, _ in results for trace in traces]
    assert sorted(everything) == [f"t-{n:03d}" for n in range(ITEMS)]  # each reviewed once, none lost
    assert sum(1 for traces, _ in results if traces) > REVIEWERS // 2  # the work was shared
    db.session.expire_all()
    assert db.session.scalar(select(func.count(TraceReview.id))) == ITEMS
    reasons = Counter(db.session.scalars(select(ReviewQueueItem.deleted_reason)))
    assert reasons == {"reviewed": ITEMS}
    comments = dict(db.session.execute(select(TraceReview.trace_id, TraceReview.comment)).all())
    for n, (traces, _) in enumerate(results):
        assert all(comments[trace] == f"by {n}" for trace in traces)


@pytest.mark.postgres_only
def test_concurrent_claims_never_hand_out_one_item_twice(app, factory):
    project = factory.project("Claims")
    admin = factory.user(project=project, role="admin")
    queue = queues.create_queue(project.id, admin, "Q")
    queue_items.bulk_add(project.id, admin, queue.id, [f"c-{n}" for n in range(REVIEWERS // 2)])
    user_ids = [reviewer(project, n).id for n in range(REVIEWERS)]
    project_id, queue_id = project.id, queue.id
    barrier = threading.Barrier(REVIEWERS)

    def claim(n: int):
        with app.app_context():  # its own session: the test's objects stay in the test's thread
            user = db.session.get(User, user_ids[n])
            barrier.wait()
            item = claims.claim_next(project_id, user, queue_id)
            found = item.id if item else None
            db.session.remove()
            return found

    with ThreadPoolExecutor(REVIEWERS) as pool:
        claimed = list(pool.map(claim, range(REVIEWERS)))
    got = [c for c in claimed if c is not None]
    assert len(got) == REVIEWERS // 2 and len(set(got)) == len(got)  # ten items, ten reviewers, one each


@pytest.mark.postgres_only
def test_a_claim_passes_over_an_item_another_claim_has_locked(app, factory):
    """While another transaction holds the oldest item's row (a claim taking it), the claim takes the next item
    at once: neither waiting for the row nor answering "nothing left" (its one-statement try skips the locked
    row and finds nothing; the look-ups one by one go on)."""
    project = factory.project("Locked")
    admin = factory.user(project=project, role="admin")
    queue = queues.create_queue(project.id, admin, "Q")
    queue_items.bulk_add(project.id, admin, queue.id, ["l-1", "l-2"])
    ann = reviewer(project, 1)
    oldest = db.session.scalar(select(ReviewQueueItem.id).where(ReviewQueueItem.trace_id == "l-1"))
    with db.engine.connect() as other:
        other.execute(select(ReviewQueueItem.id).where(ReviewQueueItem.id == oldest).with_for_update())
        item = claims.claim_next(project.id, ann, queue.id)
        other.rollback()
    assert item is not None and item.trace_id == "l-2" and item.claimed_by_id == ann.id


# --- one reviewer at a time, on every database ------------------------------------------------------------

@pytest.fixture
def queue_of_three(factory):
    project = factory.project("Solo")
    admin = factory.user(project=project, role="admin")
    queue = queues.create_queue(project.id, admin, "Q")
    for trace in ("a", "b", "c"):
        queue_items.add_item(project.id, admin, queue.id, trace)
    return project, queue, reviewer(project, 1), reviewer(project, 2)


def test_a_reviewer_gets_their_own_claim_back(queue_of_three):
    project, queue, ann, bob = queue_of_three
    first = claims.claim_next(project.id, ann, queue.id)
    assert first.trace_id == "a"
    assert claims.claim_next(project.id, ann, queue.id).id == first.id
    assert claims.claim_next(project.id, bob, queue.id).trace_id == "b"


def test_an_expired_lease_goes_to_the_next_reviewer(queue_of_three):
    project, queue, ann, bob = queue_of_three
    first = claims.claim_next(project.id, ann, queue.id, lease=timedelta(seconds=-1))
    taken = claims.claim_next(project.id, bob, queue.id)
    assert taken.id == first.id and taken.claimed_by_id == bob.id
    with pytest.raises(Conflict, match="Another reviewer is now reviewing trace a"):
        claims.hold_claim(project.id, ann, first.id)


def test_holding_a_claim_renews_its_lease(queue_of_three):
    project, queue, ann, _ = queue_of_three
    item = claims.claim_next(project.id, ann, queue.id, lease=timedelta(seconds=30))
    held = claims.hold_claim(project.id, ann, item.id, lease=timedelta(minutes=10))
    assert held.claim_expires_at > utcnow() + timedelta(minutes=9)


def test_a_skipped_item_comes_back_last_and_stays_for_others(queue_of_three):
    project, queue, ann, bob = queue_of_three
    first = claims.claim_next(project.id, ann, queue.id)
    claims.skip_item(project.id, ann, first.id, "later")
    order = []
    for _ in range(3):
        item = claims.claim_next(project.id, ann, queue.id)
        order.append(item.trace_id)
        queue_items.complete_items(project.id, item.trace_id) if item.trace_id != "a" else None
        db.session.commit()
    assert order == ["b", "c", "a"]
    # Ann passes on it again (which lets it go); for Bob, who did not skip it, it is simply the oldest
    claims.skip_item(project.id, ann, first.id, "still later")
    assert claims.claim_next(project.id, bob, queue.id).trace_id == "a"


def test_nothing_left_is_none(queue_of_three):
    project, queue, ann, bob = queue_of_three
    for _ in range(3):
        claims.claim_next(project.id, bob, queue.id, lease=timedelta(minutes=10))
        item = claims.claim_next(project.id, bob, queue.id)
        queue_items.complete_items(project.id, item.trace_id)
        db.session.commit()
    assert claims.claim_next(project.id, ann, queue.id) is None


def test_losing_many_claim_races_never_reports_an_empty_queue(factory, monkeypatch):
    """Twenty-five times in a row another reviewer takes the candidate between our read and our write (and
    commits); claim_next still finds the twenty-sixth item instead of giving up with "nothing left"."""
    project = factory.project("Contended")
    admin = factory.user(project=project, role="admin")
    queue = queues.create_queue(project.id, admin, "Q")
    queue_items.bulk_add(project.id, admin, queue.id, [f"r-{n:02d}" for n in range(30)])
    ann, bob = reviewer(project, 1), reviewer(project, 2)
    real = claims._next_candidate
    races = {"lost": 0}
    taken = set()

    def racing(queue, actor, now, lock):
        candidate = real(queue, actor, now, lock)
        if candidate is not None and actor.id == ann.id and races["lost"] < 25:
            races["lost"] += 1
            taken.add(candidate.id)
            db.session.get(ReviewQueueItem, candidate.id).claimed_by_id = bob.id
            db.session.get(ReviewQueueItem, candidate.id).claim_expires_at = utcnow() + timedelta(minutes=10)
            db.session.commit()  # Bob's claim, committed before Ann's guarded update runs
        return candidate

    monkeypatch.setattr(claims, "_next_candidate", racing)
    # The one-statement claim takes nothing here, as when another reviewer's claim beat it (it cannot be raced
    # between a read and a write): claim_next looks step by step, where the races above are lost.
    monkeypatch.setattr(claims, "_take_first", lambda *args, **kwargs: None)
    item = claims.claim_next(project.id, ann, queue.id)
    assert races["lost"] == 25
    assert len(taken) == 25
    assert item is not None and item.id not in taken and item.claimed_by_id == ann.id


def test_the_outlook_tells_what_others_hold_and_until_when(queue_of_three):
    project, queue, ann, bob = queue_of_three
    claims.claim_next(project.id, bob, queue.id, lease=timedelta(minutes=7))
    claims.claim_next(project.id, ann, queue.id)
    _, left = claims.outlook(project.id, ann, queue.id)
    assert (left.pending, left.held_by_others, left.claimable, [u.id for u in left.holders]) == (3, 1, 2, [bob.id])
    assert utcnow() + timedelta(minutes=6) < left.first_free_at == left.last_free_at < utcnow() + timedelta(minutes=8)
