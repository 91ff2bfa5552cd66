"""GET traces/ and GET traces/{trace_id}/: fields, filters, refusals, tenancy."""
import pytest

from reviewapp.services import queue_items, queues, reviews, scorers
from tests.support.api import ApiClient, assert_error
from tests.traces.helpers import agent_trace, chain_trace, chat_trace


def test_list_fields_and_pagination(api):
    for n in range(3):
        chat_trace(api.project_id, f"t{n}", minutes=n, name=f"Chat {n}", cost=0.5, latency=1.5)
    response = api.get("traces/?limit=2&search=t")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["count"], body["count_is_capped"]) == (3, False)
    assert body["previous"] is None
    assert body["next"] == f"http://localhost/api/environments/{api.project_id}/llm_analytics/traces/?limit=2&search=t&offset=2"
    first = body["results"][0]
    assert first == {
        "id": "t2", "trace_id": "t2", "name": "Chat 2",
        "first_timestamp": "2025-03-10T09:02:00Z", "last_timestamp": "2025-03-10T09:02:00Z",
        "session_id": None, "distinct_id": "user-1", "models": ["gpt-4o-mini"],
        "event_count": 2, "generation_count": 1, "input_tokens": 10, "output_tokens": 5,
        "total_cost_usd": 0.5, "latency_seconds": 1.5, "has_error": False,
        "input_preview": "What is the capital of France?", "output_preview": "Paris.",
        "review_state": "not_queued", "review_id": None, "queue": None, "team": api.project_id,
        "evaluation_outcome": None, "evaluations_failed": 0, "evaluations_passed": 0,
    }
    page2 = api.get(body["next"]).get_json()
    assert [r["trace_id"] for r in page2["results"]] == ["t0"]
    assert page2["previous"].endswith("traces/?limit=2&search=t")


def test_list_filters_and_orders(api):
    user = api.user
    chat_trace(api.project_id, "cheap", minutes=0, cost=0.001, model="gpt-4o")
    chat_trace(api.project_id, "pricey", minutes=1, cost=2.0, error=True, model="claude")
    chat_trace(api.project_id, "queued", minutes=2, cost=0.1)
    queue = queues.create_queue(api.project_id, user, "Inbox")
    item = queue_items.add_item(api.project_id, user, queue.id, "queued")

    def listed(query):
        response = api.get("traces/?" + query)
        assert response.status_code == 200, response.get_json()
        return [r["trace_id"] for r in response.get_json()["results"]]

    assert listed("") == ["queued", "pricey", "cheap"]
    assert listed("order_by=-total_cost_usd") == ["pricey", "queued", "cheap"]
    assert listed("order_by=first_timestamp") == ["cheap", "pricey", "queued"]
    assert listed("errors_only=true") == ["pricey"]
    assert listed("errors_only=false") == ["queued", "pricey", "cheap"]
    assert listed("model=claude") == ["pricey"]
    assert listed("search=PRICE") == ["pricey"]
    assert listed("date_from=2025-03-10T09:01:00Z&date_to=2025-03-10T09:01:30%2B00:00") == ["pricey"]
    assert listed("review_state=pending") == ["queued"]
    assert listed("review_state=not_queued") == ["pricey", "cheap"]
    assert listed("review_state=reviewed") == []
    row = api.get("traces/?review_state=pending").get_json()["results"][0]
    assert (row["review_state"], row["queue"]) == ("pending", {"id": str(queue.id), "name": "Inbox",
                                                                "item_id": str(item.id)})


