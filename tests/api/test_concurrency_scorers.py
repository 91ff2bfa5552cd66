"""Real concurrent transactions on PostgreSQL: scorer versions and reviews stay unique under racing requests."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import ScoreDefinitionVersion, TraceReview
from reviewapp.services.common import as_uuid
from tests.support.api import ApiClient
from tests.support.scoring import CONFIGS, create_review, create_scorer

pytestmark = pytest.mark.postgres_only
THREADS = 8


def race(app, api, request):
    """Send request(client, i) from THREADS threads released together, each with its own app context, session
    and connection; returns [(status, body)]."""
    barrier = threading.Barrier(THREADS)

    def run(i):
        with app.app_context():
            client = ApiClient(app.test_client(), api.project_id, api.key)
            barrier.wait()
            response = request(client, i)
            return response.status_code, response.get_json(silent=True)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def config(i):
    return {"options": [{"key": f"option-{i}", "label": f"Option {i}"}]}


def test_concurrent_new_versions_from_one_base_let_one_through(app, api):
    scorer = create_scorer(api)
    results = race(app, api, lambda client, i: client.post(f"score_definitions/{scorer['id']}/new_version/",
                                                           {"config": config(i), "base_version": 1}))
    statuses = [status for status, _ in results]
    assert statuses.count(200) == 1 and statuses.count(409) == THREADS - 1, results
    for status, body in results:
        if status == 409:
            assert body["current_version"] == 2 and set(body) == {"detail", "current_version"}
    winner = next(body for status, body in results if status == 200)
    assert winner["current_version"] == 2
    versions = api.get(f"score_definitions/{scorer['id']}/versions/").get_json()
    assert [v["version"] for v in versions["results"]] == [2, 1]
    assert versions["results"][0]["config"] == winner["config"]


def test_concurrent_new_versions_without_base_queue_up(app, api):
    scorer = create_scorer(api)
    results = race(app, api, lambda client, i: client.post(f"score_definitions/{scorer['id']}/new_version/",
                                                           {"config": config(i)}))
    assert all(status == 200 for status, _ in results), results
    assert sorted(body["current_version"] for _, body in results) == list(range(2, THREADS + 2))
    for i, (_, body) in enumerate(results):  # each caller sees the version it made
        assert body["config"]["options"][0]["key"] == f"option-{i}"
    db.session.rollback()
    numbers = db.session.scalars(select(ScoreDefinitionVersion.version).where(
        ScoreDefinitionVersion.definition_id == as_uuid(scorer["id"]))).all()
    assert sorted(numbers) == list(range(1, THREADS + 2))
    assert api.get(f"score_definitions/{scorer['id']}/").get_json()["current_version"] == THREADS + 1


def test_concurrent_reviews_of_one_trace_leave_one(app, api):
    correct = create_scorer(api, kind="boolean")
    queue = api.post("review_queues/", {"name": "Inbox"}).get_json()
    api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": "racy"})
    results = race(app, api, lambda client, i: client.post("trace_reviews/", {
        "trace_id": "racy", "comment": f"reviewer {i}",
        "scores": [{"definition_id": correct["id"], "boolean_value": i % 2 == 0}]}))
    statuses = [status for status, _ in results]
    assert statuses.count(201) == 1 and statuses.count(400) == THREADS - 1, results
    for status, body in results:
        if status == 400:
            assert (body["attr"], body["detail"]) == ("trace_id",
                                                      "An active review already exists for this trace.")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(TraceReview).where(
        TraceReview.trace_id == "racy", TraceReview.deleted_at.is_(None))) == 1
    assert api.get(f"review_queues/{queue['id']}/").get_json()["pending_item_count"] == 0


def test_concurrent_edits_of_one_review_apply_one_after_another(app, api):
    scorers = [create_scorer(api, name=f"s{i}", kind="boolean") for i in range(THREADS)]
    review = create_review(api, "t")
    results = race(app, api, lambda client, i: client.patch(f"trace_reviews/{review['id']}/", {
        "scores": [{"definition_id": scorers[i]["id"], "boolean_value": True}], "time_spent_seconds": 1}))
    assert all(status == 200 for status, _ in results), results
    final = api.get(f"trace_reviews/{review['id']}/").get_json()
    assert len(final["scores"]) == 1  # each save replaced the whole set; the last one stands
    assert final["time_spent_seconds"] == THREADS  # and none was lost


def test_concurrent_config_edit_and_review_pin_consistent_versions(app, api):
    scorer = create_scorer(api, kind="numeric", config=CONFIGS["numeric"])

    def act(client, i):
        if i % 2:
            return client.post(f"score_definitions/{scorer['id']}/new_version/", {"config": {"min": 0, "max": 100}})
        return client.post("trace_reviews/", {"trace_id": f"t{i}", "scores": [
            {"definition_id": scorer["id"], "numeric_value": 4}]})

    results = race(app, api, act)
    assert all(status in (200, 201) for status, _ in results), results
    for status, body in results:
        if status == 201:
            score = body["scores"][0]
            version = api.get(f"score_definitions/{scorer['id']}/versions/{score['definition_version_id']}/")
            assert version.get_json()["version"] == score["definition_version"]
            assert version.get_json()["config"] == score["definition_config"]
