"""Odd data never fails a batch: numbers no column holds, times no date holds, NUL and lone surrogates, deep
nesting. The batch is stored, the raw event keeps what was sent, and the trace's summary leaves out what it
cannot hold."""
from __future__ import annotations

import base64
import gzip
import json
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent, utcnow
from reviewapp.services.ingest.posthog import ingest_batch
from reviewapp.services.ingest.previews import PREVIEW_CHARS
from reviewapp.services.ingest.storable import MAX_NESTING
from reviewapp.services.ingest.summary import MAX_COST_USD, MAX_TOKENS
from tests.ingest.builders import T0, generation, root
from tests.support.api import assert_error

BATCH_PATHS = ["/batch/", "/i/v0/ai/batch/", "/e/", "/i/v0/e/", "/capture/", "/track/"]


@pytest.fixture
def project(factory):
    return factory.project()


def post(client, project, events, path="/batch/", **extra):
    body = json.dumps({"api_key": project.api_token, "batch": events, **extra})
    return client.post(path, data=body, content_type="application/json")


def stored(trace_id: str) -> list[TraceEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(TraceEvent).where(TraceEvent.trace_id == trace_id)))


def trace(trace_id: str) -> Trace:
    db.session.expire_all()
    return db.session.scalar(select(Trace).where(Trace.trace_id == trace_id))


