"""HTML pages of the review workbench: claim the next trace (of this queue or the next one with work), the
review page of a trace the reviewer holds, save & next, skip, previous, and the all-done page. The page itself is
review/page.py's; reviewing one trace from its own page is trace_routes.py's, the reviews list list_routes.py's."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from reviewapp.models import Membership, ReviewQueueItem
from reviewapp.review import bp
from reviewapp.review.judging import Judging, judging_for
from reviewapp.review.page import (
    FRAGMENT_HEADER,
    claim_next,
    claim_refused,
    item_page,
    refused,
    render_page,
    submitted,
    wants_fragment,
)
from reviewapp.review.panel import build_fields, panel_definitions, seconds_since
from reviewapp.services import claims, judgments, queue_items, queues, reviews, submissions
from reviewapp.services.common import as_uuid
from reviewapp.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from reviewapp.services.reviews import ReviewFilters
from reviewapp.services.submissions import SaveConflict
from reviewapp.web import page_number, project_view

SWAPPED_ENDPOINTS = {"review.item", "review.save", "review.skip", "review.previous", "review.edit_trace",
                     "review.next", "review.next_queue"}


@bp.app_context_processor
def claim_helpers() -> dict:
    """For the trace page: `claim_active(item)`, whether anyone holds the queued trace right now, and
    `held_by_other(item)`, whether someone other than the signed-in user does."""

    def held_by_other(item: ReviewQueueItem | None) -> bool:
        return current_user.is_authenticated and claims.held_by_other(item, current_user)

    def claim_active(item: ReviewQueueItem | None) -> bool:
        return item is not None and claims.active_claim(item)

    return {"held_by_other": held_by_other, "claim_active": claim_active}


@bp.after_request
def _redirect_for_fragment(response: Response) -> Response:
    """A redirect answering review-loop.js is handed to the script (X-Review-Go) rather than followed by fetch,
    so a page it cannot swap in (the done page, sign-in) opens whole, its flash messages unread."""
    if wants_fragment() and response.status_code in (301, 302, 303) and response.location:
        go = response.location
        response = Response(status=204)
        response.headers["X-Review-Go"] = go
    if request.endpoint in SWAPPED_ENDPOINTS:
        response.vary.add(FRAGMENT_HEADER)
    return response



# --- the workbench ----------------------------------------------------------------------------------------

@bp.route("/queues/<queue_id>/review/next", methods=["POST"], endpoint="next")
@project_view(role="reviewer")
def start(member: Membership, queue_id: str):
    """Start reviewing (or resume): claim the next trace of the queue."""
    return claim_next(member, queue_id)


@bp.route("/review/next-queue", methods=["POST"])
@project_view(role="reviewer")
def next_queue(member: Membership):
    """Open the next queue with work for the reviewer (after the one they are in, by name) on its next trace."""
    current = as_uuid(request.form.get("queue_id"))
    try:
        item = claims.claim_in_next_queue(member.project_id, current_user, current)
    except Conflict as exc:
        return claim_refused(member, exc, "", "info")
    if item is None:
        flash("No other queue has a trace for you right now.", "info")
        if current is not None:
            return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=current))
        return redirect(url_for("queues.index", project_id=member.project_id))
    if wants_fragment():
        return item_page(member, item)
    return redirect(url_for("review.item", project_id=member.project_id, item_id=item.id))


@bp.route("/queues/<queue_id>/review/done")
@project_view(role="reviewer")
def done(member: Membership, queue_id: str):
    queue, left = claims.outlook(member.project_id, current_user, queue_id)
    return render_template("review/done.html", queue=queue, left=left, refusal=claims.refusal(queue, current_user))


@bp.route("/review/<item_id>")
@project_view(role="reviewer")
def item(member: Membership, item_id: str):
    try:
        found = claims.hold_claim(member.project_id, current_user, item_id)
    except (NotFound, Conflict) as exc:
        return claim_refused(member, exc, "That trace is no longer pending: someone reviewed it or took it out of "
                             "its queue.", "info")
    return item_page(member, found, request.args.get("n", type=int))


@bp.route("/review/<item_id>", methods=["POST"])
@project_view(role="reviewer")
def save(member: Membership, item_id: str):
    """Save & next: save the review (which completes the item), then claim the next trace. When someone else's
    work is in the way, the form comes back with the reviewer's input and the choice to save over it."""
    try:
        found = queue_items.load_item(member.project_id, item_id, include_done=True, people=False)
    except NotFound:
        flash("That trace is not in any queue of this project.", "warning")
        return claim_next(member, request.form.get("queue_id"))
    judging = judging_for(found, current_user)
    if judging is not None:
        return _save_judgment(member, found, judging)
    # Read locked, as the save reads it (the row held until the save commits), so the save need not read it again.
    review = reviews.active_review_for_trace(member.project_id, found.trace_id, lock=True)
    fields, entries, sent = submitted(member, found.queue, review)
    try:
        submissions.submit_review(member.project_id, current_user, item=found, queue=found.queue,
                                  basis=sent["basis"], comment=sent["comment"], scores=entries,
                                  time_spent_seconds=seconds_since(sent["started"]),
                                  overwrite=request.form.get("resolve") == "overwrite", locked_review=review,
                                  known_scorers=[(f.definition, f.version) for f in fields])
    except (ValidationError, SaveConflict) as exc:
        return refused(member, exc, fields, entries, trace_id=found.trace_id, queue=found.queue, item=found,
                       review=getattr(exc, "review", None) or review, **sent)
    flash(f"Saved your review of {found.trace_id}.", "success")
    return claim_next(member, found.queue_id, found.queue)


