"""The per-trace summary kept on ingest: sums, picks, latency, errors, previews, and that arrival order does
not change it."""
from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent, TraceModel
from reviewapp.services.ingest.posthog import ingest_batch
from tests.conftest import IS_POSTGRES
from tests.ingest.builders import T0, event, generation, root, span


@pytest.fixture
def project(factory):
    return factory.project()


def trace_row(project_id: int, trace_id: str) -> Trace:
    db.session.expire_all()
    return db.session.scalar(select(Trace).where(Trace.project_id == project_id, Trace.trace_id == trace_id))


def summary_of(row: Trace) -> dict:
    skip = {"id", "project_id", "updated_at", "_sa_instance_state"}
    return {k: v for k, v in vars(row).items() if k not in skip}


def test_sums_counts_and_models(project):
    ingest_batch(project.id, [
        generation("t", 0, model="gpt-4o", input_tokens=100, output_tokens=10, input_cost=0.01, output_cost=0.02),
        generation("t", 5, model="claude-3-5-sonnet", input_tokens=50, output_tokens=5,
                   **{"$ai_total_cost_usd": 0.5}),
        generation("t", 9, model="gpt-4o", input_tokens=1, output_tokens=1, input_cost=0, output_cost=0),
        event("$ai_embedding", "t", 1, **{"$ai_model": "text-embedding-3-small", "$ai_input_tokens": 7,
                                          "$ai_total_cost_usd": 0.0001}),
        span("t", 2, **{"$ai_input_tokens": 1000}),  # spans carry no spend of their own
    ])
    row = trace_row(project.id, "t")
    assert row.event_count == 5
    assert row.generation_count == 3
    assert row.input_tokens == 158
    assert row.output_tokens == 16
    assert row.total_cost_usd == pytest.approx(0.5301)
    assert row.models == ["claude-3-5-sonnet", "gpt-4o", "text-embedding-3-small"]
    assert row.first_timestamp == T0
    assert row.last_timestamp == T0 + timedelta(seconds=9)
    assert row.has_root is False
    models = db.session.scalars(select(TraceModel.model).where(TraceModel.trace_id == "t").order_by(TraceModel.model))
    assert list(models) == ["claude-3-5-sonnet", "gpt-4o", "text-embedding-3-small"]


def test_root_gives_name_latency_session_and_previews(project):
    ingest_batch(project.id, [
        generation("t", 1, question="first question", answer="first answer"),
        root("t", 0, name="checkout assistant", latency=12.5, distinct_id="customer-7",
             **{"$ai_session_id": "sess-1", "$ai_input_state": {"question": "Where is my order?"},
                "$ai_output_state": "It ships tomorrow."}),
        generation("t", 3, question="second question", answer="second answer", distinct_id="someone-else"),
    ])
    row = trace_row(project.id, "t")
    assert row.name == "checkout assistant"
    assert row.has_root is True
    assert row.latency_seconds == 12.5
    assert row.session_id == "sess-1"
    assert row.distinct_id == "customer-7"
    assert row.input_preview == '{"question":"Where is my order?"}'
    assert row.output_preview == "It ships tomorrow."


def test_without_root_the_trace_is_still_complete(project):
    ingest_batch(project.id, [
        generation("t", 0, question="How do I reset my password?", answer="Click 'forgot password'.",
                   latency=2.0, **{"$ai_span_name": "answer", "$ai_session_id": "s-9"}),
        generation("t", 10, question="And my username?", answer="Your username is your email.", latency=3.0),
    ])
    row = trace_row(project.id, "t")
    assert row.has_root is False
    assert row.name == "answer"
    assert row.session_id == "s-9"
    assert row.input_preview == "How do I reset my password?"  # the first generation's last user message
    assert row.output_preview == "Your username is your email."  # the last generation's output
    assert row.latency_seconds == 13.0  # last end (10 + 3) minus first start (0)


