"""One trace: the span tree, the conversation across generations, its review and its queue."""
import time

import pytest

from reviewapp.extensions import db
from reviewapp.services import accounts, queue_items, queues, reviews, scorers, span_tree, traces
from reviewapp.services.errors import NotFound
from tests.support.blind_rows import judge, several_reviewers
from tests.traces.helpers import agent_trace, at, chain_trace, chat_trace, event, generation, root, span, store


def shape(node):
    """The tree as (kind, name, [children]) for readable assertions."""
    return (node.kind, node.name, [shape(child) for child in node.children])


def test_tree_nests_by_parent_and_hangs_orphans_under_the_root(project):
    agent_trace(project.id)
    detail = traces.get_trace(project.id, "agent-1")
    assert shape(detail.tree) == ("trace", "Weather agent", [
        ("span", "plan", [("generation", "gpt-4o", [])]),
        ("span", "get_weather", []),
        ("generation", "gpt-4o", []),
        ("generation", "gpt-4o-mini", []),  # its parent "never-sent" is missing
    ])


def test_tree_nodes_carry_model_latency_tokens_cost_and_errors(project):
    agent_trace(project.id)
    tree = traces.get_trace(project.id, "agent-1").tree
    assert (tree.latency_seconds, tree.input_tokens, tree.output_tokens) == (3.25, 280, 43)
    assert tree.total_cost_usd == pytest.approx(0.00103)
    plan_generation = tree.children[0].children[0]
    assert (plan_generation.model, plan_generation.provider, plan_generation.latency_seconds) == (
        "gpt-4o", "openai", 0.8)
    assert (plan_generation.input_tokens, plan_generation.output_tokens) == (120, 18)
    assert plan_generation.total_cost_usd == pytest.approx(0.00042)
    assert not plan_generation.is_error
    failed = tree.children[-1]
    assert (failed.is_error, failed.error, failed.http_status) == (True, "Rate limit exceeded", 429)
    tool = tree.children[1]
    assert '"temp_c": 18' in tool.output_state and tool.input_tokens is None and tool.total_cost_usd is None


def test_siblings_follow_timestamps_not_arrival_order(project):
    store(project.id, [generation("t", at(3), span_id="late", parent_id="t", model="m-late")])
    store(project.id, [generation("t", at(1), span_id="early", parent_id="t", model="m-early"),
                       generation("t", at(2), span_id="middle", parent_id="t", model="m-middle")])
    tree = traces.get_trace(project.id, "t").tree
    assert [child.name for child in tree.children] == ["m-early", "m-middle", "m-late"]


def test_without_a_root_event_the_summary_is_the_root(project):
    store(project.id, [
        span("t", at(0), "s1", span_name="retrieve", parent_id="t"),
        generation("t", at(1), parent_id="s1", input_tokens=7, output_tokens=3, total_cost_usd=0.25),
    ])
    tree = traces.get_trace(project.id, "t").tree
    assert (tree.kind, tree.name, tree.event) == ("trace", "retrieve", None)
    assert (tree.input_tokens, tree.output_tokens, tree.total_cost_usd) == (7, 3, 0.25)
    # The generation names its parent span; generations without a span id are keyed by their uuid.
    assert shape(tree) == ("trace", "retrieve", [("span", "retrieve", [("generation", "gpt-4o-mini", [])])])


def test_children_may_name_a_generation_by_its_uuid(project):
    parent = generation("t", at(0), model="parent-model")
    child = span("t", at(1), "child", span_name="post-process", parent_id=parent["uuid"])
    store(project.id, [parent, child])
    tree = traces.get_trace(project.id, "t").tree
    assert shape(tree)[2] == [("generation", "parent-model", [("span", "post-process", [])])]


def test_parent_cycles_do_not_lose_nodes(project):
    store(project.id, [
        span("t", at(0), "a", span_name="A", parent_id="b"),
        span("t", at(1), "b", span_name="B", parent_id="a"),
        span("t", at(2), "self", span_name="S", parent_id="self"),
    ])
    tree = traces.get_trace(project.id, "t").tree
    assert sorted(node.id for node in tree.walk()) == ["a", "b", "self", "t"]
    assert [child.id for child in tree.children] == ["a", "self"]
    assert [child.id for child in tree.children[0].children] == ["b"]


def test_metrics_and_feedback_are_signals_not_spans(project):
    store(project.id, [
        generation("t", at(0)),
        event("$ai_feedback", "t", at(1), feedback_text="Too long"),
        event("$ai_metric", "t", at(2), metric_name="thumbs", metric_value=1),
    ])
    detail = traces.get_trace(project.id, "t")
    assert [e.event for e in detail.signals] == ["$ai_feedback", "$ai_metric"]
    assert [node.kind for node in detail.tree.walk()] == ["trace", "generation"]
    assert [e.event for e in detail.events] == ["$ai_generation", "$ai_feedback", "$ai_metric"]


