"""Real concurrent transactions on PostgreSQL: the database, not luck, keeps queues and items unique."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.api import ApiClient

pytestmark = pytest.mark.postgres_only
THREADS = 8


def race(app, fn):
    """Run fn(i) in THREADS threads released together; each thread has its own app context and session."""
    barrier = threading.Barrier(THREADS)

    def run(i):
        with app.app_context():
            barrier.wait()
            return fn(i)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_concurrent_adds_of_one_trace_leave_one_item(app, api):
    queues = [api.post("review_queues/", {"name": f"Q{i}"}).get_json() for i in range(2)]

    def add(i):
        client = api.as_key(api.key)
        client.client = app.test_client()
        response = client.post("review_queue_items/", {"queue_id": queues[i % 2]["id"], "trace_id": "racy"})
        return response.status_code, response.get_json()

    results = race(app, add)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1, results
    assert statuses.count(400) == THREADS - 1, results
    for status, body in results:
        if status == 400:
            assert body["attr"] == "trace_id"
            assert body["detail"] in {"This trace is already pending in this queue.",
                                      "This trace is already pending in another queue."}
    assert api.get("review_queue_items/?trace_id=racy").get_json()["count"] == 1


def test_concurrent_creates_of_one_queue_name_leave_one_queue(app, api):
    def create(i):
        client = ApiClient(app.test_client(), api.project_id, api.key)
        response = client.post("review_queues/", {"name": "Same name"})
        return response.status_code, response.get_json()

    results = race(app, create)
    assert sorted(s for s, _ in results).count(201) == 1, results
    for status, body in results:
        if status != 201:
            assert (status, body["attr"], body["detail"]) == (400, "name", "A queue with this name already exists.")
    assert api.get("review_queues/?name=Same name").get_json()["count"] == 1


def test_concurrent_bulk_adds_never_duplicate(app, api):
    queues = [api.post("review_queues/", {"name": f"B{i}"}).get_json() for i in range(2)]
    traces = [f"t{n}" for n in range(50)]

    def bulk(i):
        client = ApiClient(app.test_client(), api.project_id, api.key)
        response = client.post("review_queue_items/bulk/", {"queue_id": queues[i % 2]["id"], "trace_ids": traces})
        return response.status_code, response.get_json()

    results = race(app, bulk)
    assert all(status == 200 for status, _ in results), results
    assert sum(len(body["added"]) for _, body in results) == len(traces)
    assert api.get("review_queue_items/?limit=1000").get_json()["count"] == len(traces)


def test_concurrent_claims_are_distinct(app, api, factory):
    queue = api.post("review_queues/", {"name": "Claims"}).get_json()
    api.post("review_queue_items/bulk/", {"queue_id": queue["id"], "trace_ids": [f"c{n}" for n in range(THREADS)]})
    keys = [factory.api_key(factory.member(api.project, "reviewer")) for _ in range(THREADS)]

    def claim(i):
        client = ApiClient(app.test_client(), api.project_id, keys[i])
        response = client.post(f"review_queues/{queue['id']}/claim_next/")
        return response.status_code, response.get_json()

    results = race(app, claim)
    assert all(status == 200 for status, _ in results), results
    assert len({body["id"] for _, body in results}) == THREADS
