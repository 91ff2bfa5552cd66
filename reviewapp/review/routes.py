"""HTML pages: the review workbench (claim the next trace, score it beside the trace view, save & next, skip,
previous), reviewing or editing one trace's review from the trace page, taking over a trace someone else holds,
and the reviews list with its export."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from reviewapp.models import Judgment, Membership, ReviewQueue, ReviewQueueItem, TraceReview, utcnow
from reviewapp.queues.forms import ConfirmForm
from reviewapp.review import bp
from reviewapp.review.judging import Judging, judging_for
from reviewapp.review.panel import (
    attach_error,
    build_fields,
    panel_definitions,
    read_form,
    seconds_since,
    started_stamp,
)
from reviewapp.services import claims, export, judgments, members, queue_items, queues, reviews, scorers, traces
from reviewapp.services.common import ID_MAX, as_uuid
from reviewapp.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from reviewapp.services.review_judgments import judgments_behind
from reviewapp.services.reviews import MissingScores, ReviewFilters, SaveConflict, sorted_scores
from reviewapp.web import page_number, project_view

CHOICES_MAX = 1000
FILTERS = ("search", "scorer", "queue", "reviewer", "failing")  # the reviews list's, kept by its export link
FAILING_VALUES = {"1": True, "true": True, "on": True, "0": False, "false": False}
PENDING_CAP = 999  # the review page counts what is left up to here, then says "999+"
FRAGMENT_HEADER = "X-Review-Fragment"
TREE_ROWS = 50  # spans the review page lists at first (the trace page: 200); "Next spans" opens the rest
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


def _claim_refused(member: Membership, exc: NotFound | Conflict, gone: str, gone_category: str) -> ResponseReturnValue:
    """Where a refused claim leads: a queue (or item) that is gone, to the queues with `gone`; someone else's
    claim, to its queue with the reason."""
    if isinstance(exc, Conflict):
        flash(exc.detail, "warning")
        return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=exc.extra["queue_id"]))
    flash(gone, gone_category)
    return redirect(url_for("queues.index", project_id=member.project_id))


def _claim_next(member: Membership, queue_id: Any, queue: ReviewQueue | None = None):
    """Claim the next trace of the queue and go to it, or to the all-done page. `queue`, when this request loaded
    it already (save & next), is not read again."""
    try:
        item = claims.claim_next(member.project_id, current_user, queue_id, queue=queue)
    except (NotFound, Conflict) as exc:
        return _claim_refused(member, exc, "This queue no longer exists.", "warning")
    if item is None:
        return redirect(url_for("review.done", project_id=member.project_id, queue_id=queue_id))
    if _wants_fragment():  # the page swaps in the next trace: send it now rather than a redirect to fetch it
        return _item_page(member, item)
    return redirect(url_for("review.item", project_id=member.project_id, item_id=item.id))


def _wants_fragment() -> bool:
    """Asked by review-loop.js, which swaps the trace and the panel in place instead of loading a whole page."""
    return request.headers.get(FRAGMENT_HEADER) == "1"


@bp.after_request
def _redirect_for_fragment(response: Response) -> Response:
    """A redirect answering review-loop.js is handed to the script (X-Review-Go) rather than followed by fetch,
    so a page it cannot swap in (the done page, sign-in) opens whole, its flash messages unread."""
    if _wants_fragment() and response.status_code in (301, 302, 303) and response.location:
        go = response.location
        response = Response(status=204)
        response.headers["X-Review-Go"] = go
    if request.endpoint in SWAPPED_ENDPOINTS:
        response.vary.add(FRAGMENT_HEADER)
    return response


def _trace_detail(project_id: int, trace_id: str, known: traces.KnownParts | None = None):
    """The trace view's data, or None when no event of the trace has been stored yet."""
    try:
        return traces.get_trace(project_id, trace_id, known=known, tree_rows=TREE_ROWS)
    except NotFound:
        return None