def test_conversation_adds_only_what_each_generation_brings(project):
    agent_trace(project.id)
    conversation = traces.get_trace(project.id, "agent-1").conversation
    assert [(m.role, m.source, m.new_context) for m in conversation] == [
        ("system", "input", False),
        ("user", "input", False),
        ("assistant", "output", False),
        ("tool", "input", False),
        ("assistant", "output", False),
        ("user", "input", True),  # the failing generation asked something unrelated
    ]
    call = conversation[2].parts[0]
    assert (call.kind, call.name, call.call_id) == ("tool_call", "get_weather", "call_1")
    assert call.json == '{\n  "city": "Paris",\n  "unit": "celsius"\n}'
    result = conversation[3].parts[0]
    assert (result.kind, result.call_id) == ("tool_result", "call_1")
    assert '"conditions": "light rain"' in result.json
    assert conversation[4].parts[0].text.startswith("It is **18 °C**")


def test_review_with_scores_and_queue_membership(project, factory):
    admin = factory.user(project=project, role="admin")
    chat_trace(project.id, "queued")
    chat_trace(project.id, "reviewed")
    queue = queues.create_queue(project.id, admin, "Support")
    queue_items.add_item(project.id, admin, queue.id, "queued")
    helpful = scorers.create_definition(project.id, admin, name="helpful", kind="boolean", config={})
    accuracy = scorers.create_definition(project.id, admin, name="Accuracy", kind="numeric", config={"min": 0})
    reviews.save_review(project.id, admin, trace_id="reviewed", comment="Good", scores=[
        {"definition_id": str(helpful.id), "boolean_value": True},
        {"definition_id": str(accuracy.id), "numeric_value": 4.5},
    ])

    queued = traces.get_trace(project.id, "queued")
    assert queued.review is None and queued.scores == []
    assert (queued.review_state, queued.queue_item.queue.name) == ("pending", "Support")

    done = traces.get_trace(project.id, "reviewed")
    assert (done.review_state, done.queue_item, done.review.comment) == ("reviewed", None, "Good")
    assert [(s.definition.name, s.definition_version) for s in done.scores] == [("Accuracy", 1), ("helpful", 1)]


def test_unknown_and_other_projects_traces_are_not_found(project, factory):
    other = factory.project()
    chat_trace(other.id, "theirs")
    for trace_id in ("theirs", "nothing"):
        with pytest.raises(NotFound):
            traces.get_trace(project.id, trace_id)


def test_the_trace_costs_a_fixed_number_of_queries(project, factory, count_queries):
    admin = factory.user(project=project, role="admin")
    chat_trace(project.id, "small")
    store(project.id, [root("big", at(0), "big")] + [
        generation("big", at(i / 60), span_id=f"g{i}", parent_id=f"g{i - 1}" if i else "big") for i in range(60)
    ])
    definition = scorers.create_definition(project.id, admin, name="ok", kind="boolean", config={})
    for trace_id in ("small", "big"):
        reviews.save_review(project.id, admin, trace_id=trace_id, scores=[
            {"definition_id": str(definition.id), "boolean_value": True}])

    project_id = project.id

    def queries(trace_id):
        db.session.expire_all()  # nothing cached from the other call
        with count_queries() as statements:
            detail = traces.get_trace(project_id, trace_id)
            [(s.definition.name, s.definition_version) for s in detail.scores]
        return len(statements)

    assert queries("small") == queries("big") == 6  # trace, events, review, its scores, judgments, queue item


def test_the_trace_costs_a_fixed_number_of_queries_whatever_its_judgments_and_blind_review(project, factory,
                                                                                           count_queries):
    """With several reviewers per trace the same statements whether the trace has one judgment or six; blind
    review's check is one of them (none for an admin)."""
    admin = factory.user(project=project, role="admin")
    rita = factory.user(project=project, role="reviewer")
    judges = [factory.user(project=project, role="reviewer") for _ in range(5)]
    definition = scorers.create_definition(project.id, admin, name="ok", kind="boolean", config={})
    queue = several_reviewers(queues.create_queue(project.id, admin, "Three each"), reviews_per_trace=8)
    for trace_id, others in (("small", judges[:0]), ("big", judges)):
        chat_trace(project.id, trace_id)
        item = queue_items.add_item(project.id, admin, queue.id, trace_id)
        for who in (rita, *others):
            judge(item, who, [{"definition_id": str(definition.id), "boolean_value": True}], "fine")
    members = {user.id: accounts.membership_for(user.id, project.id) for user in (admin, rita)}
    project_id = project.id

    def queries(trace_id, user_id):
        db.session.expire_all()
        with count_queries() as statements:
            detail = traces.get_trace(project_id, trace_id, membership=members[user_id])
            [(j.reviewer.email, j.queue.name, [s.definition.name for s in j.scores]) for j in detail.judgments]
        return len(statements), len(detail.judgments)

    for user_id in (admin.id, rita.id):  # she judged both, so blind review shows her all of them
        (few, few_shown), (many, many_shown) = queries("small", user_id), queries("big", user_id)
        assert (few_shown, many_shown) == (1, 6)
        assert few == many
    assert queries("big", rita.id)[0] == queries("big", admin.id)[0] + 1  # blind review's one check


