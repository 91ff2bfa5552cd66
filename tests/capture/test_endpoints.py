"""Capture endpoints: every path, encoding and token place the SDKs use, and every refusal."""
from __future__ import annotations

import base64
import gzip
import json
import zlib
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent
from tests.ingest.builders import T0, at, event, generation, root, span
from tests.support.api import assert_error

BATCH_PATHS = ["/batch/", "/i/v0/ai/batch/", "/e/", "/i/v0/e/", "/capture/", "/track/"]


@pytest.fixture
def project(factory):
    return factory.project()


def stored_events(project_id: int | None = None) -> int:
    query = select(func.count()).select_from(TraceEvent)
    if project_id is not None:
        query = query.where(TraceEvent.project_id == project_id)
    return db.session.scalar(query)


def stored_traces() -> int:
    return db.session.scalar(select(func.count()).select_from(Trace))


def post_json(client, path: str, body, **kwargs):
    return client.post(path, data=json.dumps(body), content_type="application/json", **kwargs)


@pytest.mark.parametrize("path", BATCH_PATHS + [p.rstrip("/") for p in BATCH_PATHS])
def test_every_path_stores_a_batch_without_redirect(client, project, path):
    body = {"api_key": project.api_token, "batch": [generation("t-1"), span("t-1", 1)], "sent_at": "x"}
    response = post_json(client, path, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"status": 1}
    assert stored_events(project.id) == 2


@pytest.mark.parametrize("path", ["/e/", "/capture/", "/track/", "/i/v0/e/"])
def test_single_event_with_token_at_top_level(client, project, path):
    one = generation("t-single")
    one["token"] = project.api_token
    assert post_json(client, path, one).get_json() == {"status": 1}
    assert stored_events() == 1


def test_token_in_event_properties_of_a_list(client, project):
    events = [generation("t-1"), generation("t-1", 2)]
    for item in events:
        item["properties"]["token"] = project.api_token
    assert post_json(client, "/e/", events).status_code == 200
    assert stored_events() == 2


def test_token_field_named_token_in_a_batch(client, project):
    assert post_json(client, "/batch/", {"token": project.api_token, "batch": [generation("t")]}).status_code == 200
    assert stored_events() == 1