def _render(member: Membership, *, trace_id: str, fields, queue: ReviewQueue | None = None,
            item: ReviewQueueItem | None = None, review: TraceReview | None = None, comment: str | None = None,
            basis: str | None = None, started: str | None = None, error: str | None = None,
            comment_error: str | None = None, conflict: SaveConflict | None = None, skip_reason: str = "",
            skip_error: str | None = None, n: int | None = None, judging: Judging | None = None,
            known: traces.KnownParts | None = None, status: int = 200):
    """The review page. `comment` and `basis` are what the reviewer submitted when the page comes back after a
    refusal; otherwise the review's own (an absent comment is an empty box, never "None")."""
    pending = queues.pending_up_to(queue.id, PENDING_CAP) if queue is not None else None
    if item is not None:
        action = url_for("review.save", project_id=member.project_id, item_id=item.id)
    else:
        action = url_for("review.edit_trace", project_id=member.project_id, trace_id=trace_id,
                         queue=queue.id if queue else None, n=n)
    if comment is None:
        saved = judging.judgment if judging is not None else review
        comment = saved.comment if saved is not None else None
    pending_item = item if item is not None else queue_items.pending_item_for_trace(member.project_id, trace_id)
    fragment = _wants_fragment()
    html = render_template(
        "review/fragment.html" if fragment else "review/review.html", trace_id=trace_id,
        detail=_trace_detail(member.project_id, trace_id, known),
        fields=fields, queue=queue, item=item, review=review, pending=pending, pending_cap=PENDING_CAP,
        comment=comment or "", basis=reviews.basis_of(review) if basis is None else basis,
        started=started or started_stamp(), error=error, comment_error=comment_error, action=action, n=n,
        submitted=basis is not None,  # the reviewer's own input is on the page: no draft to offer
        skipped=claims.last_skip(current_user, item.id) if item is not None else None,
        conflict=conflict, skip_reason=skip_reason, skip_error=skip_error,
        holding=item is not None and queue_items.is_live(item) and item.claimed_by_id == current_user.id
        and claims.active_claim(item),
        held_by=pending_item if claims.held_by_other(pending_item, current_user) else None,
        sorted_scores=sorted_scores, judging=judging,
    )
    if not fragment:
        return html, status
    page_url = url_for("review.item", project_id=member.project_id, item_id=item.id, n=n) if item else action
    return html, status, {FRAGMENT_HEADER: "1", "X-Review-Url": page_url}


def _refused(member: Membership, exc: ValidationError | SaveConflict, fields, entries, **page):
    """Show a refusal beside the scorer or field it names, keeping everything the reviewer entered. A conflict
    (someone else's work is in the way) comes back as a 409 with the choice to save over it or discard."""
    if isinstance(exc, SaveConflict):
        return _render(member, fields=fields, conflict=exc, status=409, **page)
    error = comment_error = None
    if exc.attr == "comment":
        comment_error = exc.detail
    elif isinstance(exc, MissingScores):
        error = exc.detail
        missing = {d.id for d in exc.missing}
        for f in fields:
            if f.definition.id in missing:
                f.error = reviews.REQUIRED_HERE
    elif not (exc.attr == "scores" and attach_error(fields, entries, exc)):
        error = exc.detail
    return _render(member, fields=fields, error=error, comment_error=comment_error, status=400, **page)


def _submitted(member: Membership, queue: ReviewQueue | None, review: TraceReview | Judgment | None):
    """The panel filled from the submitted form, its score entries and the rest of what the reviewer sent."""
    fields = build_fields(panel_definitions(member.project_id, queue, review))
    entries = read_form(fields, request.form, member.project_id)
    sent = {"comment": request.form.get("comment", ""), "basis": request.form.get("basis", ""),
            "started": request.form.get("started")}
    return fields, entries, sent


# --- the workbench ----------------------------------------------------------------------------------------

@bp.route("/queues/<queue_id>/review/next", methods=["POST"], endpoint="next")
@project_view(role="reviewer")
def start(member: Membership, queue_id: str):
    """Start reviewing (or resume): claim the next trace of the queue."""
    return _claim_next(member, queue_id)


@bp.route("/review/next-queue", methods=["POST"])
@project_view(role="reviewer")
def next_queue(member: Membership):
    """Open the next queue with work for the reviewer (after the one they are in, by name) on its next trace."""
    current = as_uuid(request.form.get("queue_id"))
    try:
        item = claims.claim_in_next_queue(member.project_id, current_user, current)
    except Conflict as exc:
        return _claim_refused(member, exc, "", "info")
    if item is None:
        flash("No other queue has a trace for you right now.", "info")
        if current is not None:
            return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=current))
        return redirect(url_for("queues.index", project_id=member.project_id))
    if _wants_fragment():
        return _item_page(member, item)
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
        return _claim_refused(member, exc, "That trace is no longer pending: someone reviewed it or took it out of "
                              "its queue.", "info")
    return _item_page(member, found, request.args.get("n", type=int))