@pytest.fixture
def project(factory):
    return factory.project()


def test_a_chain_10000_spans_deep_builds_in_linear_time(project):
    chain_trace(project.id, "deep", depth=10_000)
    started = time.perf_counter()
    detail = traces.get_trace(project.id, "deep")
    assert time.perf_counter() - started < 3  # it took 7 s: every node walked the whole chain up for cycles
    assert len(list(detail.tree.walk())) == 10_001
    deepest = detail.tree
    while deepest.children:
        [deepest] = deepest.children
    assert deepest.name == "step 9999"
    repr(detail.tree)  # neither repr nor == follows the children down


def test_the_page_view_of_a_deep_tree_stops_at_the_depth_cap(project):
    chain_trace(project.id, "deep", depth=50)
    view = traces.get_trace(project.id, "deep").tree_view
    assert [row.depth for row in view.rows] == list(range(span_tree.TREE_DEPTH + 1))
    last = view.rows[-1]
    assert (last.node.name, last.deeper, view.next_start, view.total, view.path) == (
        f"step {span_tree.TREE_DEPTH - 1}", 50 - span_tree.TREE_DEPTH, None, 51, [])
    assert [row.closes for row in view.rows] == [0] * span_tree.TREE_DEPTH + [span_tree.TREE_DEPTH]

    focused = traces.get_trace(project.id, "deep", focus="s20").tree_view
    assert (focused.top.name, focused.rows[0].node.name, focused.total) == ("step 20", "step 20", 30)
    assert [node.name for node in focused.path[:2]] == ["Deep chain", "step 0"] and len(focused.path) == 21
    assert traces.get_trace(project.id, "deep", focus="no-such-span").tree_view.top.name == "Deep chain"


def test_a_wide_tree_lists_tree_nodes_rows_at_a_time(project):
    store(project.id, [root("wide", at(0), "Wide")] + [
        span("wide", at(i / 1000), f"s{i}", parent_id="wide") for i in range(span_tree.TREE_NODES + 20)])
    view = traces.get_trace(project.id, "wide").tree_view
    assert (len(view.rows), view.listed, view.next_start, view.previous_start) == (
        span_tree.TREE_NODES, span_tree.TREE_NODES + 21, span_tree.TREE_NODES, None)
    assert view.rows[-1].closes == 1

    # The next page starts inside the root's children: they are indented from the first of them.
    later = traces.get_trace(project.id, "wide", start=span_tree.TREE_NODES).tree_view
    expected = [f"s{i}" for i in range(span_tree.TREE_NODES - 1, span_tree.TREE_NODES + 20)]
    assert [row.node.id for row in later.rows] == expected
    assert (later.lead, later.rows[0].depth, later.next_start, later.previous_start) == (0, 0, None, 0)
    assert traces.get_trace(project.id, "wide", start=10**30).tree_view.start == span_tree.TREE_NODES + 20


def test_a_later_page_can_start_deep_and_climb(project):
    store(project.id, [root("t", at(0), "T"), span("t", at(0.1), "a", parent_id="t"),
                       span("t", at(0.2), "b", parent_id="a"), span("t", at(0.3), "c", parent_id="t")])
    view = span_tree.tree_view(traces.get_trace(project.id, "t").tree, start=2)
    assert [(row.node.id, row.depth, row.opens, row.closes) for row in view.rows] == [
        ("b", 1, False, 1), ("c", 0, False, 0)]
    assert view.lead == 1


def test_the_first_rows_close_every_list_and_the_rest_indent_from_the_same_top(project):
    """The review page paints a long tree's first rows, then fetches the others: both are indented from the trace's
    top, so the later rows land at their own depth under the gap of their ancestors."""
    store(project.id, [root("t", at(0), "T"), span("t", at(0.1), "a", parent_id="t"),
                       span("t", at(0.2), "b", parent_id="a"), span("t", at(0.3), "c", parent_id="b"),
                       span("t", at(0.4), "d", parent_id="t")])
    view = traces.get_trace(project.id, "t").tree_view
    head = view.head(3)
    assert [(row.node.id, row.depth, row.opens, row.closes) for row in head] == [
        ("t", 0, True, 0), ("a", 1, True, 0), ("b", 2, False, 2)]
    assert [(row.opens, row.closes) for row in view.rows[:3]] == [(True, 0), (True, 0), (True, 0)]  # untouched
    later = span_tree.tree_view(traces.get_trace(project.id, "t").tree, start=3, base=0)
    assert [(row.node.id, row.depth, row.opens, row.closes) for row in later.rows] == [
        ("c", 3, False, 2), ("d", 1, False, 1)]
    assert later.lead == 3