def test_gzip_content_encoding(client, project):
    body = gzip.compress(json.dumps({"api_key": project.api_token, "batch": [generation("t-gz")]}).encode())
    response = client.post("/batch/", data=body, headers={"Content-Encoding": "gzip"},
                           content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored_events() == 1


def test_gzip_js_query_parameter(client, project):
    body = gzip.compress(json.dumps([{**generation("t-js"), "token": project.api_token}]).encode())
    response = client.post("/e/?compression=gzip-js&ver=1.200.0", data=body, content_type="text/plain")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored_events() == 1


def test_browser_form_with_base64_data(client, project):
    payload = json.dumps([{**generation("t-form"), "properties": {**generation("t-form")["properties"],
                                                                   "token": project.api_token}}])
    form = urlencode({"data": base64.b64encode(payload.encode()).decode(), "compression": "base64"})
    response = client.post("/e/", data=form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored_events() == 1


def test_browser_form_with_gzip_then_base64(client, project):
    payload = gzip.compress(json.dumps({"api_key": project.api_token, "batch": [generation("t-form")]}).encode())
    form = urlencode({"data": base64.b64encode(payload).decode()})
    response = client.post("/batch/?compression=gzip-js", data=form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored_events() == 1


def test_browser_form_with_base64_data_and_no_compression_field(client, project):
    payload = json.dumps({"api_key": project.api_token, "batch": [generation("t-form")]})
    form = urlencode({"data": base64.b64encode(payload.encode()).decode()})
    response = client.post("/batch/", data=form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored_events() == 1


def test_lz64_is_refused_with_a_clear_message(client, project):
    form = urlencode({"data": "N4IgdghgtgpiBcIA", "compression": "lz64"})
    response = client.post("/e/", data=form, content_type="application/x-www-form-urlencoded")
    assert_error(response, 400, "unsupported_compression", "compression",
                 "lz64 compression is not supported; send gzip-js, base64 or plain JSON.")


def test_unknown_content_encoding_is_400(client, project):
    response = client.post("/batch/", data=b"xx", headers={"Content-Encoding": "br"}, content_type="application/json")
    assert_error(response, 400, "unsupported_encoding", None,
                 'Content-Encoding "br" is not supported; use gzip or deflate.')


def test_missing_token_is_401(client, project):
    response = post_json(client, "/batch/", {"batch": [generation("t")]})
    body = assert_error(response, 401, "not_authenticated", None)
    assert body["type"] == "authentication_error"
    assert "api_key" in body["detail"]
    assert stored_events() == 0


def test_wrong_token_is_401(client, project):
    response = post_json(client, "/batch/", {"api_key": "phc_not_a_project", "batch": [generation("t")]})
    assert_error(response, 401, "authentication_failed", None, "Project token is invalid.")
    assert stored_events() == 0


def test_invalid_json_is_400(client, project):
    response = client.post("/batch/", data=b'{"api_key": ', content_type="application/json")
    body = assert_error(response, 400, "parse_error", None)
    assert body["detail"].startswith("The body is not valid JSON")


def test_corrupt_gzip_is_400(client, project):
    response = client.post("/batch/", data=b"\x1f\x8bnot gzip at all", headers={"Content-Encoding": "gzip"},
                           content_type="application/json")
    body = assert_error(response, 400, "parse_error", None)
    assert body["detail"].startswith("The body is not valid gzip")


def test_invalid_base64_is_400(client, project):
    response = client.post("/e/", data=urlencode({"data": "!!!not base64!!!"}),
                           content_type="application/x-www-form-urlencoded")
    assert_error(response, 400, "parse_error", "data", 'The "data" field is not valid base64.')


def test_batch_that_is_not_a_list_is_400(client, project):
    response = post_json(client, "/batch/", {"api_key": project.api_token, "batch": {"event": "x"}})
    assert_error(response, 400, "invalid_input", "batch", '"batch" must be a list of events.')


def test_event_without_trace_id_is_400_naming_the_field(client, project):
    bad = generation("t")
    del bad["properties"]["$ai_trace_id"]
    response = post_json(client, "/batch/", {"api_key": project.api_token, "batch": [generation("t"), bad]})
    assert_error(response, 400, "required", "batch[1].properties.$ai_trace_id",
                 '"$ai_trace_id" is required on $ai_generation events.')


@pytest.mark.parametrize("field, value, attr, detail", [
    ("uuid", "not-a-uuid", "batch[0].uuid", '"not-a-uuid" is not a valid UUID.'),
    ("timestamp", "yesterday", "batch[0].timestamp", '"yesterday" is not an ISO 8601 date-time.'),
    ("properties", [1, 2], "batch[0].properties", '"properties" must be a JSON object, not a list.'),
    ("event", None, "batch[0].event", 'Every event needs an "event" name.'),
])
def test_malformed_event_fields_are_400(client, project, field, value, attr, detail):
    bad = generation("t")
    bad[field] = value
    response = post_json(client, "/batch/", {"api_key": project.api_token, "batch": [bad]})
    assert_error(response, 400, None, attr, detail)


@pytest.mark.parametrize("prop, value, detail", [
    ("$ai_input_tokens", "many", "Must be a whole number, not a string."),
    ("$ai_input_tokens", -3, "Must not be negative."),
    ("$ai_total_cost_usd", {"usd": 1}, "Must be a number, not an object."),
    ("$ai_latency", True, "Must be a number, not a boolean."),
    ("$ai_parent_id", ["x"], "Must be a string, not a list."),
])
def test_malformed_ai_properties_are_400(client, project, prop, value, detail):
    bad = generation("t", **{prop: value})
    response = post_json(client, "/batch/", {"api_key": project.api_token, "batch": [bad]})
    assert_error(response, 400, "invalid_input", f"batch[0].properties.{prop}", detail)


def test_one_bad_event_stores_nothing(client, project):
    bad = generation("t-2", **{"$ai_output_tokens": "lots"})
    body = {"api_key": project.api_token, "batch": [generation("t-1"), root("t-1"), bad]}
    assert post_json(client, "/batch/", body).status_code == 400
    assert stored_events() == 0
    assert stored_traces() == 0


def test_body_over_the_size_limit_is_413(app, client, project, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    body = {"api_key": project.api_token, "batch": [generation("t", question="x" * 3000)]}
    response = post_json(client, "/batch/", body)
    assert_error(response, 413, "payload_too_large", None, "Request body is larger than 2000 bytes.")
    assert stored_events() == 0


def test_gzip_bomb_is_413_without_expanding_it(app, client, project, monkeypatch):
    monkeypatch.setitem(app.config, "CAPTURE_MAX_DECOMPRESSED_BYTES", 100_000)
    padding = " " * 10_000_000  # 10 MB of spaces compress to about 10 KB
    bomb = gzip.compress(json.dumps({"api_key": project.api_token, "batch": [generation("t")]}).encode()
                         + padding.encode())
    assert len(bomb) < 100_000
    response = client.post("/batch/", data=bomb, headers={"Content-Encoding": "gzip"},
                           content_type="application/json")
    assert_error(response, 413, "payload_too_large", None, "Request body is larger than 100000 bytes.")
    assert stored_events() == 0


def test_same_batch_twice_is_stored_once(client, project):
    body = {"api_key": project.api_token, "batch": [generation("t-1"), span("t-1", 1), root("t-1", 2)]}
    assert post_json(client, "/batch/", body).status_code == 200
    assert post_json(client, "/batch/", body).status_code == 200
    assert stored_events() == 3
    trace = db.session.scalar(select(Trace))
    assert trace.event_count == 3
    assert trace.input_tokens == 100


def test_repeated_uuid_within_one_batch_is_stored_once(client, project):
    first = generation("t-1")
    body = {"api_key": project.api_token, "batch": [first, dict(first), generation("t-1", 1)]}
    assert post_json(client, "/batch/", body).status_code == 200
    assert stored_events() == 2
    assert db.session.scalar(select(Trace.generation_count)) == 2


def test_events_without_uuid_are_deduplicated_by_content(client, project):
    body = {"api_key": project.api_token,
            "batch": [generation("t-1", event_uuid=None), generation("t-1", 5, event_uuid=None)]}
    assert post_json(client, "/batch/", body).status_code == 200
    assert post_json(client, "/batch/", body).status_code == 200
    assert stored_events() == 2
    assert db.session.scalar(select(Trace.input_tokens)) == 200


def test_same_uuid_in_two_projects_is_two_events(client, project, factory):
    other = factory.project()
    item = generation("t-1")
    assert post_json(client, "/batch/", {"api_key": project.api_token, "batch": [item]}).status_code == 200
    assert post_json(client, "/batch/", {"api_key": other.api_token, "batch": [item]}).status_code == 200
    assert stored_events(project.id) == 1
    assert stored_events(other.id) == 1


def test_non_ai_events_are_accepted_and_ignored(client, project):
    pageview = {"event": "$pageview", "distinct_id": "u", "properties": {"$current_url": "https://x"}}
    identify = {"event": "$identify", "distinct_id": "u"}
    body = {"api_key": project.api_token, "batch": [pageview, identify, generation("t-1")]}
    assert post_json(client, "/batch/", body).get_json() == {"status": 1}
    assert stored_events() == 1


def test_empty_batch_is_accepted(client, project):
    assert post_json(client, "/batch/", {"api_key": project.api_token, "batch": []}).get_json() == {"status": 1}


def test_get_is_405_json_naming_the_methods_it_takes(client):
    response = client.get("/batch/")
    assert_error(response, 405, "method_not_allowed", None, 'Method "GET" not allowed: POST the events.')
    assert response.headers["Allow"] == "OPTIONS, POST"


def test_browser_preflight_is_allowed(client):
    response = client.options("/e/", headers={"Origin": "https://shop.example",
                                              "Access-Control-Request-Method": "POST"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example"


# --- capture v1 --------------------------------------------------------------------------------------

V1 = "/i/v1/analytics/events"


def v1_event(item: dict) -> dict:
    return {**item, "options": {}}


def post_v1(client, token: str | None, body, headers: dict | None = None, raw: bytes | None = None):
    all_headers = {"Authorization": f"Bearer {token}"} if token else {}
    all_headers.update(headers or {})
    return client.post(V1, data=raw if raw is not None else json.dumps(body), headers=all_headers,
                       content_type="application/json")


def test_v1_answers_per_event(client, project):
    good, other_good = generation("t-v1"), span("t-v1", 1)
    bad = generation("t-v1", **{"$ai_input_tokens": "many"})
    pageview = event("$pageview", "x")
    body = {"created_at": "2025-03-01T12:00:00Z", "batch": [v1_event(e) for e in (good, bad, other_good, pageview)]}
    response = post_v1(client, project.api_token, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert results[good["uuid"]] == {"result": "ok"}
    assert results[other_good["uuid"]] == {"result": "ok"}
    assert results[bad["uuid"]] == {
        "result": "drop", "details": "batch[1].properties.$ai_input_tokens: Must be a whole number, not a string."}
    assert results[pageview["uuid"]]["result"] == "warning"
    assert stored_events() == 2


def test_v1_retry_of_the_same_events_stores_nothing_twice(client, project):
    body = {"created_at": "2025-03-01T12:00:00Z", "batch": [v1_event(generation("t")), v1_event(root("t"))]}
    for _ in range(2):
        results = post_v1(client, project.api_token, body).get_json()["results"]
        assert {r["result"] for r in results.values()} == {"ok"}
    assert stored_events() == 2


def test_v1_deflate_and_gzip_bodies(client, project):
    body = json.dumps({"created_at": "x", "batch": [v1_event(generation("t"))]}).encode()
    deflated = post_v1(client, project.api_token, None, {"Content-Encoding": "deflate"}, zlib.compress(body))
    assert deflated.status_code == 200
    body2 = json.dumps({"created_at": "x", "batch": [v1_event(generation("t"))]}).encode()
    gzipped = post_v1(client, project.api_token, None, {"Content-Encoding": "gzip"}, gzip.compress(body2))
    assert gzipped.status_code == 200
    assert stored_events() == 2


def test_v1_needs_the_bearer_token(client, project):
    body = {"batch": [v1_event(generation("t"))]}
    assert_error(post_v1(client, None, body), 401, "not_authenticated", None,
                 "Send the project token as 'Authorization: Bearer <project token>'.")
    assert_error(post_v1(client, "phc_wrong", body), 401, "authentication_failed", None, "Project token is invalid.")
    assert stored_events() == 0


def test_v1_event_without_uuid_is_400(client, project):
    body = {"batch": [v1_event(generation("t")), v1_event(generation("t", event_uuid=None))]}
    assert_error(post_v1(client, project.api_token, body), 400, "required", "batch[1].uuid",
                 "Every capture v1 event needs a uuid.")
    assert stored_events() == 0


def test_v1_without_batch_is_400(client, project):
    assert_error(post_v1(client, project.api_token, {"created_at": "x"}), 400, "required", "batch")


# --- clock skew --------------------------------------------------------------------------------------------

def stored_timestamp(trace_id: str):
    return db.session.scalar(select(TraceEvent.timestamp).where(TraceEvent.trace_id == trace_id))


def close_to(stamp, expected, seconds: float = 5) -> bool:
    return abs((stamp - expected).total_seconds()) < seconds


def test_a_client_clock_behind_is_corrected_by_sent_at(client, project):
    """The SDK's clock says T0 + 60 s when it sends an event it stamped T0: the event happened a minute before
    the server received the request, whatever the client's clock said."""
    from reviewapp.models import utcnow

    body = {"api_key": project.api_token, "batch": [generation("skewed", 0)], "sent_at": at(60)}
    assert post_json(client, "/batch/", body).status_code == 200
    assert close_to(stored_timestamp("skewed"), utcnow() - timedelta(seconds=60))


def test_the_browser_sdks_send_time_in_the_query_string_corrects_too(client, project):
    from reviewapp.models import utcnow

    sent_ms = int((T0 + timedelta(seconds=30)).timestamp() * 1000)
    one = generation("skewed-js", 0)
    one["token"] = project.api_token
    assert post_json(client, f"/e/?_={sent_ms}", one).status_code == 200
    assert close_to(stored_timestamp("skewed-js"), utcnow() - timedelta(seconds=30))


def test_ignore_sent_at_and_unreadable_send_times_keep_the_clients_timestamp(client, project):
    ignored = generation("ignored", 0, **{"$ignore_sent_at": True})
    post_json(client, "/batch/", {"api_key": project.api_token, "batch": [ignored], "sent_at": at(60)})
    for n, sent_at in enumerate(("yesterday", "", None, 12)):
        post_json(client, "/batch/", {"api_key": project.api_token, "batch": [generation(f"plain-{n}", 0)],
                                      "sent_at": sent_at})
    assert post_json(client, "/e/?_=soon", {**generation("plain-q", 0), "token": project.api_token}).status_code == 200
    for trace_id in ("ignored", "plain-0", "plain-1", "plain-2", "plain-3", "plain-q"):
        assert stored_timestamp(trace_id) == T0, trace_id


def test_a_retry_sent_later_is_still_the_same_event(client, project):
    """An event without a uuid is known by its content and its own timestamp: the retry's later sent_at moves
    its corrected time, not its identity."""
    for sent in (at(1), at(90)):
        body = {"api_key": project.api_token, "batch": [generation("retried", 0, event_uuid=None)], "sent_at": sent}
        assert post_json(client, "/batch/", body).status_code == 200
    assert stored_events(project.id) == 1


def test_an_absurd_send_time_is_not_a_server_error(client, project):
    body = {"api_key": project.api_token, "batch": [generation("far", 0)], "sent_at": "0001-01-01T00:00:00Z"}
    assert post_json(client, "/batch/", body).status_code == 200
    assert stored_timestamp("far") == T0
