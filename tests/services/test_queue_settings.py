"""A queue's review settings: reviewers per trace (1–10, lowered no further than the judgments already in),
blind review, the numeric tolerance as an exact decimal, and assignees who must review in the project."""
from __future__ import annotations

from decimal import Decimal

import pytest

from reviewapp.extensions import db
from reviewapp.services import queue_settings, queues
from reviewapp.services.errors import ValidationError
from tests.support import judgment_rows


@pytest.fixture
def team(factory):
    project = factory.project()
    admin = factory.user(project=project, role="admin", first_name="Ada")
    rita = factory.user(project=project, role="reviewer", first_name="Rita")
    vic = factory.user(project=project, role="viewer")
    stranger = factory.user(project=factory.project(), role="reviewer")
    return project, admin, rita, vic, stranger


def refusal(call) -> tuple[str | None, str]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.attr, caught.value.detail


def test_a_new_queue_has_one_reviewer_per_trace_no_blind_no_tolerance_and_no_assignees(team):
    project, admin, *_ = team
    queue = queues.create_queue(project.id, admin, "Inbox")
    assert (queue.reviews_per_trace, queue.blind, queue.numeric_tolerance, queue.assignees) == (1, False, None, [])


def test_settings_are_stored_on_create_and_update(team):
    project, admin, rita, *_ = team
    queue = queues.create_queue(project.id, admin, "Panel", settings={
        "reviews_per_trace": 3, "blind": True, "numeric_tolerance": "0.5",
        "assignee_ids": [rita.id, admin.id, rita.id]})
    db.session.expire_all()
    assert queue.reviews_per_trace == 3 and queue.blind is True
    assert queue.numeric_tolerance == Decimal("0.5")
    assert queue_settings.assignee_ids(queue) == sorted([rita.id, admin.id])
    queues.update_queue(project.id, admin, queue.id, {"blind": False, "numeric_tolerance": None, "assignee_ids": []})
    db.session.expire_all()
    assert (queue.reviews_per_trace, queue.blind, queue.numeric_tolerance, queue.assignees) == (3, False, None, [])


@pytest.mark.parametrize("raw, detail", [
    (0, "Ensure this value is greater than or equal to 1."),
    (11, "Ensure this value is less than or equal to 10."),
    (2.5, "A valid integer is required."),
    ("two", "A valid integer is required."),
    (True, "A valid integer is required."),
    (None, "This field may not be null."),
])
def test_reviews_per_trace_is_a_whole_number_from_1_to_10(team, raw, detail):
    project, admin, *_ = team
    assert refusal(lambda: queues.create_queue(project.id, admin, "Q", settings={"reviews_per_trace": raw})) == (
        "reviews_per_trace", detail)


def test_reviews_per_trace_reads_whole_numbers_as_text_or_floats(team):
    project, admin, *_ = team
    assert queues.create_queue(project.id, admin, "A", settings={"reviews_per_trace": " 4 "}).reviews_per_trace == 4
    assert queues.create_queue(project.id, admin, "B", settings={"reviews_per_trace": 2.0}).reviews_per_trace == 2


@pytest.mark.parametrize("raw, detail", [
    (-0.1, "Ensure this value is greater than or equal to 0."),
    ("0.0000001", "Ensure that there are no more than 6 decimal places."),
    ("lots", "A valid number is required."),
    (1e18, "Ensure the number is smaller than 10^18 in size."),
])
def test_the_tolerance_follows_the_rules_of_score_numbers(team, raw, detail):
    project, admin, *_ = team
    assert refusal(lambda: queues.create_queue(project.id, admin, "Q", settings={"numeric_tolerance": raw})) == (
        "numeric_tolerance", detail)


def test_the_tolerance_is_kept_exactly(team):
    project, admin, *_ = team
    queue = queues.create_queue(project.id, admin, "Q", settings={"numeric_tolerance": 0.3})
    db.session.expire_all()
    assert queue.numeric_tolerance == Decimal("0.3")


def test_blind_refuses_what_is_not_a_boolean(team):
    project, admin, *_ = team
    assert refusal(lambda: queues.create_queue(project.id, admin, "Q", settings={"blind": "maybe"})) == (
        "blind", "Must be a valid boolean.")


def test_assignees_must_review_in_this_project(team):
    project, admin, rita, vic, stranger = team
    for user in (vic, stranger):
        assert refusal(lambda u=user: queues.create_queue(
            project.id, admin, "Q", settings={"assignee_ids": [rita.id, u.id]})) == (
            "assignee_ids", f"User {user.id} is not a reviewer or admin of this project.")
    assert refusal(lambda: queues.create_queue(project.id, admin, "Q", settings={"assignee_ids": "all"})) == (
        "assignee_ids", "Expected a list of items but got type “str”.")
    assert refusal(lambda: queues.create_queue(project.id, admin, "Q", settings={"assignee_ids": ["x"]})) == (
        "assignee_ids", "A valid integer is required.")
    assert queues.list_queues(project.id)[1] == 0  # nothing was created by the refusals


def test_reviews_per_trace_goes_up_freely_and_down_only_above_the_most_judgments_in(team):
    project, admin, rita, *_ = team
    queue = judgment_rows.queue(project.id, per_trace=3)
    row = judgment_rows.item(queue, "t-1")
    judgment_rows.judge(row, rita, [])
    judgment_rows.judge(row, admin, [])
    queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 5})
    assert refusal(lambda: queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 1})) == (
        "reviews_per_trace",
        "A trace still pending in this queue already has 2 judgments: reviews per trace can go down to 3, not 1.")
    db.session.expire_all()
    assert queue.reviews_per_trace == 5
    assert refusal(lambda: queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 2}))[0] == \
        "reviews_per_trace"  # it would complete t-1 without a last judgment
    assert queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 3}).reviews_per_trace == 3


def test_a_done_item_does_not_hold_reviews_per_trace_up(team):
    project, admin, rita, *_ = team
    queue = judgment_rows.queue(project.id, per_trace=3)
    row = judgment_rows.item(queue, "t-1")
    for user in (rita, admin):
        judgment_rows.judge(row, user, [])
    judgment_rows.settle(row, admin, [], comment="settled")
    assert queues.update_queue(project.id, admin, queue.id, {"reviews_per_trace": 1}).reviews_per_trace == 1


def test_queue_state_counts_take_one_query(team, count_queries):
    project, admin, rita, *_ = team
    queue = judgment_rows.queue(project.id, per_trace=2)
    rows = [judgment_rows.item(queue, f"t-{n}") for n in range(3)]
    rows[0].state = "needs_decision"
    db.session.commit()
    project_id, queue_id = project.id, queue.id
    with count_queries() as statements:
        counts = queues.state_counts(project_id, queue_id)
    assert counts == {"pending": 2, "needs_decision": 1} and len(statements) == 1
