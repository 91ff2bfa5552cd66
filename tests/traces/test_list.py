"""The traces list: each filter, each order, review states, pagination and a fixed number of queries."""
import pytest

from reviewapp.services import queue_items, queues, reviews, traces
from reviewapp.services.errors import ValidationError
from tests.traces.helpers import at, chat_trace, generation, store


def ids(rows):
    return [row.trace.trace_id for row in rows]


@pytest.fixture
def project(factory):
    return factory.project()


@pytest.fixture
def admin(factory, project):
    return factory.user(project=project, role="admin")


def test_newest_first_by_default_and_only_this_project(factory, project):
    other = factory.project()
    chat_trace(project.id, "old", minutes=0)
    chat_trace(project.id, "new", minutes=10)
    chat_trace(other.id, "elsewhere", minutes=5)
    rows, count = traces.list_traces(project.id)
    assert ids(rows) == ["new", "old"]
    assert count == 2


@pytest.mark.parametrize("term, expected", [
    ("CHECKOUT", ["checkout-42"]),  # trace id, any case
    ("refund bot", ["named"]),  # name
    ("capital of peru", ["asks"]),  # input preview
    ("lima is", ["asks"]),  # output preview
    ("customer-9", ["by-user"]),  # distinct id
    ("no such thing", []),
])
def test_search_matches_id_name_previews_and_user(project, term, expected):
    chat_trace(project.id, "checkout-42")
    chat_trace(project.id, "named", name="Refund bot")
    chat_trace(project.id, "asks", question="What is the capital of Peru?", answer="Lima is the capital.")
    chat_trace(project.id, "by-user", distinct_id="customer-9")
    rows, count = traces.list_traces(project.id, search=term)
    assert ids(rows) == expected
    assert count == len(expected)


def test_search_treats_like_wildcards_literally(project):
    chat_trace(project.id, "a_b")
    chat_trace(project.id, "axb")
    chat_trace(project.id, "100%")
    chat_trace(project.id, "1000")
    assert ids(traces.list_traces(project.id, search="a_b")[0]) == ["a_b"]
    assert ids(traces.list_traces(project.id, search="100%")[0]) == ["100%"]


def test_model_filter_is_exact_and_sees_every_generation(factory, project):
    store(project.id, [
        generation("mixed", at(0), model="gpt-4o"),
        generation("mixed", at(1), model="claude-3-5-sonnet"),
        generation("mixed", at(2), model="gpt-4o"),
    ])
    chat_trace(project.id, "mini", model="gpt-4o-mini", minutes=2)
    chat_trace(factory.project().id, "elsewhere", model="gpt-4o")
    assert [(ids(rows), count) for rows, count in (
        traces.list_traces(project.id, model="claude-3-5-sonnet"),
        traces.list_traces(project.id, model="gpt-4o"),  # two gpt-4o generations, one trace
        traces.list_traces(project.id, model="gpt-4o-mini"),
        traces.list_traces(project.id, model="gpt"),
    )] == [(["mixed"], 1), (["mixed"], 1), (["mini"], 1), ([], 0)]
    assert traces.model_names(project.id) == ["claude-3-5-sonnet", "gpt-4o", "gpt-4o-mini"]


def test_model_names_are_each_model_once_in_order_and_only_this_projects(factory, project):
    assert traces.model_names(project.id) == []
    for n, model in enumerate(["gpt-4o", "claude-3-haiku", "gpt-4o", "o1", "claude-3-haiku", "gpt-4o"]):
        chat_trace(project.id, f"t{n}", minutes=n, model=model)
    chat_trace(factory.project().id, "elsewhere", model="mistral-large")
    assert traces.model_names(project.id) == ["claude-3-haiku", "gpt-4o", "o1"]


def test_date_range_includes_the_whole_last_day(project):
    day = 24 * 60
    chat_trace(project.id, "day1", minutes=0)  # 2025-03-10 09:00
    chat_trace(project.id, "day2-late", minutes=day + 14 * 60)  # 2025-03-11 23:00
    chat_trace(project.id, "day3", minutes=2 * day)  # 2025-03-12 09:00
    assert ids(traces.list_traces(project.id, date_from="2025-03-11")[0]) == ["day3", "day2-late"]
    assert ids(traces.list_traces(project.id, date_to="2025-03-11")[0]) == ["day2-late", "day1"]
    assert ids(traces.list_traces(project.id, date_from="2025-03-11", date_to="2025-03-11")[0]) == ["day2-late"]
    # Date-times are exact bounds, with their offset honoured.
    assert ids(traces.list_traces(project.id, date_from="2025-03-10T09:00:01Z")[0]) == ["day3", "day2-late"]
    assert ids(traces.list_traces(project.id, date_to="2025-03-10T10:00:00+01:00")[0]) == ["day1"]


@pytest.mark.parametrize("attr, value", [("date_from", "yesterday"), ("date_to", "2025-13-01"),
                                         ("date_from", "2025-02-30T00:00:00")])
def test_bad_dates_are_refused_on_their_field(project, attr, value):
    with pytest.raises(ValidationError) as refusal:
        traces.list_traces(project.id, **{attr: value})
    assert refusal.value.attr == attr
    assert refusal.value.detail == traces.BAD_TIME


def test_an_end_before_the_start_is_refused(project):
    with pytest.raises(ValidationError) as refusal:
        traces.list_traces(project.id, date_from="2025-03-12", date_to="2025-03-11")
    assert (refusal.value.attr, refusal.value.detail) == ("date_to", "The end of the date range is before its start.")


def test_errors_only(project):
    chat_trace(project.id, "fine")
    chat_trace(project.id, "broken", error=True, minutes=1)
    rows, count = traces.list_traces(project.id, errors_only=True)
    assert ids(rows) == ["broken"] and count == 1
    assert rows[0].trace.has_error


