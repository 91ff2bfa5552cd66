"""The queue form's review settings (reviewers per trace, blind, tolerance, assignees: saved, refused beside their
field with the input kept) and the queue page at several reviewers per trace (judgments so far, state, who is
judging now, the settings in the header), in a fixed number of queries."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ItemClaim, ReviewQueue, utcnow
from reviewapp.services import queue_items, queue_settings, queues
from tests.support import judgment_rows
from tests.web.workbench import build, store_trace


@pytest.fixture
def wb(factory):
    return build(factory)


def text(response) -> str:
    return response.get_data(as_text=True)


def queue_url(wb, queue) -> str:
    return f"/projects/{wb.project.id}/queues/{queue.id}/"


def test_an_admin_sets_up_a_blind_panel_queue(client, login, wb):
    token = login(wb.admin)
    form = text(client.get(f"/projects/{wb.project.id}/queues/new"))
    assert "Blind review" in form and "consensus" in form
    # the assignee choices are the members who review: not the viewer
    assert "Rita Reviewer (reviewer)" in form and "Ada Admin (admin)" in form and wb.viewer.email not in form
    response = client.post(f"/projects/{wb.project.id}/queues/new", data={
        "csrf_token": token, "name": "Panel", "reviews_per_trace": "3", "blind": "y", "numeric_tolerance": "0.5",
        "assignee_ids": [str(wb.reviewer.id)]})
    assert response.status_code == 302, text(response)
    queue = db.session.scalar(select(ReviewQueue).where(ReviewQueue.name == "Panel"))
    assert (queue.reviews_per_trace, queue.blind, queue.numeric_tolerance) == (3, True, Decimal("0.5"))
    assert queue_settings.assignee_ids(queue) == [wb.reviewer.id]
    page = text(client.get(response.location))
    line = re.sub(r"\s+", " ", re.search(r'data-testid="queue-settings">(.*?)</p>', page, re.S).group(1))
    assert re.sub(r"<[^>]+>", "", line).strip() == (
        "3 reviewers per trace · blind · numbers agree within 0.5 · assigned to Rita Reviewer")
    edit = text(client.get(f"/projects/{wb.project.id}/queues/{queue.id}/edit"))
    assert 'value="3"' in edit and 'value="0.5"' in edit
    assert re.search(r'<input checked id="blind" name="blind" type="checkbox" value="y">', edit)
    assert re.search(rf'<input checked id="assignee_ids-\d+" name="assignee_ids" type="checkbox" '
                     rf'value="{wb.reviewer.id}">', edit)


@pytest.mark.parametrize("field, value, message", [
    ("reviews_per_trace", "12", "Ensure this value is less than or equal to 10."),
    ("reviews_per_trace", "two", "A valid integer is required."),
    ("numeric_tolerance", "-1", "Ensure this value is greater than or equal to 0."),
    ("numeric_tolerance", "0.1234567", "Ensure that there are no more than 6 decimal places."),
])
def test_a_refused_setting_shows_beside_its_field_with_the_input_kept(client, login, wb, field, value, message):
    token = login(wb.admin)
    data = {"csrf_token": token, "name": "Panel", "reviews_per_trace": "3", "blind": "y",
            "numeric_tolerance": "0.5", "assignee_ids": [str(wb.reviewer.id)], field: value}
    response = client.post(f"/projects/{wb.project.id}/queues/new", data=data)
    assert response.status_code == 400
    page = text(response)
    assert re.search(rf'<div class="field\s+has-error">\s*<label for="{field}">', page), "error not beside its field"
    assert f'<p class="field-error" id="{field}-error">{message}</p>' in page
    assert f'value="{value}"' in page and 'value="Panel"' in page
    assert re.search(r'<input checked id="blind" name="blind" type="checkbox" value="y">', page)
    assert re.search(rf'<input checked id="assignee_ids-\d+" name="assignee_ids" type="checkbox" '
                     rf'value="{wb.reviewer.id}">', page)
    assert db.session.scalar(select(ReviewQueue).where(ReviewQueue.name == "Panel")) is None


def test_lowering_reviewers_below_the_judgments_in_is_refused_beside_the_field(client, login, wb):
    token = login(wb.admin)
    queue = judgment_rows.queue(wb.project.id, per_trace=3)
    row = judgment_rows.item(queue, "panel-1")
    judgment_rows.judge(row, wb.reviewer, [])
    judgment_rows.judge(row, wb.admin, [])
    response = client.post(f"/projects/{wb.project.id}/queues/{queue.id}/edit", data={
        "csrf_token": token, "name": queue.name, "reviews_per_trace": "1"})
    assert response.status_code == 400
    assert ("A trace still pending in this queue already has 2 judgments: reviews per trace can go down to 3, not 1."
            in text(response))
    assert queues.load_queue(wb.project.id, queue.id).reviews_per_trace == 3


def test_a_queue_at_one_reviewer_per_trace_shows_no_settings_line(client, login, wb):
    login(wb.viewer)
    page = text(client.get(queue_url(wb, wb.queue)))
    assert 'data-testid="queue-settings"' not in page and "judgments" not in page
    assert "Claimed by" in page


def panel(wb, traces: int) -> ReviewQueue:
    queue = queues.create_queue(wb.project.id, wb.admin, "Panel", settings={"reviews_per_trace": 3})
    for n in range(traces):
        store_trace(wb.project.id, f"panel-{n}", name=f"Panel chat {n}")
        queue_items.add_item(wb.project.id, wb.admin, queue.id, f"panel-{n}")
    return queue


def claim(item, user) -> None:
    db.session.add(ItemClaim(item_id=item.id, user_id=user.id, project_id=item.project_id, queue_id=item.queue_id,
                             expires_at=utcnow() + timedelta(minutes=10)))
    db.session.commit()


def test_each_item_shows_its_judgments_state_and_who_is_judging(client, login, wb):
    queue = panel(wb, 2)
    first, second = queue_items.list_items(wb.project.id, queue_id=queue.id)[0]
    judgment_rows.judge(first, wb.admin, [])
    claim(first, wb.reviewer)
    for user in (wb.reviewer, wb.admin, wb.viewer):
        judgment_rows.judge(second, user, [])
    second.state = "needs_decision"
    db.session.commit()
    login(wb.viewer)
    page = re.sub(r"\s+", " ", text(client.get(queue_url(wb, queue))))
    rows = page[page.index("<tbody>"):]
    first_row = rows[rows.index("Panel chat 0"):rows.index("Panel chat 1")]
    assert "1 of 3 judgments" in first_row and "Pending" in first_row and "Rita Reviewer" in first_row
    second_row = rows[rows.index("Panel chat 1"):]
    assert "3 of 3 judgments" in second_row and "Needs a decision" in second_row
    assert "1 awaiting judgments · 1 needs a decision" in page
    assert "3 reviewers per trace" in page


def test_the_panel_queue_page_runs_a_fixed_number_of_queries(client, login, wb, count_queries):
    queue = panel(wb, 2)
    login(wb.reviewer)
    url = queue_url(wb, queue)

    def measure() -> list[str]:
        assert client.get(url).status_code == 200
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return statements

    few = measure()
    for n in range(2, 15):
        store_trace(wb.project.id, f"panel-{n}", name=f"Panel chat {n}")
        queue_items.add_item(wb.project.id, wb.admin, queue.id, f"panel-{n}")
    for item in queue_items.list_items(wb.project.id, queue_id=queue.id)[0][:5]:
        judgment_rows.judge(item, wb.admin, [])
        claim(item, wb.reviewer)
    many = measure()
    assert "Panel chat 14" in text(client.get(url))
    assert len(many) == len(few), many
