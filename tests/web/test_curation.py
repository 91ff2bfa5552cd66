"""Adding traces to a queue from the traces list: the picker, the ticked traces or every trace matching the
filter, an inline new queue, the per-trace report, refusals that keep the input, and who may do it."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import ReviewQueue, ReviewQueueItem
from reviewapp.services import accounts, curation, queue_items, queues, reviews
from reviewapp.services.errors import PermissionDenied
from tests.traces.helpers import chat_trace, sign_in


@pytest.fixture
def project(factory):
    return factory.project("Curation")


def add_url(project) -> str:
    return f"/projects/{project.id}/traces/add-to-queue"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def live_items(queue_id=None) -> dict[str, str]:
    query = select(ReviewQueueItem.trace_id, ReviewQueue.name).join(ReviewQueue).where(
        ReviewQueueItem.deleted_at.is_(None))
    if queue_id is not None:
        query = query.where(ReviewQueueItem.queue_id == queue_id)
    return dict(db.session.execute(query).all())


def queue_count() -> int:
    return db.session.scalar(select(func.count(ReviewQueue.id)))


def report_rows(page: str) -> dict[str, tuple[str, str]]:
    rows = re.findall(r'<tr class="outcome-\w+">\s*<td><a class="mono"[^>]*>([^<]+)</a></td>\s*<td>.*?'
                      r'(Added|Skipped)</span></td>\s*<td>(.*?)</td>', page, re.S)
    return {trace_id: (outcome, re.sub(r"<[^>]+>", "", why).strip()) for trace_id, outcome, why in rows}


def test_the_traces_list_offers_the_picker_to_admins_and_reviewers(app, client, factory, project, admin, token):
    chat_trace(project.id, "t1")
    queues.create_queue(project.id, admin, "Week 12")
    page = text(client.get(f"/projects/{project.id}/traces/"))
    form = re.search(r'<form id="traces-select-form".*?</form>', page, re.S).group(0)
    assert f'formaction="{add_url(project)}"' in form
    assert 'name="trace_ids" value="t1"' in form
    assert "Week 12 (0 pending)" in form and 'name="new_queue_name"' in form
    assert "All 1 trace in the project" in form

    reviewer = app.test_client()
    traces_url = f"/projects/{project.id}/traces/"
    sign_in(reviewer, factory.member(project, "reviewer"), traces_url)
    page = text(reviewer.get(traces_url))
    assert "Add to queue" in page and "Week 12 (0 pending)" in page and 'name="new_queue_name"' not in page
    # With no trace on the page there is nothing to pick.
    assert "Add to queue" not in text(reviewer.get(traces_url + "?search=nothing-like-this"))

    viewer = app.test_client()
    sign_in(viewer, factory.member(project, "viewer"), traces_url)
    page = text(viewer.get(traces_url))
    assert "Add to queue" not in page and 'name="trace_ids" value="t1"' in page


def test_add_ticked_traces_reports_each_trace(client, project, admin, token):
    for trace_id in ("fresh", "reviewed", "elsewhere", "here"):
        chat_trace(project.id, trace_id)
    target = queues.create_queue(project.id, admin, "Target")
    other = queues.create_queue(project.id, admin, "Other queue")
    reviews.save_review(project.id, admin, trace_id="reviewed", comment="done")
    queue_items.add_item(project.id, admin, other.id, "elsewhere")
    queue_items.add_item(project.id, admin, target.id, "here")

    response = client.post(add_url(project), data={
        "csrf_token": token, "scope": "selected", "queue_id": str(target.id),
        "trace_ids": ["fresh", "reviewed", "elsewhere", "here"]})
    assert response.status_code == 200
    page = text(response)
    assert "Added 1 of 4 traces to “Target”" in page
    assert report_rows(page) == {
        "fresh": ("Added", ""),
        "reviewed": ("Skipped", "Already reviewed"),
        "elsewhere": ("Skipped", "Pending in “Other queue” · open that queue"),
        "here": ("Skipped", "Already pending in this queue"),
    }
    assert f'href="/projects/{project.id}/queues/{target.id}/"' in page
    assert live_items() == {"fresh": "Target", "here": "Target", "elsewhere": "Other queue"}


def test_a_new_queue_is_made_inline(client, project, token):
    chat_trace(project.id, "a")
    chat_trace(project.id, "b")
    response = client.post(add_url(project), data={
        "csrf_token": token, "queue_id": "", "new_queue_name": "  Fresh look  ", "trace_ids": ["a", "b"]})
    assert response.status_code == 200
    page = text(response)
    assert "Created the queue “Fresh look”." in page and "Added 2 of 2 traces" in page
    assert live_items() == {"a": "Fresh look", "b": "Fresh look"}


def test_every_trace_matching_the_filter(client, project, admin, token):
    chat_trace(project.id, "ok-1", question="refund please")
    chat_trace(project.id, "bad-1", error=True, question="refund now")
    chat_trace(project.id, "bad-2", error=True, question="shipping")
    queue = queues.create_queue(project.id, admin, "Errors")
    response = client.post(add_url(project), data={
        "csrf_token": token, "scope": "matching", "queue_id": str(queue.id), "filter_errors_only": "y",
        "filter_search": "refund", "trace_ids": ["ok-1"]})  # ticks do not count for "every matching"
    assert response.status_code == 200
    assert report_rows(text(response)) == {"bad-1": ("Added", "")}
    assert live_items() == {"bad-1": "Errors"}


@pytest.mark.parametrize("data, field, message", [
    ({"trace_ids": [], "new_queue_name": "Kept name"}, "trace_ids", curation.NOTHING_CHOSEN),
    ({"trace_ids": ["a"], "queue_id": ""}, "queue_id", curation.NO_QUEUE),
    ({"trace_ids": ["a"], "queue_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"}, "queue_id", queues.QUEUE_NOT_FOUND),
    ({"trace_ids": ["a"], "new_queue_name": "Existing"}, "new_queue_name", queues.DUPLICATE_NAME),
    ({"trace_ids": ["a"], "new_queue_name": "x" * 256}, "new_queue_name",
     "Ensure this field has no more than 255 characters."),
    ({"scope": "matching", "filter_date_from": "last tuesday", "new_queue_name": "Kept name"}, "trace_ids",
     "Enter a date (2025-01-31) or a date and time in ISO 8601 (2025-01-31T09:30:00Z)."),
])
def test_refusals_keep_the_input_and_save_nothing(client, project, admin, token, data, field, message):
    chat_trace(project.id, "a")
    queues.create_queue(project.id, admin, "Existing")
    response = client.post(add_url(project), data={"csrf_token": token, **data})
    assert response.status_code == 400
    page = text(response)
    if field == "trace_ids":
        assert re.search(r'<p class="field-error" role="alert">' + re.escape(message), page)
    else:
        assert re.search(rf'<p class="field-error" id="{field}-error">' + re.escape(message), page)
    for trace_id in data.get("trace_ids", []):
        assert f'<input type="hidden" name="trace_ids" value="{trace_id}">' in page
    if data.get("new_queue_name"):
        assert f'value="{data["new_queue_name"]}"' in page
    if data.get("filter_date_from"):
        assert 'value="last tuesday"' in page and "every trace matching" in page
    assert queue_count() == 1 and live_items() == {}


def test_too_many_matching_traces_are_refused_before_anything_is_made(client, project, token, monkeypatch):
    monkeypatch.setattr(queue_items, "BULK_MAX", 2)
    for i in range(3):
        chat_trace(project.id, f"t{i}")
    response = client.post(add_url(project), data={"csrf_token": token, "scope": "matching",
                                                   "new_queue_name": "Too big"})
    assert response.status_code == 400
    assert "3 traces match this filter; add at most 2 at a time." in text(response)
    assert queue_count() == 0 and live_items() == {}


def test_the_report_names_other_queues_in_a_fixed_number_of_queries(client, project, admin, token,
                                                                    count_queries):
    target = queues.create_queue(project.id, admin, "Target")

    def run(n: int, prefix: str) -> int:
        others = [queues.create_queue(project.id, admin, f"{prefix}{i}") for i in range(n)]
        for i, other in enumerate(others):
            queue_items.add_item(project.id, admin, other.id, f"{prefix}-{i}")
        with count_queries() as statements:
            response = client.post(add_url(project), data={
                "csrf_token": token, "queue_id": str(target.id),
                "trace_ids": [f"{prefix}-{i}" for i in range(n)] + [f"{prefix}-new"]})
        page = text(response)
        for i in range(n):
            assert report_rows(page)[f"{prefix}-{i}"] == ("Skipped", f"Pending in “{prefix}{i}” · open that queue")
        return len(statements)

    assert run(2, "few") == run(12, "many")


def test_reviewers_add_to_existing_queues_but_may_not_make_one(client, factory, project, admin, login):
    chat_trace(project.id, "a")
    queue = queues.create_queue(project.id, admin, "Existing")
    token = login(factory.member(project, "reviewer"))
    response = client.post(add_url(project), data={"csrf_token": token, "trace_ids": ["a"],
                                                   "new_queue_name": "Mine"})
    assert response.status_code == 403
    assert curation.ADMINS_MAKE_QUEUES in text(response)
    assert queue_count() == 1 and live_items() == {}
    response = client.post(add_url(project), data={"csrf_token": token, "trace_ids": ["a"],
                                                   "queue_id": str(queue.id)})
    assert response.status_code == 200
    assert live_items() == {"a": "Existing"}


def test_viewers_may_not_add_to_queues(client, factory, project, admin, login):
    chat_trace(project.id, "a")
    queue = queues.create_queue(project.id, admin, "Existing")
    token = login(factory.member(project, "viewer"))
    for data in ({"queue_id": str(queue.id)}, {"new_queue_name": "Mine"}):
        response = client.post(add_url(project), data={"csrf_token": token, "trace_ids": ["a"], **data})
        assert response.status_code == 403
    assert queue_count() == 1 and live_items() == {}


def test_a_queue_of_another_project_is_refused(client, factory, project, token):
    other = factory.project("Other")
    foreign = queues.create_queue(other.id, None, "Theirs")
    response = client.post(add_url(project), data={"csrf_token": token, "trace_ids": ["a"],
                                                   "queue_id": str(foreign.id)})
    assert response.status_code == 400
    assert queues.QUEUE_NOT_FOUND in text(response)
    assert live_items() == {}


def test_csrf_is_required(client, project, admin, token):
    queue = queues.create_queue(project.id, admin, "Existing")
    response = client.post(add_url(project), data={"trace_ids": ["a"], "queue_id": str(queue.id)})
    assert response.status_code == 400
    assert live_items() == {}


def test_a_failure_while_adding_to_a_new_queue_leaves_no_empty_queue(project, admin, monkeypatch):
    chat_trace(project.id, "t1")
    before = queue_count()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away while inserting the items")

    monkeypatch.setattr(queue_items, "_insert_items", broken)
    with pytest.raises(RuntimeError):
        curation.add_to_queue(accounts.membership_for(admin.id, project.id), trace_ids=["t1"],
                              new_queue_name="Half made")
    db.session.rollback()  # what the request's teardown does after an error
    assert queue_count() == before
    assert db.session.scalar(select(ReviewQueue).where(ReviewQueue.name == "Half made")) is None


def test_only_an_admin_makes_a_queue_whoever_asks(factory, project, admin):
    """The rule is the curation service's, not the page's: any caller of it is held to it."""
    chat_trace(project.id, "a")
    reviewer = accounts.membership_for(factory.member(project, "reviewer").id, project.id)
    with pytest.raises(PermissionDenied) as refused:
        curation.add_to_queue(reviewer, trace_ids=["a"], new_queue_name="Mine")
    assert refused.value.detail == curation.ADMINS_MAKE_QUEUES
    assert queue_count() == 0 and live_items() == {}
    report = curation.add_to_queue(accounts.membership_for(admin.id, project.id), trace_ids=["a"],
                                   new_queue_name="Mine")
    assert report.created_queue and live_items() == {"a": "Mine"}