def _item_page(member: Membership, found: ReviewQueueItem, n: int | None = None):
    """The review page of a queued trace the reviewer holds."""
    judging = judging_for(found, current_user)
    if judging is not None:  # several reviewers per trace: the reviewer's own judgment, nobody else's work
        fields = build_fields(panel_definitions(member.project_id, found.queue, judging.judgment), judging.judgment)
        return _render(member, trace_id=found.trace_id, fields=fields, queue=found.queue, item=found, n=n,
                       judging=judging)
    # A trace reviewed already (from another queue or its own page) opens that review for editing.
    review = reviews.active_review_for_trace(member.project_id, found.trace_id)
    fields = build_fields(panel_definitions(member.project_id, found.queue, review), review)
    return _render(member, trace_id=found.trace_id, fields=fields, queue=found.queue, item=found, review=review,
                   known=traces.KnownParts(review=review, queue_item=found))


@bp.route("/review/<item_id>", methods=["POST"])
@project_view(role="reviewer")
def save(member: Membership, item_id: str):
    """Save & next: save the review (which completes the item), then claim the next trace. When someone else's
    work is in the way, the form comes back with the reviewer's input and the choice to save over it."""
    try:
        found = queue_items.load_item(member.project_id, item_id, include_done=True)
    except NotFound:
        flash("That trace is not in any queue of this project.", "warning")
        return _claim_next(member, request.form.get("queue_id"))
    judging = judging_for(found, current_user)
    if judging is not None:
        return _save_judgment(member, found, judging)
    # Read locked, as the save reads it (the row held until the save commits), so the save need not read it again.
    review = reviews.active_review_for_trace(member.project_id, found.trace_id, lock=True)
    fields, entries, sent = _submitted(member, found.queue, review)
    try:
        reviews.submit_review(member.project_id, current_user, item=found, queue=found.queue, basis=sent["basis"],
                              comment=sent["comment"], scores=entries,
                              time_spent_seconds=seconds_since(sent["started"]),
                              overwrite=request.form.get("resolve") == "overwrite", locked_review=review)
    except (ValidationError, SaveConflict) as exc:
        return _refused(member, exc, fields, entries, trace_id=found.trace_id, queue=found.queue, item=found,
                        review=getattr(exc, "review", None) or review, **sent)
    flash(f"Saved your review of {found.trace_id}.", "success")
    return _claim_next(member, found.queue_id, found.queue)


def _save_judgment(member: Membership, found: ReviewQueueItem, judging: Judging):
    """Save & next in a queue with several reviewers per trace: the reviewer's judgment (or their edit of it),
    then the next trace. A refusal comes back beside the scorer it names, with the reviewer's input."""
    fields, entries, sent = _submitted(member, found.queue, judging.judgment)
    try:
        if judging.judgment is not None:
            judgments.update_judgment(member.project_id, current_user, judging.judgment.id, scores=entries,
                                      comment=sent["comment"])
        else:
            judgments.submit_judgment(member.project_id, current_user, found, scores=entries, comment=sent["comment"],
                                      time_spent_seconds=seconds_since(sent["started"]), queue=found.queue)
    except PermissionDenied as exc:
        flash(exc.detail, "warning")
        return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=found.queue_id))
    except ValidationError as exc:
        sent.pop("basis")
        return _refused(member, exc, fields, entries, trace_id=found.trace_id, queue=found.queue, item=found,
                        judging=judging, basis="", **sent)
    flash(f"Saved your judgment of {found.trace_id}.", "success")
    return _claim_next(member, found.queue_id, found.queue)