def test_the_schema_documents_the_capped_count(client):
    schema = client.get("/api/schema/").get_json()
    listed = schema["paths"]["/api/environments/{project_id}/llm_analytics/traces/"]["get"]
    page = listed["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    assert page["count_is_capped"]["type"] == "boolean"
    assert "10,000" in page["count"]["description"]


@pytest.mark.parametrize("query, attr, code, detail", [
    ("date_from=soon", "date_from", "invalid_input",
     "Enter a date (2025-01-31) or a date and time in ISO 8601 (2025-01-31T09:30:00Z)."),
    ("date_to=2025-02-31", "date_to", "invalid_input",
     "Enter a date (2025-01-31) or a date and time in ISO 8601 (2025-01-31T09:30:00Z)."),
    ("date_from=2025-03-02&date_to=2025-03-01", "date_to", "invalid_input",
     "The end of the date range is before its start."),
    ("review_state=done", "review_state", "invalid_choice", '"done" is not a valid choice.'),
    ("errors_only=maybe", "errors_only", "invalid_input", "Must be a valid boolean."),
    ("order_by=name", "order_by", "invalid_choice",
     "Select a valid choice. name is not one of the available choices: first_timestamp, input_tokens, "
     "last_timestamp, latency_seconds, total_cost_usd."),
    ("limit=ten", "limit", "invalid_input", "A valid integer is required."),
])
def test_bad_filters_are_400_on_their_attr(api, query, attr, code, detail):
    body = assert_error(api.get("traces/?" + query), 400, code, attr, detail)
    assert body["type"] == "validation_error"


def test_detail_has_summary_events_spans_conversation(api):
    agent_trace(api.project_id)
    response = api.get("traces/agent-1/")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["trace_id"], body["name"], body["session_id"]) == ("agent-1", "Weather agent", "session-7")
    assert (body["review_state"], body["review"], body["queue"], body["queue_item"]) == ("not_queued", None, None, None)
    assert [e["event"] for e in body["events"]] == ["$ai_trace", "$ai_span", "$ai_generation", "$ai_span",
                                                   "$ai_generation", "$ai_generation", "$ai_metric"]
    assert body["events"][2]["properties"]["$ai_model"] == "gpt-4o"
    # The span tree, flattened depth-first: each span with its depth and its parent's place in the list.
    spans = body["spans"]
    assert [(s["name"], s["depth"], s["parent_index"]) for s in spans] == [
        ("Weather agent", 0, None), ("plan", 1, 0), ("gpt-4o", 2, 1), ("get_weather", 1, 0), ("gpt-4o", 1, 0),
        ("gpt-4o-mini", 1, 0)]
    assert (spans[0]["kind"], spans[0]["latency_seconds"]) == ("trace", 3.25)
    assert (spans[2]["model"], spans[2]["input_tokens"], spans[2]["event_uuid"]) == (
        "gpt-4o", 120, body["events"][2]["uuid"])
    failed = spans[5]
    assert (failed["is_error"], failed["error"], failed["parent_id"]) == (True, "Rate limit exceeded", "never-sent")
    roles = [m["role"] for m in body["conversation"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    call = body["conversation"][2]["parts"][0]
    assert (call["type"], call["name"], call["call_id"]) == ("tool_call", "get_weather", "call_1")
    # Both prefixes and no trailing slash serve the same.
    assert api.get(f"/api/projects/{api.project_id}/llm_analytics/traces/agent-1").get_json() == body


def test_detail_shows_review_and_queue(api):
    chat_trace(api.project_id, "queued")
    chat_trace(api.project_id, "judged")
    queue = queues.create_queue(api.project_id, api.user, "Inbox")
    queue_items.add_item(api.project_id, api.user, queue.id, "queued")
    definition = scorers.create_definition(api.project_id, api.user, name="Correct", kind="boolean", config={})
    review = reviews.save_review(api.project_id, api.user, trace_id="judged", comment="Right answer", scores=[
        {"definition_id": str(definition.id), "boolean_value": True}])

    queued = api.get("traces/queued/").get_json()
    assert queued["review_state"] == "pending"
    assert (queued["queue_item"]["queue_name"], queued["queue"]["name"]) == ("Inbox", "Inbox")
    judged = api.get("traces/judged/").get_json()
    assert (judged["review_state"], judged["review_id"], judged["review"]["id"]) == ("reviewed", str(review.id),
                                                                                     str(review.id))
    [score] = judged["review"]["scores"]
    assert (score["definition_name"], score["definition_version"], score["boolean_value"]) == ("Correct", 1, True)


def test_trace_ids_with_slashes_and_spaces(api):
    chat_trace(api.project_id, "runs/2025 03/abc")
    assert api.get("traces/runs/2025%2003/abc/").get_json()["trace_id"] == "runs/2025 03/abc"
    assert_error(api.get("traces/runs/2025/"), 404, "not_found")


def test_unknown_and_other_projects_traces_are_404(app, api, factory):
    other = factory.project()
    chat_trace(other.id, "theirs")
    assert_error(api.get("traces/theirs/"), 404, "not_found", None, "Not found.")
    assert_error(api.get("traces/nothing/"), 404, "not_found", None, "Not found.")
    assert api.get("traces/").get_json()["count"] == 0
    assert_error(api.in_project(other.id).get("traces/"), 404, "not_found", None, "Not found.")


def test_auth(app, api, factory):
    chat_trace(api.project_id, "t")
    assert_error(api.as_key(None).get("traces/"), 401, "not_authenticated", None)
    assert_error(api.as_key(None).get("traces/t/"), 401, "not_authenticated", None)
    assert_error(api.as_key("phx_wrong").get("traces/t/"), 401, "authentication_failed")
    viewer = factory.member(api.project, "viewer")
    read_only = ApiClient(app.test_client(), api.project_id, factory.api_key(viewer, "llm_analytics:read"))
    assert read_only.get("traces/t/").status_code == 200
    assert_error(read_only.post("traces/", {}), 405)
    write_only = ApiClient(app.test_client(), api.project_id, factory.api_key(viewer, "llm_analytics:write"))
    body = assert_error(write_only.get("traces/"), 403, "permission_denied")
    assert "llm_analytics:read" in body["detail"]


def test_a_trace_nested_10000_deep_is_served_as_a_flat_list(api):
    chain_trace(api.project_id, "deep", depth=10_000)
    response = api.get("traces/deep/")
    assert response.status_code == 200  # it was a 500: the nested tree broke the JSON encoder's recursion
    spans = response.get_json()["spans"]
    assert len(spans) == 10_001
    assert [(s["name"], s["depth"], s["parent_index"]) for s in (spans[0], spans[1], spans[-1])] == [
        ("Deep chain", 0, None), ("step 0", 1, 0), ("step 9999", 10_000, 9_999)]
