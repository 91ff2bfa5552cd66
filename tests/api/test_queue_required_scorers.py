"""required_scorer_ids, the extension field of review_queues/: which scorers the review page requires before it
saves. trace_reviews/ keeps PostHog's rules whatever it says."""
from tests.support.api import assert_error


def scorer(api, name):
    response = api.post("score_definitions/", {"name": name, "kind": "boolean", "config": {}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_null_by_default_meaning_every_scorer_of_the_queue(api):
    body = api.post("review_queues/", {"name": "Q"}).get_json()
    assert body["required_scorer_ids"] is None
    assert api.get(f"review_queues/{body['id']}/").get_json()["required_scorer_ids"] is None


def test_set_on_create_and_patch_and_checked(api):
    a, b, c = scorer(api, "A"), scorer(api, "B"), scorer(api, "C")
    created = api.post("review_queues/", {"name": "Q", "scorer_ids": [a, b], "required_scorer_ids": [b]})
    assert created.status_code == 201 and created.get_json()["required_scorer_ids"] == [b]
    queue_id = created.get_json()["id"]
    assert_error(api.patch(f"review_queues/{queue_id}/", {"required_scorer_ids": [c]}), 400, "invalid_input",
                 "required_scorer_ids")
    assert_error(api.patch(f"review_queues/{queue_id}/", {"required_scorer_ids": "all"}), 400, "invalid_input",
                 "required_scorer_ids")
    assert_error(api.patch(f"review_queues/{queue_id}/", {"required_scorer_ids": ["nope"]}), 400,
                 "invalid_input", "required_scorer_ids")
    assert api.patch(f"review_queues/{queue_id}/", {"required_scorer_ids": []}).get_json()[
        "required_scorer_ids"] == []
    assert api.patch(f"review_queues/{queue_id}/", {"required_scorer_ids": None}).get_json()[
        "required_scorer_ids"] is None
    # no longer asking for a required scorer drops it from the required ones
    api.patch(f"review_queues/{queue_id}/", {"required_scorer_ids": [a, b]})
    assert api.patch(f"review_queues/{queue_id}/", {"scorer_ids": [a]}).get_json()["required_scorer_ids"] == [a]


def test_a_review_without_scores_is_still_valid_in_the_api(api):
    a = scorer(api, "A")
    queue = api.post("review_queues/", {"name": "Q", "scorer_ids": [a]}).get_json()
    api.post("review_queue_items/", {"queue_id": queue["id"], "trace_id": "t1"})
    response = api.post("trace_reviews/", {"trace_id": "t1", "queue_id": queue["id"], "scores": []})
    assert response.status_code == 201, response.get_json()
    assert api.get(f"review_queues/{queue['id']}/").get_json()["pending_item_count"] == 0


def test_documented_in_the_openapi_document(client):
    schema = client.get("/api/schema/").get_json()
    field = schema["components"]["schemas"]["ReviewQueue"]["properties"]["required_scorer_ids"]
    assert field["nullable"] is True and field["items"]["format"] == "uuid" and "Extension" in field["description"]