@bp.route("/review/<item_id>/skip", methods=["POST"])
@project_view(role="reviewer")
def skip(member: Membership, item_id: str):
    queue_id = request.form.get("queue_id")
    reason = request.form.get("reason", "")
    try:
        skipped = claims.skip_item(member.project_id, current_user, item_id, reason)
    except NotFound:
        flash("That trace was reviewed or taken out of the queue meanwhile.", "info")
        return _claim_next(member, queue_id)
    except ValidationError as exc:
        # The page comes back with the reason as typed, the refusal beside it.
        found = queue_items.load_item(member.project_id, item_id)
        review = reviews.active_review_for_trace(member.project_id, found.trace_id)
        fields = build_fields(panel_definitions(member.project_id, found.queue, review), review)
        return _render(member, trace_id=found.trace_id, fields=fields, queue=found.queue, item=found, review=review,
                       skip_reason=reason, skip_error=f"Not skipped: {exc.detail}", status=400)
    flash(f"Skipped {skipped.trace_id}: it stays in the queue for others and comes back to you last.", "info")
    return _claim_next(member, skipped.queue_id)


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
        return _render(member, fields=fields, review=review, **page)

    fields, entries, sent = _submitted(member, queue, review)
    try:
        reviews.submit_review(member.project_id, current_user, trace_id=trace_id, queue=queue, basis=sent["basis"],
                              comment=sent["comment"], scores=entries,
                              time_spent_seconds=seconds_since(sent["started"]),
                              overwrite=request.form.get("resolve") == "overwrite")
    except (ValidationError, SaveConflict) as exc:
        return _refused(member, exc, fields, entries, review=getattr(exc, "review", None) or review, **sent, **page)
    flash(f"Saved the review of {trace_id}.", "success")
    if queue is not None:
        return _claim_next(member, queue.id, queue)
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


# --- the reviews list ----------------------------------------------------------------------------------

def _filters(member: Membership) -> tuple[ReviewFilters, dict[str, str]]:
    """The list's filters from the query string, and the refusal of any malformed one, by parameter."""
    args, problems = request.args, {}
    filters = ReviewFilters(search=(args.get("search") or "").strip()[:200] or None, visible_to=member)
    for name, attr in (("scorer", "definition_id"), ("queue", "queue_id")):
        raw = args.get(name)
        if raw:
            value = as_uuid(raw)
            if value is None:
                problems[name] = f"“{raw[:60]}” is not a valid id."
            setattr(filters, attr, value)
    raw = args.get("failing")
    if raw:
        if raw in FAILING_VALUES:
            filters.failing = FAILING_VALUES[raw]
        else:
            problems["failing"] = f"“{raw[:60]}” is not a valid choice for Failing only."
    raw = args.get("reviewer")
    if raw:
        if raw.isdigit() and int(raw) <= ID_MAX:  # a longer number would overflow in the database
            filters.reviewer_id = int(raw)
        else:
            problems["reviewer"] = f"“{raw[:60]}” is not a valid reviewer."
    return filters, problems


@bp.route("/reviews/", endpoint="reviews")
@project_view(role="viewer")
def reviews_page(member: Membership):
    filters, problems = _filters(member)
    per_page = current_app.config["PAGE_SIZE"]
    page = page_number(per_page)
    rows, count = ([], 0) if problems else reviews.list_reviews(
        member.project_id, filters, order="-created_at", limit=per_page, offset=(page - 1) * per_page)
    judgments = judgments_behind(member.project_id, rows)
    definitions = scorers.definitions_by_name(member.project_id, archived=None, limit=CHOICES_MAX)
    live_queues, _ = queues.list_queues(member.project_id, limit=CHOICES_MAX)
    filtered = any(request.args.get(name) for name in FILTERS)
    return render_template(
        "review/reviews.html", rows=rows, count=count, page=page, per_page=per_page, problems=problems,
        definitions=definitions, queues=[q for q, _ in live_queues], members=members.list_members(member.project_id),
        queue_names={q.id: q.name for q, _ in live_queues}, sorted_scores=sorted_scores, filtered=filtered,
        export_args={k: v for k, v in request.args.items() if k in FILTERS and v}, failing=filters.failing,
        judgments=judgments,
    ), 400 if problems else 200


@bp.route("/reviews/export")
@project_view(role="viewer")
def export_reviews(member: Membership):
    filters, problems = _filters(member)
    if problems:
        raise ValidationError(next(iter(problems.values())), next(iter(problems)))
    fmt = export.validate_format(request.args.get("format"))
    form = export.validate_form(request.args.get("form"))
    chunks = export.export_reviews(member.project_id, fmt, filters, form)
    name = export.filename(member.project_id, fmt, utcnow(), form)
    return Response(stream_with_context(chunks), content_type=export.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
