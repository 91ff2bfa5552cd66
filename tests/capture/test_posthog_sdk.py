"""The official PostHog Python SDK, pointed at a real server process running the app, delivers traces that
arrive whole: right tokens, cost and tree."""
from __future__ import annotations

import threading
import uuid

import pytest
from posthog import Posthog
from sqlalchemy import select
from werkzeug.serving import make_server

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent


class Recorder:
    """WSGI middleware noting each request's path and encoding, so the test sees what the SDK really sent."""

    def __init__(self, app):
        self.app, self.requests = app, []

    def __call__(self, environ, start_response):
        self.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("HTTP_CONTENT_ENCODING")))
        return self.app(environ, start_response)


@pytest.fixture
def live_server(app):
    recorder = Recorder(app)
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", recorder.requests
    server.shutdown()
    thread.join(timeout=10)


def send_agent_trace(client: Posthog, capture) -> str:
    trace_id = str(uuid.uuid4())
    common = {"$ai_trace_id": trace_id, "$ai_session_id": "chat-42"}
    capture(client)("$ai_trace", distinct_id="customer-1", properties={
        **common, "$ai_span_name": "support agent", "$ai_latency": 3.2,
        "$ai_input_state": {"question": "Where is order 1234?"}, "$ai_output_state": "It arrives Friday.",
    })
    capture(client)("$ai_span", distinct_id="customer-1", properties={
        **common, "$ai_span_id": "lookup", "$ai_parent_id": trace_id, "$ai_span_name": "lookup_order",
        "$ai_input_state": {"order": 1234}, "$ai_output_state": {"eta": "Friday"}, "$ai_latency": 0.4,
    })
    capture(client)("$ai_generation", distinct_id="customer-1", properties={
        **common, "$ai_span_id": "answer", "$ai_parent_id": "lookup", "$ai_model": "gpt-4o-mini",
        "$ai_provider": "openai",
        "$ai_input": [{"role": "user", "content": "Where is order 1234?"}],
        "$ai_output_choices": [{"role": "assistant", "content": "It arrives Friday."}],
        "$ai_input_tokens": 812, "$ai_output_tokens": 64,
        "$ai_input_cost_usd": 0.0001218, "$ai_output_cost_usd": 0.0000384, "$ai_latency": 1.9,
    })
    return trace_id


def assert_trace_arrived(project_id: int, trace_id: str) -> None:
    db.session.expire_all()
    trace = db.session.scalar(select(Trace).where(Trace.project_id == project_id, Trace.trace_id == trace_id))
    assert trace is not None, "the trace did not arrive"
    assert (trace.name, trace.session_id, trace.distinct_id) == ("support agent", "chat-42", "customer-1")
    assert (trace.input_tokens, trace.output_tokens) == (812, 64)
    assert trace.total_cost_usd == pytest.approx(0.0001602)
    assert trace.latency_seconds == pytest.approx(3.2)
    assert trace.models == ["gpt-4o-mini"]
    assert (trace.event_count, trace.generation_count, trace.has_error) == (3, 1, False)
    assert trace.output_preview == "It arrives Friday."
    tree = {e.event: (e.span_id, e.parent_id) for e in db.session.scalars(
        select(TraceEvent).where(TraceEvent.trace_id == trace_id))}
    assert tree == {
        "$ai_trace": (trace_id, None),
        "$ai_span": ("lookup", trace_id),
        "$ai_generation": ("answer", "lookup"),
    }


def run_sdk(url: str, token: str, capture, **options) -> tuple[str, list]:
    errors: list = []
    client = Posthog(token, host=url, on_error=lambda error, items: errors.append(error), **options)
    trace_id = send_agent_trace(client, capture)
    client.flush()
    client.shutdown()
    assert errors == []
    return trace_id, errors


def test_sdk_default_lane_posts_gzip_to_batch(live_server, factory):
    url, requests = live_server
    project = factory.project()
    trace_id, _ = run_sdk(url, project.api_token, lambda c: c.capture, gzip=True)
    assert ("POST", "/batch/", "gzip") in requests
    assert {path for _, path, _ in requests} == {"/batch/"}
    assert_trace_arrived(project.id, trace_id)


def test_sdk_ai_lane_posts_to_the_ai_batch_path(live_server, factory):
    url, requests = live_server
    project = factory.project()
    trace_id, _ = run_sdk(url, project.api_token, lambda c: c.capture_ai, gzip=True)
    assert {(path, encoding) for _, path, encoding in requests} == {("/i/v0/ai/batch/", "gzip")}
    assert_trace_arrived(project.id, trace_id)


def test_sdk_capture_v1_mode(live_server, factory):
    url, requests = live_server
    project = factory.project()
    trace_id, _ = run_sdk(url, project.api_token, lambda c: c.capture, capture_mode="v1", capture_compression="gzip")
    assert {(path, encoding) for _, path, encoding in requests} == {("/i/v1/analytics/events", "gzip")}
    assert_trace_arrived(project.id, trace_id)


def test_sdk_with_a_wrong_token_reports_the_401(live_server, factory):
    url, _ = live_server
    factory.project()
    errors: list = []
    client = Posthog("phc_wrong", host=url, on_error=lambda error, items: errors.append(error), max_retries=0)
    client.capture("$ai_generation", distinct_id="u", properties={"$ai_trace_id": "t"})
    client.flush()
    client.shutdown()
    assert len(errors) == 1
    assert errors[0].status == 401
    assert errors[0].message == "Project token is invalid."
    assert db.session.scalar(select(TraceEvent.id)) is None


def test_sdk_sends_evaluation_results_that_land_on_their_trace(live_server, factory):
    """A team that runs its own judge captures `$ai_evaluation` with the SDK (spec §2.1): the results are stored
    on the trace, a skipped run reads as skipped, and the judge's cost stays out of the trace's."""
    from reviewapp.services import evaluations

    url, requests = live_server
    project = factory.project()
    errors: list = []
    client = Posthog(project.api_token, host=url, on_error=lambda error, items: errors.append(error), gzip=True)
    trace_id = send_agent_trace(client, lambda c: c.capture)
    judge = {"$ai_evaluation_id": "0196e5a4-9c21-7e44-8f00-6a1b2c3d4e5f", "$ai_evaluation_name": "Grounded",
             "$ai_evaluation_type": "online", "$ai_evaluation_runtime": "llm_judge",
             "$ai_evaluation_result_type": "boolean", "$ai_trace_id": trace_id, "$ai_target_id": trace_id,
             "$ai_target_type": "trace_id", "$ai_model": "gpt-5-mini", "$ai_total_cost_usd": 0.004}
    client.capture("$ai_evaluation", distinct_id="customer-1", properties={
        **judge, "$ai_evaluation_result": False, "$ai_evaluation_reasoning": "Friday is not in the lookup."})
    client.capture("$ai_evaluation", distinct_id="customer-1", properties={
        **judge, "$ai_evaluation_skipped": True, "$ai_evaluation_skip_reason": "trace_too_large",
        "$ai_evaluation_result": False})
    client.flush()
    client.shutdown()
    assert errors == []
    db.session.expire_all()
    results = evaluations.results_for_trace(project.id, trace_id)
    assert sorted(r.result.outcome for r in results) == ["fail", "skipped"]
    assert {r.name for r in results} == {"Grounded"}
    trace = db.session.scalar(select(Trace).where(Trace.trace_id == trace_id))
    assert trace.total_cost_usd == pytest.approx(0.0001602)  # the app's own calls only
