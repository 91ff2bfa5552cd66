"""Each condition means the same as traces arrive (Python, on the merged summary and the batch's events) and over
stored traces (SQL, for a backfill): a rule made before the traces arrive adds exactly what the backfill's query
finds afterwards. Traces arrive in two batches, so conditions met only by an earlier batch's events count."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import Trace
from reviewapp.services import rule_conditions
from reviewapp.services.ingest.summary import Pick, Summary
from tests.rules.helpers import JUDGE, added_by, call, ingest, judged, make_queue, make_rule

CONDITIONS = [
    {"field": "cost", "op": "gte", "value": 0.05},
    {"field": "cost", "op": "lte", "value": 0.01},
    {"field": "latency", "op": "gte", "value": 3},
    {"field": "input_tokens", "op": "gte", "value": 500},
    {"field": "output_tokens", "op": "lte", "value": 20},
    {"field": "total_tokens", "op": "gte", "value": 600},
    {"field": "error", "value": True},
    {"field": "error", "value": False},
    {"field": "model", "value": "claude-sonnet"},
    {"field": "provider", "value": "anthropic"},
    {"field": "property", "key": "plan", "value": "Enterprise"},
    {"field": "property", "key": "$ai_http_status", "value": "500"},
    {"field": "text", "value": "refund"},
    {"field": "user", "value": "alice"},
    {"field": "session", "value": "s-1"},
    {"field": "evaluation", "key": JUDGE, "value": "fail"},
    {"field": "evaluation", "key": JUDGE, "value": "pass"},
]


def first_batch():
    return [
        call("cheap", input_cost=0.001, output_cost=0.001, latency=0.5, input_tokens=10, output_tokens=5),
        call("dear", input_cost=0.04, output_cost=0.03, latency=4, input_tokens=700, output_tokens=50,
             model="claude-sonnet", **{"$ai_provider": "anthropic"}),
        call("broken", **{"$ai_is_error": True, "$ai_http_status": 500, "plan": "enterprise"}),
        call("refund", question="I want a refund", distinct_id="alice", **{"$ai_session_id": "s-1"}),
        call("judged"),
    ]


def second_batch():  # every trace gets another event, with nothing in it that any condition reads
    return [call(t, 10, input_cost=0, output_cost=0, input_tokens=0, output_tokens=0, latency=0,
                 **{"$ai_provider": "other"}) for t in ("cheap", "dear", "broken", "refund")] + [
        judged("judged", False), judged("refund", True)]


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: f"{c['field']}-{c.get('op', '')}{c['value']}")
def test_arrival_and_backfill_agree(factory, condition):
    project = factory.project()
    rule = make_rule(project.id, make_queue(project.id), [condition])
    ingest(project.id, first_batch())
    ingest(project.id, second_batch())
    clauses = rule_conditions.sql_conditions(project.id, rule_conditions.clean_conditions([condition]))
    stored = sorted(db.session.scalars(select(Trace.trace_id).where(Trace.project_id == project.id, *clauses)))
    assert added_by(rule) == stored
    assert stored, "every condition matches some trace here"


def test_a_text_term_is_found_in_one_searched_column_never_across_two():
    summary = Summary(picks={"name": Pick(2, "k", "Ends with A"), "input": Pick(2, "k", "b starts it")})

    def matches(term: str) -> bool:
        test = rule_conditions.summary_test(rule_conditions.Condition("text", "contains", term))
        return test is not None and test("trace-1", summary)

    assert matches("with a") and matches("B STARTS") and matches("trace-1")
    assert not matches("a b") and not matches("a\x00b") and not matches("with a\x00b starts")
