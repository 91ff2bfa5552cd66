"""Property: whatever an SDK (or anyone) posts to a capture endpoint — odd numbers in every `$ai_*` numeric field,
odd times, NUL and lone surrogates anywhere, deep nesting, in every encoding — the answer is never a 5xx: a
batch is stored (200) or refused in the capture error shape (4xx), and what was stored opens in the API."""
from __future__ import annotations

import base64
import gzip
import json
import math
import uuid
import zlib
from datetime import timedelta, timezone
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import Trace
from reviewapp.services.ingest.posthog import AMOUNT_PROPERTIES, COUNT_PROPERTIES
from reviewapp.services.ingest.storable import MAX_NESTING

# A few dozen examples a test, so the suite stays fast; the targeted cases are in test_odd_input.py.
FUZZ = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

V0_PATHS = ["/batch/", "/i/v0/ai/batch/", "/e/", "/i/v0/e/", "/capture/", "/track/", "/batch", "/e"]
V1_PATH = "/i/v1/analytics/events"
NUMERIC_FIELDS = [*COUNT_PROPERTIES, *AMOUNT_PROPERTIES, "$ai_http_status",
                  "$ai_time_to_first_token", "$ai_temperature"]
EVENT_NAMES = ["$ai_generation", "$ai_span", "$ai_trace", "$ai_embedding", "$ai_metric", "$pageview"]

unsafe_pieces = st.sampled_from(["\x00", "\ud800", "\udfff", "\udbff\udc00", "😀", "\ufffd", "\\u0000", "'", "%_"])
texts = (st.text(max_size=12) | unsafe_pieces
         | st.tuples(st.text(max_size=4), unsafe_pieces, st.text(max_size=4)).map("".join))
big_numbers = (st.integers(min_value=0, max_value=2**70) | st.floats(min_value=0, allow_infinity=True)
               | st.sampled_from([1e20, 1e15, 1e12, 1e10, 10**20, 2**63, 2**63 - 1, 2**53 + 1, 0, 5e-324, 1e308,
                                  10**300, math.nan, math.inf]))
odd_numbers = big_numbers | st.integers(min_value=-(2**70), max_value=2**70) | st.floats()
numeric_strings = st.sampled_from(["1e400", "nan", "-inf", "Infinity", "1e20", " 12 ", "1_000", "0x10", "", "-0",
                                   "9" * 5000])
scalars = st.none() | st.booleans() | odd_numbers | texts
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(texts, inner, max_size=4), max_leaves=12)
zones = st.sampled_from([None, *(timezone(timedelta(hours=hours)) for hours in (-12, -5, 0, 1, 14))])
edge_times = st.sampled_from(["9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00",
                              "0001-01-01T00:00:00Z", "+10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z",
                              "0000-01-01T00:00:00Z", "2025-03-01T12:00:00Z", "9" * 5000 + "-01-01T00:00:00Z"])
times = st.datetimes(timezones=zones).map(lambda moment: moment.isoformat()) | edge_times
DEPTHS = st.sampled_from([0, 0, 0, 10, 300, MAX_NESTING - 4, MAX_NESTING + 1, 2_000, 20_000])


def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """Usually a value the batch is stored with (where hidden 500s were), sometimes one it is refused for."""
    return usual | usual | usual | odd


@st.composite
def events(draw, with_uuid: bool = False):
    properties = {"$ai_trace_id": draw(mostly(st.sampled_from(["fuzz-trace", "fuzz-other"]) | texts, scalars))}
    for field in draw(st.lists(st.sampled_from(NUMERIC_FIELDS), max_size=4, unique=True)):
        properties[field] = draw(mostly(big_numbers, numeric_strings | scalars))
    for field in draw(st.lists(st.sampled_from(["$ai_span_id", "$ai_parent_id", "$ai_model", "$ai_span_name",
                                                 "$ai_session_id", "$ai_is_error", "$ai_error"]), max_size=3,
                               unique=True)):
        properties[field] = draw(mostly(texts, scalars))
    for field in draw(st.lists(st.sampled_from(["$ai_input", "$ai_output_choices", "$ai_input_state",
                                                 "$ai_output_state"]), max_size=2, unique=True)):
        properties[field] = draw(json_values | st.lists(st.fixed_dictionaries(
            {"role": st.sampled_from(["user", "assistant", "tool"]) | texts, "content": json_values}), max_size=3))
    properties.update(draw(st.dictionaries(texts, json_values, max_size=2)))
    event = {"event": draw(mostly(st.sampled_from(EVENT_NAMES) | texts.map(lambda t: "$ai_" + t), scalars)),
             "properties": properties}
    if with_uuid or draw(st.booleans()):
        event["uuid"] = str(uuid.uuid4())
    for field, values in (("distinct_id", mostly(texts, scalars)), ("timestamp", mostly(times, scalars)),
                          ("offset", mostly(big_numbers, scalars))):
        if draw(st.booleans()):
            event[field] = draw(values)
    return event


