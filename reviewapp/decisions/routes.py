"""HTML pages for admins: a queue's traces whose judgments disagree ("Needs a decision"), and the decision page,
where the judgments stand side by side and the admin settles the trace's final review."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from reviewapp.decisions import bp
from reviewapp.decisions.forms import ScorerChoice, attach_error, choices, read
from reviewapp.models import Membership, ReviewQueue
from reviewapp.services import adjudication, queues, reviews, traces
from reviewapp.services.adjudication import Decision, NotDecidable
from reviewapp.services.errors import NotFound, ValidationError
from reviewapp.web import page_number, project_view


@bp.app_context_processor
def decision_helpers() -> dict:
    """For the queue page: `needs_decision_count(queue)`, how many of its traces wait for a decision (one query)."""

    def needs_decision_count(queue: ReviewQueue) -> int:
        return adjudication.waiting_count(queue.project_id, queue.id)

    return {"needs_decision_count": needs_decision_count}


@bp.route("/queues/<queue_id>/decisions/")
@project_view(role="admin")
def index(member: Membership, queue_id: str):
    queue = queues.load_queue(member.project_id, queue_id)
    per_page = current_app.config["PAGE_SIZE"]
    page = page_number(per_page)
    rows, count = adjudication.needs_decision(member.project_id, queue.id, limit=per_page,
                                              offset=(page - 1) * per_page)
    return render_template("decisions/index.html", queue=queue, rows=rows, count=count, page=page,
                           per_page=per_page)


def _trace_detail(project_id: int, trace_id: str):
    try:
        return traces.get_trace(project_id, trace_id)
    except NotFound:
        return None


def _render(member: Membership, view: Decision, fields: list[ScorerChoice], *, note: str = "",
            error: str | None = None, note_error: str | None = None, refusal: NotDecidable | None = None,
            status: int = 200):
    return render_template(
        "decisions/decide.html", view=view, fields=fields, note=note, error=error, note_error=note_error,
        refusal=refusal, sorted_scores=reviews.sorted_scores,
        detail=_trace_detail(member.project_id, view.item.trace_id),
        waiting=adjudication.waiting_count(member.project_id, view.item.queue_id),
    ), status


@bp.route("/decisions/<item_id>")
@project_view(role="admin")
def decide_page(member: Membership, item_id: str):
    view = adjudication.decision(member.project_id, item_id)
    return _render(member, view, choices(view))


@bp.route("/decisions/<item_id>", methods=["POST"])
@project_view(role="admin")
def decide(member: Membership, item_id: str):
    """Save decision: the final review, then the queue's next trace that needs one. A refusal brings the page
    back with everything the admin entered."""
    view = adjudication.decision(member.project_id, item_id)
    fields = choices(view)
    entries, complete = read(fields, request.form, member.project_id)
    note = request.form.get("comment", "")
    if not complete:
        return _render(member, view, fields, note=note, status=400,
                       error="Some scorers have no value yet: see below.")
    try:
        adjudication.decide(member.project_id, current_user, view.item.id, scores=entries, comment=note)
    except NotDecidable as exc:
        return _render(member, adjudication.decision(member.project_id, item_id), fields, note=note, refusal=exc,
                       status=409)
    except ValidationError as exc:
        if exc.attr == "comment":
            return _render(member, view, fields, note=note, note_error=exc.detail, status=400)
        shown = exc.attr == "scores" and attach_error(fields, entries, exc)
        return _render(member, view, fields, note=note, error=None if shown else exc.detail, status=400)
    flash(f"Decided {view.item.trace_id}: its final review is saved.", "success")
    following = adjudication.next_waiting(member.project_id, view.item.queue_id)
    if following is None:
        return redirect(url_for("decisions.index", project_id=member.project_id, queue_id=view.item.queue_id))
    return redirect(url_for("decisions.decide_page", project_id=member.project_id, item_id=following.id))
