"""Numbers past what the database holds are a 400 naming the parameter (never a 500), and every 405 says which
methods the address has."""
import pytest

from tests.support.api import assert_error
from tests.support.scoring import create_scorer

HUGE = [2**63, 10**20, int("9" * 30)]


def list_paths(api) -> list[str]:
    """The limit/offset lists (a scorer's versions page by cursor: tests/api/test_scorer_versions.py)."""
    create_scorer(api)
    return ["review_queues/", "review_queue_items/", "score_definitions/", "trace_reviews/", "traces/"]


@pytest.mark.parametrize("offset", HUGE)
def test_an_offset_past_the_largest_stored_integer_is_400_on_every_list(api, offset):
    for path in list_paths(api):
        body = assert_error(api.get(f"{path}?offset={offset}"), 400, "invalid_input", "offset")
        assert "9223372036854775807" in body["detail"]


def test_the_largest_stored_offset_is_an_empty_page(api):
    for path in list_paths(api):
        response = api.get(f"{path}?offset={2**63 - 1}")
        assert response.status_code == 200, (path, response.get_json())
        assert response.get_json()["results"] == [] and response.get_json()["next"] is None


def test_a_huge_limit_counts_as_the_largest_page(api):
    for index in range(3):
        api.post("review_queues/", {"name": f"Queue {index}"})
    response = api.get(f"review_queues/?limit={10**30}&offset=1")
    assert response.status_code == 200
    assert len(response.get_json()["results"]) == 2
    assert "limit=1000" in response.get_json()["previous"]


def test_more_digits_than_python_reads_is_an_invalid_integer(api):
    assert_error(api.get("review_queues/?limit=" + "9" * 5000), 400, "invalid_input", "limit")


@pytest.mark.parametrize("prefix", ["environments", "projects"])
@pytest.mark.parametrize("method, path", [("GET", "review_queues/"), ("POST", "review_queues/"),
                                          ("GET", "traces/some-trace/"), ("GET", "score_definitions/")])
def test_a_30_digit_project_id_is_400(api, prefix, method, path):
    response = api.request(method, f"/api/{prefix}/{'9' * 30}/llm_analytics/{path}",
                           {"name": "x"} if method == "POST" else None)
    assert_error(response, 400, "invalid_input", "project_id")


def test_the_largest_project_id_a_database_holds_is_simply_not_found(api):
    assert_error(api.get(f"/api/environments/{2**31 - 1}/llm_analytics/review_queues/"), 404, "not_found")


@pytest.mark.parametrize("project_id", [2**31, 2**63])
def test_a_project_id_past_the_id_column_is_400(api, project_id):
    assert_error(api.get(f"/api/environments/{project_id}/llm_analytics/traces/"), 400, "invalid_input", "project_id")


@pytest.mark.parametrize("method, path, allowed", [
    ("PUT", "review_queues/", {"GET", "POST"}),
    ("PUT", "review_queues/{queue}/", {"GET", "PATCH", "DELETE"}),
    ("DELETE", "score_definitions/{scorer}/", {"GET", "PATCH"}),
    ("PUT", "trace_reviews/", {"GET", "POST"}),
    ("GET", "review_queues/{queue}/claim_next/", {"POST"}),
    ("DELETE", "traces/", {"GET"}),
])
def test_every_405_names_the_methods_the_address_has(api, method, path, allowed):
    queue = api.post("review_queues/", {"name": "Inbox"}).get_json()
    path = path.format(queue=queue["id"], scorer=create_scorer(api)["id"])
    response = api.request(method, path)
    body = assert_error(response, 405, "method_not_allowed")
    assert method in body["detail"] and response.mimetype == "application/json"
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= allowed
    assert method not in response.headers["Allow"]
