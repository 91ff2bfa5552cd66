"""A judge's verdict (`$ai_evaluation`) stays off the review page: a reviewer who saw it would no longer be an
independent check of the judge. On the trace page it shows in the Evaluations section only, never as a step of the
span tree or a raw event, and its event cannot be opened by uuid."""
from __future__ import annotations

from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import TraceEvent
from reviewapp.services import traces
from reviewapp.services.ingest.posthog import ingest_batch
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
