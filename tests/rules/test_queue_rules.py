"""Queue rules fill queues as traces arrive: a trace whose merged summary meets every condition is added, once per
rule, in the sampled share, within the daily cap, never while pending elsewhere or once reviewed."""
from __future__ import annotations

import pytest

from reviewapp.services import queue_items, queue_rules, reviews
from tests.rules.helpers import JUDGE, added_by, call, ingest, judged, make_queue, make_rule, pending_in


@pytest.fixture
def project(factory):
    return factory.project()


@pytest.fixture
def support(project):
    return make_queue(project.id)


def test_a_trace_is_added_when_the_batch_that_makes_it_match_arrives(project, support):
    rule = make_rule(project.id, support, [{"field": "cost", "op": "gte", "value": 0.05}])
    ingest(project.id, [call("t1", input_cost=0.01, output_cost=0.01)])
    assert pending_in(support) == []
    ingest(project.id, [call("t1", 5, input_cost=0.02, output_cost=0.02)])  # the summary now costs 0.06
    assert pending_in(support) == ["t1"] and added_by(rule) == ["t1"]
    [addition] = queue_rules.list_additions(project.id, rule.id)[0]
    assert addition.source == "ingest" and addition.item_id is not None


def test_a_trace_is_added_once_per_rule_even_after_it_left_the_queue(project, support):
    rule = make_rule(project.id, support, [{"field": "error", "value": True}])
    ingest(project.id, [call("t1", **{"$ai_is_error": True})])
    item = queue_items.pending_item_for_trace(project.id, "t1")
    queue_items.remove_item(project.id, None, item.id)
    ingest(project.id, [call("t1", 5, **{"$ai_is_error": True})])
    assert pending_in(support) == [] and added_by(rule) == ["t1"]


def test_a_trace_pending_elsewhere_or_reviewed_is_never_added(project, support, factory):
    other = make_queue(project.id, "Other")
    rule = make_rule(project.id, support)
    queue_items.add_item(project.id, None, other.id, "pending-elsewhere")
    reviews.save_review(project.id, factory.user(project=project), trace_id="reviewed", comment="Fine.")
    ingest(project.id, [call("pending-elsewhere"), call("reviewed"), call("fresh")])
    assert pending_in(support) == ["fresh"] and pending_in(other) == ["pending-elsewhere"]
    assert added_by(rule) == ["fresh"]


def test_sampling_is_decided_by_the_trace_id_and_repeatable(project, support):
    rule = make_rule(project.id, support, sample_percent=10)
    ids = [f"trace-{n:03}" for n in range(300)]
    ingest(project.id, [call(t) for t in ids])
    expected = sorted(t for t in ids if queue_rules.sampled_in(rule.id, t, 10))
    assert added_by(rule) == expected
    assert 15 <= len(expected) <= 50  # about 10% of 300
    # Decided per (rule, trace): asked again, the answer is the same; another rule samples other traces.
    assert [queue_rules.sampled_in(rule.id, t, 10) for t in ids] == [t in expected for t in ids]
    other = make_rule(project.id, make_queue(project.id, "B"), sample_percent=10)
    assert {t for t in ids if queue_rules.sampled_in(other.id, t, 10)} != set(expected)


def test_the_daily_cap_stops_additions_for_the_day(project, support):
    rule = make_rule(project.id, support, daily_cap=3)
    ingest(project.id, [call(f"t{n}") for n in range(5)])
    ingest(project.id, [call(f"u{n}") for n in range(5)])
    assert len(added_by(rule)) == 3
    stats = queue_rules.stats([rule.id])[rule.id]
    assert (stats.added, stats.added_today) == (3, 3)
    assert queue_rules.preview(project.id, rule.id).would_add == 0


def test_a_paused_rule_adds_nothing_until_resumed(project, support):
    rule = make_rule(project.id, support, paused=True)
    ingest(project.id, [call("while-paused")])
    queue_rules.update_rule(project.id, None, rule.id, {"paused": False})
    ingest(project.id, [call("after")])
    assert added_by(rule) == ["after"]


def test_of_two_rules_matching_a_trace_the_older_one_adds_it(project, support):
    first = make_rule(project.id, support, [{"field": "model", "value": "gpt-4o-mini"}])
    second = make_rule(project.id, make_queue(project.id, "Second"), [{"field": "error", "value": False}])
    ingest(project.id, [call("t1")])
    assert (added_by(first), added_by(second)) == (["t1"], [])


