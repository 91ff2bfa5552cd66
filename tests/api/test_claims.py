"""claim_next: leases, own claim returned again, expired leases reclaimable, skipped items come back last."""
from datetime import timedelta

from reviewapp.extensions import db
from reviewapp.models import ReviewQueueItem, utcnow
from reviewapp.services import claims, queue_items
from reviewapp.services import queues as queue_service
from tests.support.api import ApiClient, assert_error


def setup_queue(api, traces):
    queue = api.post("review_queues/", {"name": "Claims"}).get_json()
    for trace in traces:
        assert api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": trace}).status_code == 201
    return queue


def reviewer_client(app, api, factory):
    user = factory.member(api.project, "reviewer")
    return ApiClient(app.test_client(), api.project_id, factory.api_key(user), user=user)


def claim(client, queue):
    return client.post(f"review_queues/{queue['id']}/claim_next/")


def test_two_reviewers_get_different_items_oldest_first(app, api, factory):
    queue = setup_queue(api, ["t1", "t2", "t3"])
    alice, bob = reviewer_client(app, api, factory), reviewer_client(app, api, factory)
    first = claim(alice, queue).get_json()
    second = claim(bob, queue).get_json()
    assert (first["trace_id"], second["trace_id"]) == ("t1", "t2")
    assert first["claimed_by"]["email"] == alice.user.email and first["claim_expires_at"]
    # asking again returns the item you already hold, not a new one
    assert claim(alice, queue).get_json()["id"] == first["id"]


def test_nothing_left_is_204(app, api, factory):
    queue = setup_queue(api, ["only"])
    alice, bob = reviewer_client(app, api, factory), reviewer_client(app, api, factory)
    assert claim(alice, queue).status_code == 200
    response = claim(bob, queue)
    assert response.status_code == 204 and response.data == b""


def test_expired_lease_can_be_taken(app, api, factory):
    queue = setup_queue(api, ["only"])
    alice, bob = reviewer_client(app, api, factory), reviewer_client(app, api, factory)
    item = claim(alice, queue).get_json()
    row = db.session.get(ReviewQueueItem, queue_service.as_uuid(item["id"]))
    row.claim_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    taken = claim(bob, queue).get_json()
    assert taken["id"] == item["id"] and taken["claimed_by"]["email"] == bob.user.email


def test_skipped_item_comes_back_last_to_the_skipper(app, api, factory):
    queue = setup_queue(api, ["t1", "t2", "t3"])
    alice = reviewer_client(app, api, factory)
    first = claim(alice, queue).get_json()
    claims.skip_item(api.project_id, alice.user, first["id"], "cannot judge")
    order = []
    for _ in range(3):
        item = claim(alice, queue).get_json()
        order.append(item["trace_id"])
        queue_items.complete_items(api.project_id, item["trace_id"])
        db.session.commit()
    assert order == ["t2", "t3", "t1"]


def test_skipped_item_stays_first_for_others(app, api, factory):
    queue = setup_queue(api, ["t1", "t2"])
    alice, bob = reviewer_client(app, api, factory), reviewer_client(app, api, factory)
    first = claim(alice, queue).get_json()
    claims.skip_item(api.project_id, alice.user, first["id"], "")
    assert claim(bob, queue).get_json()["trace_id"] == "t1"


def test_claim_refusals(app, api, factory):
    queue = setup_queue(api, ["t"])
    viewer = ApiClient(app.test_client(), api.project_id, factory.api_key(factory.member(api.project, "viewer")))
    assert_error(claim(viewer, queue), 403, "permission_denied")
    assert_error(api.post("review_queues/00000000-0000-0000-0000-000000000000/claim_next/"), 404)
    read_only = api.as_key(factory.api_key(api.user, "llm_analytics:read"))
    assert_error(claim(read_only, queue), 403, "permission_denied")


def test_claims_show_on_items(app, api, factory):
    queue = setup_queue(api, ["t"])
    alice = reviewer_client(app, api, factory)
    item = claim(alice, queue).get_json()
    listed = api.get("review_queue_items/").get_json()["results"][0]
    assert listed["claimed_by"]["email"] == alice.user.email
    assert listed["claim_expires_at"] == item["claim_expires_at"]



def test_every_claim_runs_for_the_configured_lease(app, api, factory, monkeypatch):
    """CLAIM_LEASE_SECONDS is the one setting: a claim through the API, one made by calling the service
    directly, and a hold all run for it."""
    monkeypatch.setitem(app.config, "CLAIM_LEASE_SECONDS", 90)
    queue = setup_queue(api, ["t1", "t2"])
    alice, bob = reviewer_client(app, api, factory), reviewer_client(app, api, factory)
    before = utcnow()
    by_api = claim(alice, queue).get_json()["id"]
    by_service = claims.claim_next(api.project_id, bob.user, queue["id"]).id
    held = claims.hold_claim(api.project_id, bob.user, by_service).id
    for item_id in (by_api, by_service, held):
        row = db.session.get(ReviewQueueItem, queue_service.as_uuid(item_id))
        db.session.refresh(row)
        assert before + timedelta(seconds=89) < row.claim_expires_at <= utcnow() + timedelta(seconds=90)