def nested_text(body: dict, depth: int) -> str:
    """The body as JSON with a list nested `depth` deep in its first event's $ai_input (no encoder goes that
    deep, so it is spliced in as text)."""
    text = json.dumps(body, allow_nan=True)
    if depth and '"$ai_input": ' in text:
        start = text.index('"$ai_input": ') + len('"$ai_input": ')
        text = text[:start] + "[" * depth + "]" * depth + ", \"$ai_was\": " + text[start:]
    return text


def encoded(text: str, encoding: str, path: str) -> tuple[str, bytes, str, dict[str, str]]:
    """(path, body, content type, headers) as each SDK wraps a body."""
    raw = text.encode("utf-8", "surrogatepass")
    if encoding == "gzip":
        return path, gzip.compress(raw), "application/json", {"Content-Encoding": "gzip"}
    if encoding == "deflate":
        return path, zlib.compress(raw), "application/json", {"Content-Encoding": "deflate"}
    if encoding == "gzip-js":
        return path + "?compression=gzip-js", gzip.compress(raw), "text/plain", {}
    if encoding == "base64-form":
        form = urlencode({"data": base64.b64encode(raw).decode(), "compression": "base64"})
        return path, form.encode(), "application/x-www-form-urlencoded", {}
    if encoding == "gzip-form":
        form = urlencode({"data": base64.b64encode(gzip.compress(raw)).decode()})
        return path + "?compression=gzip-js", form.encode(), "application/x-www-form-urlencoded", {}
    return path, raw, "application/json", {}


ENCODINGS = st.sampled_from(["json", "json", "gzip", "deflate", "gzip-js", "base64-form", "gzip-form"])


@pytest.fixture
def reader(factory, project):
    admin = factory.user(project=project, role="admin")
    return factory.api_key(admin, scopes="*")


@pytest.fixture
def project(factory):
    return factory.project()


def assert_no_server_error(response) -> None:
    status = response.status_code
    assert status < 500, response.get_data(as_text=True)[:2000]
    if status >= 400:
        body = response.get_json(silent=True)
        assert isinstance(body, dict) and {"type", "code", "detail", "attr"} <= set(body), body


def assert_stored_traces_open(client, project, key) -> None:
    """Every trace stored so far opens in the API (its summary and its raw events read back). A trace id that ends
    in "/" has no address of the API's form `traces/<id>/` (werkzeug will not
    end a path part on the slash before the rule's own): it is read in the listing only, and its trace page opens
    (tests/traces/test_pages.py)."""
    headers = {"Authorization": f"Bearer {key}"}
    base = f"/api/environments/{project.id}/llm_analytics/traces/"
    listing = client.get(base, headers=headers)
    assert listing.status_code == 200, listing.get_data(as_text=True)[:2000]
    db.session.expire_all()
    for trace_id in db.session.scalars(select(Trace.trace_id).where(Trace.project_id == project.id).limit(5)):
        if trace_id.endswith("/"):
            continue
        detail = client.get(f"{base}{quote(trace_id, safe='')}/", headers=headers)
        assert detail.status_code == 200, (trace_id, detail.get_data(as_text=True)[:2000])


def test_v0_capture_never_answers_a_server_error(client, project, reader):
    @FUZZ
    @given(batch=st.lists(events(), min_size=1, max_size=4), path=st.sampled_from(V0_PATHS), encoding=ENCODINGS,
           shape=st.sampled_from(["batch", "list", "single"]), sent_at=st.none() | times, depth=DEPTHS,
           query_ms=st.none() | st.integers(min_value=-(2**70), max_value=2**70).map(str) | texts)
    def check(batch, path, encoding, shape, sent_at, depth, query_ms):
        if shape == "batch":
            body = {"api_key": project.api_token, "batch": batch, "sent_at": sent_at}
        elif shape == "list":
            body = [{**event, "token": project.api_token} for event in batch]
        else:
            body = {**batch[0], "token": project.api_token}
        url, data, content_type, headers = encoded(nested_text(body, depth), encoding, path)
        if query_ms is not None:
            url += ("&" if "?" in url else "?") + urlencode({"_": query_ms.encode("utf-8", "surrogatepass")})
        response = client.post(url, data=data, content_type=content_type, headers=headers)
        assert_no_server_error(response)
        if response.status_code == 200:
            assert response.get_json() == {"status": 1}
            assert_stored_traces_open(client, project, reader)

    check()


def test_v1_capture_never_answers_a_server_error(client, project, reader):
    @FUZZ
    @given(batch=st.lists(events(with_uuid=True), min_size=1, max_size=4), encoding=ENCODINGS,
           sent_at=st.none() | times, depth=DEPTHS)
    def check(batch, encoding, sent_at, depth):
        url, data, content_type, headers = encoded(nested_text({"batch": batch, "sent_at": sent_at}, depth),
                                                   encoding, V1_PATH)
        headers["Authorization"] = f"Bearer {project.api_token}"
        response = client.post(url, data=data, content_type=content_type, headers=headers)
        assert_no_server_error(response)
        if response.status_code == 200:
            assert set(response.get_json()["results"]) <= {event["uuid"] for event in batch}
            assert_stored_traces_open(client, project, reader)

    check()
