"""HTML pages for one trace outside the queue flow: reviewing it or editing its review (from the trace page,
or Previous), and taking over a trace another reviewer holds."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from reviewapp.models import Membership, ReviewQueue
from reviewapp.queues.forms import ConfirmForm
from reviewapp.review import bp
from reviewapp.review.page import claim_next, refused, render_page, submitted
from reviewapp.review.panel import build_fields, panel_definitions, seconds_since
from reviewapp.services import claims, queue_items, queues, reviews, submissions
from reviewapp.services.errors import NotFound, ValidationError
from reviewapp.services.submissions import SaveConflict
from reviewapp.web import project_view


@bp.route("/traces/<trace:trace_id>/review", methods=["GET", "POST"])
@project_view(role="reviewer")
def edit_trace(member: Membership, trace_id: str):
    """Review one trace, or edit its review, outside the queue flow (from the trace page, or Previous)."""
    queue = _page_queue(member, request.args.get("queue"), keep_going=request.method == "POST")
    n = request.args.get("n", type=int)
    review = reviews.active_review_for_trace(member.project_id, trace_id)
    if review is None and (judged_elsewhere := _judged_in_its_queue(member, trace_id)) is not None:
        return judged_elsewhere
    page: dict[str, Any] = {"trace_id": trace_id, "queue": queue, "n": n}
    if request.method == "GET":
        fields = build_fields(panel_definitions(member.project_id, queue, review), review)
        return render_page(member, fields=fields, review=review, **page)

    fields, entries, sent = submitted(member, queue, review)
    try:
        submissions.submit_review(member.project_id, current_user, trace_id=trace_id, queue=queue,
                                  basis=sent["basis"], comment=sent["comment"], scores=entries,
                                  time_spent_seconds=seconds_since(sent["started"]),
                                  overwrite=request.form.get("resolve") == "overwrite",
                                  known_scorers=[(f.definition, f.version) for f in fields])
    except (ValidationError, SaveConflict) as exc:
        return refused(member, exc, fields, entries, review=getattr(exc, "review", None) or review, **sent, **page)
    flash(f"Saved the review of {trace_id}.", "success")
    if queue is not None:
        return claim_next(member, queue.id, queue)
    return redirect(url_for("traces.detail", project_id=member.project_id, trace_id=trace_id))


def _judged_in_its_queue(member: Membership, trace_id: str) -> ResponseReturnValue | None:
    """A trace pending in a queue with several reviewers per trace gets judgments there, not a review written
    around them: its review page sends the reviewer to judge it (or an admin to decide it). None otherwise."""
    pending = queue_items.pending_item_for_trace(member.project_id, trace_id)
    if pending is None or not pending.queue.takes_judgments:
        return None
    if pending.state == "needs_decision":
        if member.has_role("admin"):
            return redirect(url_for("decisions.decide_page", project_id=member.project_id, item_id=pending.id))
        flash(f"{trace_id} has all its judgments in “{pending.queue.name}”; they differ, and an admin decides.",
              "info")
        return redirect(url_for("traces.detail", project_id=member.project_id, trace_id=trace_id))
    return redirect(url_for("review.item", project_id=member.project_id, item_id=pending.id))


def _page_queue(member: Membership, raw: str | None, keep_going: bool) -> ReviewQueue | None:
    """The queue the page was opened from. One deleted meanwhile is a 404 on opening the page, but a save goes
    on without it: what the reviewer typed is not thrown away for it."""
    if not raw:
        return None
    try:
        return queues.load_queue(member.project_id, raw)
    except NotFound:
        if keep_going:
            return None
        raise


@bp.route("/review/<item_id>/take-over", methods=["GET", "POST"])
@project_view(role="reviewer")
def take_over(member: Membership, item_id: str):
    """Take a trace another reviewer holds: asks first, then ends their lease and opens the trace for review."""
    found = queue_items.load_item(member.project_id, item_id)
    trace_page = url_for("traces.detail", project_id=member.project_id, trace_id=found.trace_id)
    form = ConfirmForm()
    if form.validate_on_submit() and form.is_confirmed:
        holder = found.claimed_by.display_name if found.claimed_by and claims.held_by_other(found, current_user) \
            else None
        try:
            claims.take_over(member.project_id, current_user, found.id)
        except NotFound as exc:
            flash(exc.detail, "info")
            return redirect(trace_page)
        flash(f"You took over trace {found.trace_id}" + (f" from {holder}: their claim has ended." if holder else "."),
              "success")
        return redirect(url_for("review.edit_trace", project_id=member.project_id, trace_id=found.trace_id))
    if claims.held_by_other(found, current_user):
        holder = found.claimed_by.display_name if found.claimed_by else "Another reviewer"
        message = (f"{holder} holds it in “{found.queue.name}” until {found.claim_expires_at:%H:%M} UTC. Taking it "
                   f"over ends {holder}'s claim; if {holder} then saves, they are asked whether to save over your "
                   "review or discard theirs.")
    else:
        message = "Nobody else holds it right now; taking it holds it for you."
    return render_template(
        "queues/confirm.html", form=form, title=f"Take over trace {found.trace_id}?", message=message,
        action=url_for("review.take_over", project_id=member.project_id, item_id=found.id),
        button="Take over", cancel=trace_page,
    )
