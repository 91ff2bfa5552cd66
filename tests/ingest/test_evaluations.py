"""Evaluation results in: each `$ai_evaluation` event is stored once per run, read into an outcome in the spec's
order (skipped, N/A, then pass/fail; string booleans accepted), attached to its trace and target, and its judge's
cost kept apart from the trace's cost."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import Evaluation, Trace, TraceEvaluation
from reviewapp.services.ingest.posthog import ingest_batch
from tests.ingest.builders import event, generation

JUDGE_ID = "0196e5a4-9c21-7e44-8f00-6a1b2c3d4e5f"


@pytest.fixture
def project(factory):
    return factory.project()


def evaluation(trace_id: str, seconds: float = 60, *, evaluation_id: str | None = JUDGE_ID,
               name: str = "Agent completed the task", event_uuid: str = "auto", **properties) -> dict:
    props = {"$ai_evaluation_name": name, "$ai_evaluation_type": "online", "$ai_evaluation_runtime": "llm_judge",
             "$ai_evaluation_result_type": "boolean", "$ai_evaluation_reasoning": "Looks right.",
             "$ai_target_id": trace_id, "$ai_target_type": "trace_id", **properties}
    if evaluation_id is not None:
        props["$ai_evaluation_id"] = evaluation_id
    return event("$ai_evaluation", trace_id, seconds, event_uuid=event_uuid, **props)


def results(project_id: int) -> list[TraceEvaluation]:
    db.session.expire_all()
    return list(db.session.scalars(select(TraceEvaluation).where(TraceEvaluation.project_id == project_id)
                                   .order_by(TraceEvaluation.timestamp, TraceEvaluation.id)))


def outcomes(project_id: int) -> list[str]:
    return [row.outcome for row in results(project_id)]


def test_a_failing_judge_result_is_stored_on_its_trace_with_reasoning_model_and_cost(project):
    ingest_batch(project.id, [
        generation("trace_4f9c2b", 0, input_cost=0.01, output_cost=0.02),
        evaluation("trace_4f9c2b", **{
            "$ai_evaluation_result": False, "$ai_evaluation_allows_na": True, "$ai_evaluation_applicable": True,
            "$ai_evaluation_reasoning": "Line 42 cites an order status the lookup tool never returned.",
            "$ai_model": "gpt-5-mini", "$ai_provider": "openai", "$ai_input_tokens": 23410,
            "$ai_output_tokens": 66, "$ai_total_cost_usd": 0.0042}),
    ])
    [row] = results(project.id)
    assert (row.trace_id, row.target_kind, row.target_id, row.outcome) == (
        "trace_4f9c2b", "trace", "trace_4f9c2b", "fail")
    assert row.reasoning == "Line 42 cites an order status the lookup tool never returned."
    assert (row.judge_model, row.cost_usd) == ("gpt-5-mini", pytest.approx(0.0042))
    judge = db.session.scalar(select(Evaluation).where(Evaluation.project_id == project.id))
    assert (judge.key, judge.name, judge.runtime, judge.result_type) == (
        JUDGE_ID, "Agent completed the task", "llm_judge", "boolean")
    trace = db.session.scalar(select(Trace).where(Trace.trace_id == "trace_4f9c2b"))
    # The judge's tokens and cost are the evaluation's, not the traced app's.
    assert (trace.total_cost_usd, trace.input_tokens, trace.models) == (pytest.approx(0.03), 100, ["gpt-4o-mini"])


@pytest.mark.parametrize("together", [True, False], ids=["one batch", "the judge later"])
def test_a_judges_verdict_is_no_step_of_the_trace_it_judges(project, together):
    """A judge runs minutes after the trace, with its own latency, errors and person: none of that is the traced
    app's, so the trace's latency, event count, error flag and user stay as its own steps made them."""
    steps = [generation("trace_late", 0, latency=1.5, distinct_id="customer-7")]
    verdict = evaluation("trace_late", 600, distinct_id="judge-bot", **{
        "$ai_evaluation_result": False, "$ai_latency": 12.0, "$ai_is_error": True, "$ai_span_name": "judge"})
    if together:
        ingest_batch(project.id, [*steps, verdict])
    else:
        ingest_batch(project.id, steps)
        ingest_batch(project.id, [verdict])
    db.session.expire_all()
    trace = db.session.scalar(select(Trace).where(Trace.trace_id == "trace_late"))
    assert (trace.latency_seconds, trace.event_count, trace.has_error) == (pytest.approx(1.5), 1, False)
    assert (trace.distinct_id, trace.name) == ("customer-7", None)
    assert outcomes(project.id) == ["fail"]


@pytest.mark.parametrize(("properties", "expected"), [
    ({"$ai_evaluation_result": True}, "pass"),
    ({"$ai_evaluation_result": "true"}, "pass"),
    ({"$ai_evaluation_result": "False"}, "fail"),
    ({"$ai_evaluation_result": 1}, "pass"),
    # A skipped boolean run still says result=false: skipped, never a fail (also as a string).
    ({"$ai_evaluation_skipped": True, "$ai_evaluation_skip_reason": "trace_too_large",
      "$ai_evaluation_result": False}, "skipped"),
    ({"$ai_evaluation_skipped": "true", "$ai_evaluation_result": False}, "skipped"),
    # Not applicable whatever the result says; a missing `applicable` means applicable.
    ({"$ai_evaluation_allows_na": True, "$ai_evaluation_applicable": False, "$ai_evaluation_result": False}, "na"),
    ({"$ai_evaluation_applicable": "false"}, "na"),
    ({"$ai_evaluation_applicable": None, "$ai_evaluation_result": False}, "fail"),
    # Skipped wins over N/A.
    ({"$ai_evaluation_skipped": True, "$ai_evaluation_applicable": False}, "skipped"),
    # An older event without a result type is read as a boolean.
    ({"$ai_evaluation_result_type": None, "$ai_evaluation_result": False}, "fail"),
    # Numbers and categories pass only by a rule the event does not carry: neutral until an admin sets one.
    ({"$ai_evaluation_result_type": "numeric", "$ai_evaluation_numeric_result": 0.3}, "unknown"),
    ({"$ai_evaluation_result_type": "categorical", "$ai_evaluation_categorical_result": ["rude"]}, "unknown"),
    ({"$ai_evaluation_result_type": "sentiment", "$ai_sentiment_label": "negative"}, "unknown"),
])
def test_outcome_is_read_in_the_specs_order(project, properties, expected):
    ingest_batch(project.id, [evaluation("t", **properties)])
    assert outcomes(project.id) == [expected]


def test_a_generation_result_names_its_generation_and_a_session_result_its_session(project):
    generation_uuid = str(uuid.uuid4())
    ingest_batch(project.id, [
        generation("t", 0, event_uuid=generation_uuid),
        evaluation("t", **{"$ai_target_type": "generation_uuid", "$ai_target_id": generation_uuid,
                           "$ai_target_event_id": generation_uuid, "$ai_target_event_type": "$ai_generation",
                           "$ai_evaluation_result": True}),
        evaluation("t", 61, **{"$ai_target_type": "session_id", "$ai_target_id": "chat-42",
                               "$ai_session_id": "chat-42", "$ai_evaluation_result": True}),
    ])
    assert [(row.target_kind, row.target_id) for row in results(project.id)] == [
        ("generation", generation_uuid), ("session", "chat-42")]


def test_an_otel_imported_result_is_read_by_its_label_and_deduplicated_by_its_run_id(project):
    run_id = str(uuid.uuid4())
    otel = {"$ai_evaluation_run_id": run_id, "$ai_evaluation_runtime": "otel", "$ai_evaluation_type": "imported",
            "$ai_ingestion_source": "otel", "$ai_target_span_id": "0202020202020202",
            "$ai_evaluation_result": "pass", "$ai_evaluation_result_type": "label",
            "$ai_evaluation_reasoning": "grounded in context", "$ai_target_type": None, "$ai_target_id": None}
    ingest_batch(project.id, [evaluation("t", name="correctness", evaluation_id="otel-correctness", **otel)])
    # A replay of the same log record arrives under another event uuid: stored once.
    ingest_batch(project.id, [evaluation("t", name="correctness", evaluation_id="otel-correctness", **otel)])
    ingest_batch(project.id, [evaluation("u", name="correctness", evaluation_id="otel-correctness", **{
        **otel, "$ai_evaluation_run_id": str(uuid.uuid4()), "$ai_evaluation_result": None,
        "$ai_evaluation_result_type": "number", "$ai_evaluation_score_value": 0.2})])
    rows = results(project.id)
    assert [(row.trace_id, row.target_kind, row.target_id, row.outcome) for row in rows] == [
        ("t", "span", "0202020202020202", "pass"), ("u", "span", "0202020202020202", "unknown")]
    assert rows[0].reasoning == "grounded in context"


def test_an_older_otel_result_with_score_properties_is_read(project):
    ingest_batch(project.id, [evaluation("t", **{
        "$ai_evaluation_result_type": None, "$ai_evaluation_score_label": "fail",
        "$ai_evaluation_score_value": 0.1})])
    [row] = results(project.id)
    assert (row.result_type, row.labels, row.numeric_result, row.outcome) == ("label", ["fail"], 0.1, "fail")


def test_a_legacy_offline_result_is_keyed_by_its_metric(project):
    ingest_batch(project.id, [event("$ai_evaluation", "trace_ci_771", 0, **{
        "$ai_evaluation_type": "offline", "$ai_experiment_id": "exp-1", "$ai_metric_name": "policy_compliance",
        "$ai_status": "ok", "$ai_result_type": "numeric", "$ai_score": 0.62,
        "$ai_reasoning": "Refused, but did not cite the policy.", "$ai_target_id": "trace_ci_771",
        "$ai_target_type": "trace_id"})])
    [row] = results(project.id)
    assert (row.result_type, row.numeric_result, row.outcome, row.reasoning) == (
        "numeric", 0.62, "unknown", "Refused, but did not cite the policy.")
    judge = db.session.scalar(select(Evaluation))
    assert (judge.key, judge.name, judge.runtime) == ("policy_compliance", "policy_compliance", "offline")


def test_a_retried_event_is_stored_once_and_an_evaluation_once_per_key(project):
    retried = evaluation("t", event_uuid=str(uuid.uuid4()), **{"$ai_evaluation_result": True})
    ingest_batch(project.id, [retried, retried, evaluation("t", 70, **{"$ai_evaluation_result": False})])
    ingest_batch(project.id, [retried])
    assert outcomes(project.id) == ["pass", "fail"]
    assert db.session.scalar(select(func.count()).select_from(Evaluation)) == 1


def test_the_latest_result_names_the_evaluation_and_an_event_without_id_is_keyed_by_name(project):
    ingest_batch(project.id, [evaluation("t", 100, name="Renamed judge", **{"$ai_evaluation_result": True})])
    ingest_batch(project.id, [evaluation("t", 50, name="Old name", **{"$ai_evaluation_result": True})])
    ingest_batch(project.id, [evaluation("t", 10, evaluation_id=None, name="Tone check",
                                         **{"$ai_evaluation_result": True})])
    db.session.expire_all()
    assert sorted((e.key, e.name) for e in db.session.scalars(select(Evaluation))) == [
        (JUDGE_ID, "Renamed judge"), ("Tone check", "Tone check")]


def test_results_are_recorded_in_a_fixed_number_of_statements(project, count_queries):
    def statements(size: int, offset: int) -> int:
        batch = [evaluation(f"t{offset + i}", evaluation_id=f"judge-{(offset + i) % 3}", name=f"J{i % 3}",
                            **{"$ai_evaluation_result": i % 2 == 0}) for i in range(size)]
        with count_queries() as seen:
            ingest_batch(project.id, batch)
        return len(seen)

    statements(3, 0)  # the evaluations exist from here on
    assert statements(2, 100) == statements(40, 200)
    assert len(results(project.id)) == 45


def test_results_belong_to_their_project(factory, project):
    other = factory.project()
    ingest_batch(project.id, [evaluation("t", **{"$ai_evaluation_result": True})])
    ingest_batch(other.id, [evaluation("t", **{"$ai_evaluation_result": False})])
    assert outcomes(project.id) == ["pass"] and outcomes(other.id) == ["fail"]


@pytest.mark.postgres_only
def test_concurrent_batches_add_each_evaluation_and_each_result_once(app, project):
    import threading

    project_id = project.id
    runs = [str(uuid.uuid4()) for _ in range(40)]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def send(n: int) -> None:
        with app.app_context():
            start.wait()
            try:
                for chunk in range(0, len(runs), 8):  # every thread sends every result: SDK retries racing
                    ingest_batch(project_id, [
                        evaluation(f"t{i % 7}", evaluation_id=f"judge-{i % 3}", name=f"Judge {i % 3}",
                                   event_uuid=runs[i], **{"$ai_evaluation_result": i % 2 == 0})
                        for i in range(chunk, chunk + 8)])
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(results(project_id)) == len(runs)
    assert db.session.scalar(select(func.count()).select_from(Evaluation)) == 3