def _save_judgment(member: Membership, found: ReviewQueueItem, judging: Judging):
    """Save & next in a queue with several reviewers per trace: the reviewer's judgment (or their edit of it),
    then the next trace. A refusal comes back beside the scorer it names, with the reviewer's input."""
    fields, entries, sent = submitted(member, found.queue, judging.judgment)
    known = [(f.definition, f.version) for f in fields]
    try:
        if judging.judgment is not None:
            judgments.update_judgment(member.project_id, current_user, judging.judgment.id, scores=entries,
                                      comment=sent["comment"], time_spent_seconds=seconds_since(sent["started"]),
                                      known_scorers=known)
        else:
            judgments.submit_judgment(member.project_id, current_user, found, scores=entries, comment=sent["comment"],
                                      time_spent_seconds=seconds_since(sent["started"]), queue=found.queue,
                                      known_scorers=known)
    except PermissionDenied as exc:
        flash(exc.detail, "warning")
        return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=found.queue_id))
    except ValidationError as exc:
        sent.pop("basis")
        return refused(member, exc, fields, entries, trace_id=found.trace_id, queue=found.queue, item=found,
                       judging=judging, basis="", **sent)
    flash(f"Saved your judgment of {found.trace_id}.", "success")
    return claim_next(member, found.queue_id, found.queue)


@bp.route("/review/<item_id>/skip", methods=["POST"])
@project_view(role="reviewer")
def skip(member: Membership, item_id: str):
    queue_id = request.form.get("queue_id")
    reason = request.form.get("reason", "")
    try:
        skipped = claims.skip_item(member.project_id, current_user, item_id, reason)
    except NotFound:
        flash("That trace was reviewed or taken out of the queue meanwhile.", "info")
        return claim_next(member, queue_id)
    except ValidationError as exc:
        # The page comes back with the reason as typed, the refusal beside it.
        found = queue_items.load_item(member.project_id, item_id)
        review = reviews.active_review_for_trace(member.project_id, found.trace_id)
        fields = build_fields(panel_definitions(member.project_id, found.queue, review), review)
        return render_page(member, trace_id=found.trace_id, fields=fields, queue=found.queue, item=found,
                           review=review, skip_reason=reason, skip_error=f"Not skipped: {exc.detail}", status=400)
    flash(f"Skipped {skipped.trace_id}: it stays in the queue for others and comes back to you last.", "info")
    return claim_next(member, skipped.queue_id)


@bp.route("/queues/<queue_id>/review/previous")
@project_view(role="reviewer")
def previous(member: Membership, queue_id: str):
    """Your n-th latest review in this queue (n=1 the latest), opened for editing."""
    queue = queues.load_queue(member.project_id, queue_id)
    n = page_number(1, "n")  # a page of one review
    if queue.takes_judgments:  # the reviewer's own judgments, reopened for editing while their trace waits
        mine, _ = judgments.list_judgments(member.project_id, member, queue_id=queue.id, reviewer_id=current_user.id,
                                           order="-created_at", limit=1, offset=n - 1)
        if mine:
            return redirect(url_for("review.item", project_id=member.project_id, item_id=mine[0].item_id, n=n))
    found, _ = reviews.list_reviews(member.project_id, ReviewFilters(queue_id=queue.id, reviewer_id=current_user.id),
                                    order="-created_at", limit=1, offset=n - 1)
    if not found:
        flash("You have no earlier review in this queue." if n > 1 else
              "You have not reviewed anything in this queue yet.", "info")
        back = as_uuid(request.args.get("item"))
        if back is not None:
            return redirect(url_for("review.item", project_id=member.project_id, item_id=back))
        return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=queue.id))
    return redirect(url_for("review.edit_trace", project_id=member.project_id, trace_id=found[0].trace_id,
                            queue=queue.id, n=n))