def test_root_without_states_keeps_the_generation_previews(project):
    ingest_batch(project.id, [root("t", 0, latency=None), generation("t", 1, question="q?", answer="a.")])
    row = trace_row(project.id, "t")
    assert (row.input_preview, row.output_preview) == ("q?", "a.")
    assert row.latency_seconds == pytest.approx(2.5)  # no root latency: end (1 + 1.5) minus start (0)


def test_previews_are_short_plain_text(project):
    long_question = "Please help. " + "word " * 200
    ingest_batch(project.id, [generation(
        "t", 0, question=long_question,
        **{"$ai_output_choices": [{"role": "assistant", "content": None, "tool_calls": [
            {"type": "function", "function": {"name": "lookup_order", "arguments": '{"id": 42}'}}]}]},
    )])
    row = trace_row(project.id, "t")
    assert len(row.input_preview) == 300
    assert row.input_preview.startswith("Please help. word word")
    assert row.input_preview.endswith("…")
    assert row.output_preview == '[tool call] lookup_order({"id": 42})'


def test_input_preview_takes_text_parts_of_multimodal_content(project):
    content = [{"type": "text", "text": "What is in this picture?"},
               {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]
    ingest_batch(project.id, [generation("t", **{"$ai_input": [{"role": "user", "content": content}]})])
    assert trace_row(project.id, "t").input_preview == "What is in this picture? [image]"


@pytest.mark.parametrize("props, expected", [
    ({"$ai_is_error": True}, True),
    ({"$ai_error": "RateLimitError: slow down"}, True),
    ({"$ai_http_status": 500}, True),
    ({"$ai_http_status": 429}, True),
    ({"$ai_http_status": 200}, False),
    ({"$ai_is_error": False, "$ai_error": None}, False),
])
def test_error_flag(project, props, expected):
    ingest_batch(project.id, [generation("t", 0), span("t", 1, **props)])
    assert trace_row(project.id, "t").has_error is expected


def test_raw_events_and_tree_links_are_kept_whole(project):
    child = generation("t", 2, **{"$ai_span_id": "gen-1", "$ai_parent_id": "span-1", "$ai_tools": [{"name": "x"}],
                                  "custom": {"nested": [1, 2, 3]}})
    ingest_batch(project.id, [root("t"), span("t", 1, **{"$ai_span_id": "span-1", "$ai_parent_id": "t"}),
                                     child])
    rows = {e.event: e for e in db.session.scalars(select(TraceEvent).where(TraceEvent.trace_id == "t"))}
    assert rows["$ai_trace"].span_id == "t"  # the root is the node its children name by the trace id
    assert (rows["$ai_span"].span_id, rows["$ai_span"].parent_id) == ("span-1", "t")
    generation_row = rows["$ai_generation"]
    assert (generation_row.span_id, generation_row.parent_id) == ("gen-1", "span-1")
    assert generation_row.properties == child["properties"]
    assert generation_row.uuid == child["uuid"]
    assert generation_row.distinct_id == "user-1"
    assert generation_row.timestamp == T0 + timedelta(seconds=2)


def scenario(trace_id: str) -> list[dict]:
    return [
        root(trace_id, 0, name="agent run", latency=None, **{"$ai_session_id": "s-1",
                                                             "$ai_input_state": "Book a table for two"}),
        span(trace_id, 1, name="plan", latency=0.2, **{"$ai_span_id": "plan"}),
        generation(trace_id, 2, question="Book a table", answer="Calling the booking tool", model="gpt-4o",
                   **{"$ai_parent_id": "plan"}),
        span(trace_id, 4, name="book_table", latency=1.0, **{"$ai_error": "timeout", "$ai_span_id": "tool"}),
        generation(trace_id, 6, question="It failed", answer="Sorry, I could not book it", model="gpt-4o-mini",
                   latency=2.25),
        event("$ai_metric", trace_id, 30, **{"$ai_metric_name": "thumbs", "$ai_metric_value": 0}),
    ]


def test_out_of_order_and_late_events_give_the_same_summary(factory):
    in_order, one_by_one, shuffled = factory.project(), factory.project(), factory.project()
    events = scenario("t")
    ingest_batch(in_order.id, events)
    for item in reversed(events):
        ingest_batch(one_by_one.id, [item])
    mixed = events[:]
    random.Random(7).shuffle(mixed)
    ingest_batch(shuffled.id, mixed[:2])
    ingest_batch(shuffled.id, mixed[2:])

    expected = summary_of(trace_row(in_order.id, "t"))
    assert summary_of(trace_row(one_by_one.id, "t")) == expected
    assert summary_of(trace_row(shuffled.id, "t")) == expected
    assert expected["latency_seconds"] == 30.0  # the metric at +30 s is the last end
    assert expected["has_error"] is True
    assert expected["output_preview"] == "Sorry, I could not book it"
    assert expected["input_preview"] == "Book a table for two"
    assert expected["event_count"] == 6


def test_late_root_overrides_the_fallbacks(project):
    ingest_batch(project.id, [generation("t", 1, question="q", answer="a", **{"$ai_span_name": "llm"})])
    assert trace_row(project.id, "t").name == "llm"
    ingest_batch(project.id, [root("t", 0, name="real name", latency=9.0,
                                          **{"$ai_output_state": {"reply": "final"}})])
    row = trace_row(project.id, "t")
    assert (row.name, row.latency_seconds, row.output_preview, row.input_preview) == (
        "real name", 9.0, '{"reply":"final"}', "q")


def test_statement_count_does_not_grow_with_the_batch(project, count_queries):
    def batch(size: int, offset: int) -> list[dict]:
        return [generation(f"t-{offset + i // 4}", i) for i in range(size)]

    project_id = project.id
    ingest_batch(project_id, batch(8, 0) + batch(8, 100))  # some traces exist before the measured batches
    with count_queries() as small:
        ingest_batch(project_id, batch(8, 0) + batch(8, 500))
    with count_queries() as large:
        ingest_batch(project_id, batch(400, 100) + batch(400, 1000))
    # insert events, insert new traces, lock known traces, update them, record models, load the active queue rules;
    # PostgreSQL first makes sure its staging table exists and copies the events there (a COPY through the driver,
    # not counted here)
    assert len(small) == len(large) == (7 if IS_POSTGRES else 6), [statement[:60] for statement in large]


@pytest.mark.postgres_only
def test_concurrent_batches_for_one_trace_lose_and_double_count_nothing(app, project):
    assert IS_POSTGRES
    project_id = project.id
    threads, errors = 8, []
    shared = [generation("t", 0, input_tokens=1000)]  # every thread also retries this one event
    batches = [shared + [generation("t", n * 10 + i, input_tokens=1, output_tokens=2) for i in range(10)]
               for n in range(threads)]
    barrier = threading.Barrier(threads)

    def send(batch):
        with app.app_context():
            try:
                barrier.wait()
                ingest_batch(project_id, batch)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=send, args=(batch,)) for batch in batches]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    row = trace_row(project_id, "t")
    assert row.event_count == 1 + threads * 10
    assert row.input_tokens == 1000 + threads * 10
    assert row.output_tokens == 20 + threads * 20
    assert db.session.scalar(select(TraceEvent.id).where(TraceEvent.trace_id == "t").limit(1)) is not None


@pytest.mark.postgres_only
def test_concurrent_batches_over_many_shared_traces_do_not_deadlock(app, project):
    project_id = project.id
    trace_ids = [f"t-{i}" for i in range(20)]
    errors = []
    barrier = threading.Barrier(4)

    def send(seed: int):
        order = trace_ids[:]
        random.Random(seed).shuffle(order)
        with app.app_context():
            try:
                barrier.wait()
                for round_ in range(3):
                    ingest_batch(project_id, [generation(t, seed * 100 + round_) for t in order])
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=send, args=(seed,)) for seed in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    rows = db.session.scalars(select(Trace).where(Trace.project_id == project_id)).all()
    assert sorted(r.event_count for r in rows) == [12] * 20