def test_the_older_rule_adds_the_trace_also_when_only_stored_events_tell_it_matches(project, support):
    """The older rule's property is in an earlier batch (the database settles it), the newer one's condition in the
    summary: the older still wins."""
    older = make_rule(project.id, support, [{"field": "property", "key": "plan", "value": "enterprise"},
                                            {"field": "cost", "value": 0.01}])
    newer = make_rule(project.id, make_queue(project.id, "Second"), [{"field": "cost", "value": 0.01}])
    ingest(project.id, [call("t1", input_cost=0, output_cost=0, plan="enterprise")])
    ingest(project.id, [call("t1", 5, input_cost=0.01, output_cost=0.01)])
    assert (added_by(older), added_by(newer)) == (["t1"], [])


def test_a_judge_failure_sends_the_trace_to_the_queue(project, support):
    rule = make_rule(project.id, support, [{"field": "evaluation", "key": JUDGE, "value": "fail"}])
    ingest(project.id, [call("good"), call("bad"), call("late")])
    ingest(project.id, [judged("good", True), judged("bad", False)])
    assert added_by(rule) == ["bad"]
    ingest(project.id, [call("new-and-judged"), judged("new-and-judged", False)])  # one batch
    ingest(project.id, [judged("late", False)])
    assert added_by(rule) == ["bad", "late", "new-and-judged"]


def test_provider_and_property_are_read_from_earlier_batches_too(project, support):
    rule = make_rule(project.id, support, [
        {"field": "provider", "value": "Anthropic"}, {"field": "property", "key": "plan", "value": "enterprise"},
        {"field": "cost", "value": 0.01}])
    ingest(project.id, [call("t1", input_cost=0, output_cost=0, **{"$ai_provider": "anthropic", "plan": "enterprise"})])
    assert added_by(rule) == []  # costs nothing yet
    ingest(project.id, [call("t1", 5, input_cost=0.01, output_cost=0.01, **{"$ai_provider": "openai"})])
    assert added_by(rule) == ["t1"]


def test_a_judges_provider_is_not_the_traces(project, support):
    rule = make_rule(project.id, support, [{"field": "provider", "value": "judge-provider"}])
    ingest(project.id, [call("t1"), judged("t1", False)])
    assert added_by(rule) == []


def test_ingestion_with_rules_that_match_nothing_costs_one_statement(project, support, count_queries):
    for n in range(20):
        make_rule(project.id, support, [{"field": "cost", "value": 1000 + n}])
    batch = [call(f"t{n}") for n in range(50)]
    with count_queries() as without_match:
        ingest(project.id, batch)
    queue_rules.update_rule(project.id, None, queue_rules.list_rules(project.id)[0][0].id, {"paused": True})
    with count_queries() as with_one_rule_query:
        ingest(project.id, [call(f"u{n}") for n in range(50)])
    assert len(without_match) == len(with_one_rule_query)
    assert sum("queue_rules" in s for s in without_match) == 1


def test_a_backfill_previews_then_adds_what_arrival_would_have(project, support):
    ingest(project.id, [call(f"cheap{n}") for n in range(3)] + [call(f"dear{n}", input_cost=1) for n in range(4)])
    queue_items.add_item(project.id, None, make_queue(project.id, "Elsewhere").id, "dear0")
    rule = make_rule(project.id, support, [{"field": "cost", "value": 0.5}], daily_cap=2)
    preview = queue_rules.preview(project.id, rule.id)
    assert (preview.matching, preview.sampled, preview.addable, preview.would_add) == (4, 4, 3, 2)
    assert queue_rules.backfill(project.id, None, rule.id) == 2
    assert queue_rules.backfill(project.id, None, rule.id) == 0  # the cap is spent for today
    assert len(added_by(rule)) == 2 and all(t.startswith("dear") for t in added_by(rule))


def test_a_rule_takes_a_trace_when_a_batch_makes_a_condition_hold(project, support):
    ingest(project.id, [call("before-the-rule", **{"$ai_is_error": True})])
    rule = make_rule(project.id, support, [{"field": "error", "value": True}])
    # Already an error before the rule existed: a later batch changes nothing the rule reads, the backfill takes it.
    ingest(project.id, [call("before-the-rule", 5)])
    assert added_by(rule) == []
    ingest(project.id, [call("turns-bad")])
    ingest(project.id, [call("turns-bad", 5, **{"$ai_is_error": True})])
    assert added_by(rule) == ["turns-bad"]
    assert queue_rules.backfill(project.id, None, rule.id) == 1