def test_review_states(project, admin):
    for trace_id in ("idle", "waiting", "done", "done-then-removed"):
        chat_trace(project.id, trace_id)
    queue = queues.create_queue(project.id, admin, "Support")
    queue_items.add_item(project.id, admin, queue.id, "waiting")
    queue_items.add_item(project.id, admin, queue.id, "done")
    reviews.save_review(project.id, admin, trace_id="done", comment="fine")  # completes the item
    removed = queue_items.add_item(project.id, admin, queue.id, "done-then-removed")
    queue_items.remove_item(project.id, admin, removed.id)

    def state(name):
        rows, count = traces.list_traces(project.id, review_state=name, order="first_timestamp")
        assert count == len(rows)
        return rows

    pending = state("pending")
    assert ids(pending) == ["waiting"]
    assert (pending[0].review_state, pending[0].queue_name, pending[0].queue_id) == ("pending", "Support", queue.id)
    reviewed = state("reviewed")
    assert ids(reviewed) == ["done"] and reviewed[0].review_state == "reviewed" and reviewed[0].queue_name is None
    assert sorted(ids(state("not_queued"))) == ["done-then-removed", "idle"]
    everything = {row.trace.trace_id: row.review_state for row in traces.list_traces(project.id)[0]}
    assert everything == {"idle": "not_queued", "waiting": "pending", "done": "reviewed",
                          "done-then-removed": "not_queued"}


def test_a_deleted_queue_no_longer_holds_its_traces(project, admin):
    chat_trace(project.id, "t")
    queue = queues.create_queue(project.id, admin, "Temp")
    queue_items.add_item(project.id, admin, queue.id, "t")
    queues.delete_queue(project.id, admin, queue.id)
    assert ids(traces.list_traces(project.id, review_state="not_queued")[0]) == ["t"]


def test_an_unknown_review_state_is_refused(project):
    with pytest.raises(ValidationError) as refusal:
        traces.list_traces(project.id, review_state="done")
    assert (refusal.value.attr, refusal.value.code, refusal.value.detail) == (
        "review_state", "invalid_choice", '"done" is not a valid choice.')


@pytest.mark.parametrize("order, expected", [
    ("first_timestamp", ["a", "b", "c"]),
    ("-first_timestamp", ["c", "b", "a"]),
    ("-total_cost_usd", ["b", "c", "a"]),
    ("total_cost_usd", ["a", "c", "b"]),
    ("-latency_seconds", ["c", "a", "b"]),
    ("-input_tokens", ["a", "b", "c"]),
    ("last_timestamp", ["a", "b", "c"]),
])
def test_orders(project, order, expected):
    chat_trace(project.id, "a", minutes=0, cost=0.001, latency=2.0, input_tokens=300)
    chat_trace(project.id, "b", minutes=1, cost=0.5, latency=0.1, input_tokens=200)
    chat_trace(project.id, "c", minutes=2, cost=0.02, latency=9.0, input_tokens=100)
    assert ids(traces.list_traces(project.id, order=order)[0]) == expected


def test_an_unknown_order_is_refused(project):
    with pytest.raises(ValidationError) as refusal:
        traces.list_traces(project.id, order="-name")
    assert (refusal.value.attr, refusal.value.code) == ("order_by", "invalid_choice")


def test_filters_combine(project, admin):
    chat_trace(project.id, "x-err", error=True, model="gpt-4o")
    chat_trace(project.id, "x-ok", model="gpt-4o", minutes=1)
    chat_trace(project.id, "y-err", error=True, model="claude", minutes=2)
    queue = queues.create_queue(project.id, admin, "Q")
    queue_items.add_item(project.id, admin, queue.id, "x-err")
    rows, count = traces.list_traces(project.id, search="x-", model="gpt-4o", errors_only=True,
                                     review_state="pending")
    assert ids(rows) == ["x-err"] and count == 1


def test_pagination_pages_through_everything_once(project):
    for n in range(7):
        chat_trace(project.id, f"t{n}", minutes=n)
    seen = []
    for offset in (0, 3, 6):
        rows, count = traces.list_traces(project.id, limit=3, offset=offset)
        assert count == 7
        seen += ids(rows)
    assert seen == [f"t{n}" for n in reversed(range(7))]
    assert traces.list_traces(project.id, limit=3, offset=9) == ([], 7)


def _seed(project, user, n):
    queue = queues.create_queue(project.id, user, f"Queue {n}")
    for i in range(n):
        trace_id = chat_trace(project.id, f"n{n}-{i}", minutes=i, model=f"model-{i % 3}")
        if i % 3 == 1:
            queue_items.add_item(project.id, user, queue.id, trace_id)
        elif i % 3 == 2:
            reviews.save_review(project.id, user, trace_id=trace_id, comment="ok")


def test_query_count_does_not_grow_with_the_page(factory, count_queries):
    small, big = factory.project(), factory.project()
    _seed(small, factory.user(project=small), 1)
    _seed(big, factory.user(project=big), 50)

    def queries(project_id, **filters):
        with count_queries() as statements:
            rows, _ = traces.list_traces(project_id, limit=100, **filters)
            for row in rows:  # everything a page shows must already be loaded
                _ = (row.trace.name, row.trace.models, row.review_state, row.queue_name)
        return len(statements), len(rows)

    assert queries(small.id) == (2, 1)
    assert queries(big.id) == (2, 50)
    assert queries(small.id, review_state="pending", model="model-1", search="n") == (2, 0)
    assert queries(big.id, review_state="pending", model="model-1", search="n") == (2, 17)
