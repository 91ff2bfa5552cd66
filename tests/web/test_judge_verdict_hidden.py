"""A judge's verdict (`$ai_evaluation`) stays off the review page: a reviewer who saw it would no longer be an
independent check of the judge. On the trace page it shows in the Evaluations section only, never as a step of the
span tree or a raw event, and its event cannot be opened by uuid."""
from __future__ import annotations

from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import TraceEvent
from reviewapp.services import traces
from reviewapp.services.ingest.posthog import ingest_batch
from tests.support.api import ApiClient
from tests.support.blind_rows import judge, live_item, several_reviewers
from tests.support.judge_data import judge_event
from tests.web.workbench import build, signed_in

REASONING = "Cites an order status the tool never returned."


def judged_workbench(factory):
    wb = build(factory)
    ingest_batch(wb.project.id, [judge_event("trace-001", 30, False, **{
        "$ai_evaluation_reasoning": REASONING, "$ai_total_cost_usd": 0.0042})])
    verdict = db.session.scalar(select(TraceEvent.uuid).where(TraceEvent.event == "$ai_evaluation"))
    return wb, verdict


def test_the_review_page_shows_nothing_of_the_judges_verdict(app, factory):
    wb, verdict = judged_workbench(factory)
    client, token = signed_in(app, wb.reviewer)
    started = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/next", data={"csrf_token": token})
    page = client.get(started.location).get_data(as_text=True)
    assert "trace-001" in page and "Where is my order?" in page  # the trace itself is there
    for trace_of_the_judge in (REASONING, "$ai_evaluation", "EVALUATION", "gpt-5-mini", verdict):
        assert trace_of_the_judge not in page
    for part in ("", "/body?part=raw", "/body?part=span"):
        assert client.get(f"/projects/{wb.project.id}/events/{verdict}{part}").status_code == 404


def test_the_trace_page_shows_the_verdict_in_its_section_only(app, factory):
    wb, verdict = judged_workbench(factory)
    client, _token = signed_in(app, wb.admin)
    page = client.get(f"/projects/{wb.project.id}/traces/trace-001").get_data(as_text=True)
    section_start = page.index('id="evaluations"')
    section = page[section_start:page.index("</section>", section_start)]
    assert REASONING in section
    outside = page[:section_start] + page[page.index("</section>", section_start):]
    assert REASONING not in outside and verdict not in outside and "$ai_evaluation" not in outside
    # The API's trace detail (which reads the same view) lists the steps only; the verdict is at evaluations/.
    detail = traces.get_trace(wb.project.id, "trace-001")
    assert [e.event for e in detail.events] and all(e.event != "$ai_evaluation" for e in detail.events)


def test_blind_review_hides_the_verdict_on_the_trace_page_and_in_the_api_until_the_reviewer_has_answered(
        app, factory):
    wb, _verdict = judged_workbench(factory)
    several_reviewers(wb.queue, reviews_per_trace=2)
    client, _token = signed_in(app, wb.reviewer)
    page = client.get(f"/projects/{wb.project.id}/traces/trace-001").get_data(as_text=True)
    assert "Where is my order?" in page and REASONING not in page and 'id="evaluations"' not in page
    api = ApiClient(app.test_client(), wb.project.id, factory.api_key(wb.reviewer))
    assert api.get("traces/trace-001/evaluations/").get_json()["results"] == []
    # Once the reviewer has answered, the others' work shows, and with it the judge's verdict.
    judge(live_item(wb.project.id, "trace-001"), wb.reviewer, [{"definition_id": str(wb.helpful.id),
                                                                "boolean_value": True}])
    page = client.get(f"/projects/{wb.project.id}/traces/trace-001").get_data(as_text=True)
    assert REASONING in page
    assert [r["reasoning"] for r in api.get("traces/trace-001/evaluations/").get_json()["results"]] == [REASONING]


def test_blind_review_hides_the_verdict_in_the_traces_list_and_its_filter(app, factory):
    wb, _verdict = judged_workbench(factory)
    several_reviewers(wb.queue, reviews_per_trace=2)
    reviewer, _token = signed_in(app, wb.reviewer)
    admin, _token = signed_in(app, wb.admin)
    listing = f"/projects/{wb.project.id}/traces/"
    assert 'title="1 failed, 0 passed"' in admin.get(listing).get_data(as_text=True)
    assert 'title="1 failed, 0 passed"' not in reviewer.get(listing).get_data(as_text=True)
    assert "/traces/trace-001" not in reviewer.get(f"{listing}?evaluation_failed=y").get_data(as_text=True)
    api = ApiClient(app.test_client(), wb.project.id, factory.api_key(wb.reviewer))
    row = next(r for r in api.get("traces/").get_json()["results"] if r["trace_id"] == "trace-001")
    assert row["evaluations_failed"] == 0