def opens(client, factory, project, login, trace_id: str) -> None:
    """The traces list, the trace's page and its API detail answer 200."""
    admin = factory.user(project=project, role="admin")
    key = factory.api_key(admin, scopes="*")
    login(admin)
    listing = client.get(f"/projects/{project.id}/traces/")
    assert listing.status_code == 200, listing.get_data(as_text=True)[-2000:]
    page = client.get(f"/projects/{project.id}/traces/{quote(trace_id, safe='')}")
    assert page.status_code == 200, page.get_data(as_text=True)[-2000:]
    api = client.get(f"/api/environments/{project.id}/llm_analytics/traces/{quote(trace_id, safe='')}/",
                     headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 200, api.get_data(as_text=True)[-2000:]


def close_to(stamp, expected, seconds: float = 5) -> bool:
    return abs((stamp - expected).total_seconds()) < seconds


# --- numbers no column holds ------------------------------------------------------------------------

@pytest.mark.parametrize("prop, value", [
    ("$ai_input_tokens", 1e20),
    ("$ai_input_tokens", 10**20),
    ("$ai_output_tokens", 2**63),
    ("$ai_input_tokens", "100000000000000000000"),
    ("$ai_total_cost_usd", 1e12),
    ("$ai_input_cost_usd", 1e10),
    ("$ai_latency", 1e15),
    ("$ai_latency", 1e300),
])
def test_a_number_no_column_holds_is_kept_raw_and_left_out_of_the_summary(client, project, prop, value):
    odd = generation("odd", 0, input_tokens=100, output_tokens=10, input_cost=0.01, output_cost=0.02,
                     latency=2, **{prop: value})
    response = post(client, project, [odd, generation("odd", 5, input_tokens=7, output_tokens=3,
                                                       input_cost=0.001, output_cost=0.002, latency=1)])
    assert response.status_code == 200, response.get_data(as_text=True)
    (kept,) = [e for e in stored("odd") if e.uuid == odd["uuid"]]
    # As sent: the same type, the same number (jsonb gives 1e300 back as the integer 10**300).
    assert type(kept.properties[prop]) in (type(value), int) and float(kept.properties[prop]) == float(value)
    row = trace("odd")
    assert row.event_count == 2
    # The odd value counts as absent: tokens, cost and latency come from what the columns can hold.
    expected = {
        "$ai_input_tokens": (7, 13), "$ai_output_tokens": (107, 3),
        "$ai_total_cost_usd": (107, 13), "$ai_input_cost_usd": (107, 13), "$ai_latency": (107, 13),
    }[prop]
    assert (row.input_tokens, row.output_tokens) == expected
    if prop == "$ai_total_cost_usd":  # without a usable total, input + output cost count, as for any event
        assert row.total_cost_usd == pytest.approx(0.033)
    elif prop == "$ai_input_cost_usd":
        assert row.total_cost_usd == pytest.approx(0.023)
    if prop == "$ai_latency":
        assert row.latency_seconds == pytest.approx(6)  # the second generation's end; the odd one's own is unknown


def test_non_finite_numbers_are_stored_as_null_and_the_batch_is_kept(client, project):
    """JSON's 1e400 and Python's NaN/Infinity (the Python SDK writes those) are numbers no column holds:
    PostgreSQL's jsonb refuses NaN, so the raw event keeps null, as orjson writes them."""
    body = json.dumps({"api_key": project.api_token, "batch": [generation("inf", 0, latency=1)]})
    body = body.replace('"$ai_latency": 1', '"$ai_latency": NaN, "$ai_input_tokens_x": Infinity, '
                                            '"$ai_http_status": 1e400, "$ai_big": 1' + "0" * 30)
    body = body.replace('"$ai_output_tokens": 20', '"$ai_output_tokens": 1e400')
    response = client.post("/batch/", data=body, content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    (event,) = stored("inf")
    assert event.properties["$ai_latency"] is None
    assert event.properties["$ai_output_tokens"] is None
    assert event.properties["$ai_big"] == 10**30  # an integer beyond 64 bits is kept as it came
    row = trace("inf")
    assert (row.input_tokens, row.output_tokens, row.has_error) == (100, 0, False)


def test_token_sums_stop_at_the_largest_the_column_holds(project):
    big = 2**62
    ingest_batch(project.id, [generation("sum", n, input_tokens=big, output_tokens=1) for n in range(3)])
    ingest_batch(project.id, [generation("sum", 9, input_tokens=big, output_tokens=1)])
    row = trace("sum")
    assert (row.input_tokens, row.output_tokens) == (MAX_TOKENS, 4)


def test_cost_sums_stop_at_the_largest_the_column_holds(project):
    ingest_batch(project.id, [generation("cost", n, **{"$ai_total_cost_usd": 9e9}) for n in range(2)])
    ingest_batch(project.id, [generation("cost", 9, **{"$ai_total_cost_usd": 9e9})])
    assert trace("cost").total_cost_usd == pytest.approx(MAX_COST_USD)


# --- times no date holds ----------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [1e20, -1e20, 1e15])
def test_an_offset_beyond_any_date_gives_the_receive_time(client, project, offset):
    one = generation("offset", 0)
    del one["timestamp"]
    one["offset"] = offset
    assert post(client, project, [one, generation("offset", 1)]).status_code == 200
    times = sorted(e.timestamp for e in stored("offset"))
    assert times[0] == T0 + timedelta(seconds=1) and close_to(times[1], utcnow())


@pytest.mark.parametrize("stamp", [
    "9999-12-31T23:59:59-05:00",  # year 10000 in UTC
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "+10000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "1" * 5000 + "-01-01T00:00:00Z",  # more digits than Python turns into an int
])
def test_a_timestamp_no_date_holds_gives_the_receive_time(client, project, stamp):
    one = generation("far", 0)
    one["timestamp"] = stamp
    response = post(client, project, [one], sent_at="2025-03-01T12:00:00Z")  # no skew applies to the receive time
    assert response.status_code == 200, response.get_data(as_text=True)
    (event,) = stored("far")
    assert close_to(event.timestamp, utcnow())


def test_times_at_the_ends_of_the_calendar_are_stored_as_sent(client, project, factory, login):
    last = generation("last", 0, latency=3600)
    last["timestamp"] = "9999-12-31T23:59:59.999999Z"
    first = generation("first", 0, latency=5)
    first["timestamp"] = "0001-01-01T00:00:00Z"
    assert post(client, project, [last, first]).status_code == 200
    (event,) = stored("last")
    assert event.timestamp.year == 9999
    row = trace("last")  # the latency would end in year 10000: left out of the summary, kept raw
    assert row.first_timestamp == row.ends_at == event.timestamp
    assert row.latency_seconds == 0
    assert event.properties["$ai_latency"] == 3600
    assert trace("first").latency_seconds == 5
    opens(client, factory, project, login, "last")


@pytest.mark.parametrize("stamp", ["yesterday", "+2025-03-01T00:00:00Z", "-0001-13-45T00:00:00Z", "20250-xx"])
def test_a_timestamp_that_is_no_date_time_is_still_refused(client, project, stamp):
    one = generation("bad", 0)
    one["timestamp"] = stamp
    assert_error(post(client, project, [one]), 400, "invalid_input", "batch[0].timestamp")


def test_a_trace_of_odd_numbers_opens(client, project, factory, login):
    """What capture keeps, the trace page and the API show."""
    events = [root("odd-page", 0, latency=1e15), generation("odd-page", 1, input_tokens=10**20, latency=1e300,
                                                             **{"$ai_total_cost_usd": 1e12, "$ai_input_tokens": "1e400",
                                                                "$ai_output_tokens": "nan"})]
    assert post(client, project, events).status_code == 200
    opens(client, factory, project, login, "odd-page")


# --- strings neither database can store -------------------------------------------------------------

UNSAFE = "a\x00b\ud800c\udfffd"
SAFE = "a\ufffdb\ufffdc\ufffdd"


def test_nul_and_lone_surrogates_anywhere_become_replacement_characters(client, project, factory, login):
    one = generation(f"t-{UNSAFE}", 0, distinct_id=f"user-{UNSAFE}", model=f"gpt-{UNSAFE}", **{
                         "$ai_span_id": f"s-{UNSAFE}", "$ai_parent_id": f"p-{UNSAFE}",
                         "$ai_span_name": f"name {UNSAFE}", "$ai_session_id": f"session-{UNSAFE}",
                         f"key-{UNSAFE}": {f"nested-{UNSAFE}": [f"deep {UNSAFE}", {"x": UNSAFE}]},
                     })
    one["event"] = f"$ai_{UNSAFE}"
    other = generation(f"t-{UNSAFE}", 1, question=f"question {UNSAFE}")
    body = json.dumps({"api_key": project.api_token, "batch": [one, other]})
    assert "\\u0000" in body and "\\ud800" in body  # sent as JSON escapes, as every SDK does
    response = client.post("/batch/", data=body, content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)

    events = {e.event: e for e in stored(f"t-{SAFE}")}
    assert set(events) == {f"$ai_{SAFE}", "$ai_generation"}
    odd = events[f"$ai_{SAFE}"]
    assert (odd.distinct_id, odd.span_id, odd.parent_id) == (f"user-{SAFE}", f"s-{SAFE}", f"p-{SAFE}")
    assert odd.properties[f"key-{SAFE}"] == {f"nested-{SAFE}": [f"deep {SAFE}", {"x": SAFE}]}
    assert odd.properties["$ai_model"] == f"gpt-{SAFE}"
    row = trace(f"t-{SAFE}")
    assert (row.name, row.session_id) == (f"name {SAFE}", f"session-{SAFE}")
    assert row.input_preview == f"question {SAFE}"
    opens(client, factory, project, login, f"t-{SAFE}")


@pytest.mark.parametrize("text", ["\x00", "\ud800", "\udc00x", "x\ud83d", "\x00\x00"])
def test_one_unsafe_string_does_not_cost_the_other_99_events(client, project, text):
    events = [generation(f"batch-{n}", n) for n in range(99)] + [generation("odd", 0, answer=text)]
    assert post(client, project, events).status_code == 200
    assert db.session.query(TraceEvent).count() == 100
    (event,) = stored("odd")
    assert event.properties["$ai_output_choices"][0]["content"] == text.replace("\x00", "\ufffd").encode(
        "utf-16", "surrogatepass").decode("utf-16", "replace")


def test_capture_v1_stores_unsafe_strings_safely_too(client, project):
    one = generation("v1-\x00", 0, answer="\ud800")
    body = json.dumps({"batch": [one]})
    response = client.post("/i/v1/analytics/events", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {project.api_token}"})
    assert response.get_json() == {"results": {one["uuid"]: {"result": "ok"}}}
    (event,) = stored("v1-\ufffd")
    assert event.properties["$ai_output_choices"][0]["content"] == "\ufffd"


def test_a_paired_surrogate_escape_is_the_character_it_encodes(client, project):
    body = json.dumps({"api_key": project.api_token, "batch": [generation("emoji", 0, answer="😀 ok")]})
    assert "\\ud83d\\ude00" in body
    assert client.post("/batch/", data=body, content_type="application/json").status_code == 200
    (event,) = stored("emoji")
    assert event.properties["$ai_output_choices"][0]["content"] == "😀 ok"


# --- nesting ----------------------------------------------------------------------------------------

def nested(depth: int) -> str:
    return "[" * depth + '"bottom"' + "]" * depth


def deep_event_body(project, depth: int) -> str:
    """A batch whose one event's $ai_input is `depth` lists deep: built as text, as no encoder goes that deep."""
    body = json.dumps({"api_key": project.api_token, "batch": [generation("deep", 0, **{"$ai_input": "HERE"})]})
    return body.replace('"HERE"', nested(depth))


def test_json_nested_100000_deep_is_400_on_every_path(client, project):
    body = deep_event_body(project, 100_000)
    for path in BATCH_PATHS + ["/i/v1/analytics/events"]:
        response = client.post(path, data=body, content_type="application/json",
                               headers={"Authorization": f"Bearer {project.api_token}"})
        assert_error(response, 400, "parse_error", None, "The body is nested too deeply to read.")
    gzipped = client.post("/batch/", data=gzip.compress(body.encode()), content_type="application/json",
                          headers={"Content-Encoding": "gzip"})
    assert_error(gzipped, 400, "parse_error")
    form = urlencode({"data": base64.b64encode(body.encode()).decode(), "compression": "base64"})
    assert_error(client.post("/e/", data=form, content_type="application/x-www-form-urlencoded"), 400, "parse_error")


def test_an_event_nested_deeper_than_the_limit_is_refused_naming_the_property(client, project):
    # The properties object is the first level, $ai_input the second: MAX_NESTING lists inside it is one too many.
    response = client.post("/batch/", data=deep_event_body(project, MAX_NESTING),
                           content_type="application/json")
    assert_error(response, 400, "invalid_input", "batch[0].properties.$ai_input",
                 f"Nested deeper than {MAX_NESTING} levels.")


def test_deep_nesting_within_the_limit_is_stored_summarised_and_opens(client, project, factory, login):
    depth = MAX_NESTING - 1  # the properties object is the first level
    response = client.post("/batch/", data=deep_event_body(project, depth), content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    (event,) = stored("deep")
    value, levels = event.properties["$ai_input"], 0
    while isinstance(value, list):
        value, levels = value[0], levels + 1
    assert (levels, value) == (depth, "bottom")
    row = trace("deep")
    assert row.input_preview.startswith("[[[[") and len(row.input_preview) <= PREVIEW_CHARS
    opens(client, factory, project, login, "deep")


def test_deep_content_parts_give_a_preview_without_recursing_through_them(project):
    content: object = "innermost"
    for _ in range(200):  # 400 levels
        content = [{"type": "wrapper", "content": content}]
    ingest_batch(project.id, [generation("parts", 0, **{"$ai_input": [{"role": "user", "content": content}]})])
    assert trace("parts").input_preview is not None


@pytest.mark.parametrize("odd_uuid", [12345, ["x"], {"a": 1}, "  ", "NESTED"])
def test_a_capture_v1_uuid_that_is_not_a_string_is_400(client, project, odd_uuid):
    """The uuid keys v1's answer: one that is not a string (here even too deep to print) is refused."""
    one = generation("v1-uuid", 0)
    one["uuid"] = "HERE" if odd_uuid == "NESTED" else odd_uuid
    body = json.dumps({"batch": [generation("v1-uuid", 1), one]}).replace('"HERE"', nested(900))
    response = client.post("/i/v1/analytics/events", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {project.api_token}"})
    assert_error(response, 400, "required", "batch[1].uuid", "Every capture v1 event needs a uuid.")
