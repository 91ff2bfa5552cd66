"""The review page and where the workbench goes next: rendering the page (whole, or the region review-loop.js
swaps in), showing a refusal beside what it names with the reviewer's input kept, reading the submitted panel, and
claiming the next trace after a save or a skip."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from reviewapp.models import Judgment, Membership, ReviewQueue, ReviewQueueItem, TraceReview
from reviewapp.review.judging import Judging, judging_for
from reviewapp.review.panel import attach_error, build_fields, panel_definitions, read_form, started_stamp
from reviewapp.services import claims, queue_items, traces
from reviewapp.services.errors import Conflict, NotFound, ValidationError
from reviewapp.services.reviews import sorted_scores
from reviewapp.services.submissions import REQUIRED_HERE, MissingScores, SaveConflict, basis_of

PENDING_CAP = 999  # the review page counts what is left up to here, then says "999+"
FRAGMENT_HEADER = "X-Review-Fragment"
TREE_ROWS = 50  # spans the review page lists at first (the trace page: 200); "Next spans" opens the rest


def claim_refused(member: Membership, exc: NotFound | Conflict, gone: str, gone_category: str) -> ResponseReturnValue:
    """Where a refused claim leads: a queue (or item) that is gone, to the queues with `gone`; someone else's
    claim, to its queue with the reason."""
    if isinstance(exc, Conflict):
        flash(exc.detail, "warning")
        return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=exc.extra["queue_id"]))
    flash(gone, gone_category)
    return redirect(url_for("queues.index", project_id=member.project_id))


def claim_next(member: Membership, queue_id: Any, queue: ReviewQueue | None = None):
    """Claim the next trace of the queue and go to it, or to the all-done page. `queue`, when this request loaded
    it already (save & next), is not read again."""
    try:
        item = claims.claim_next(member.project_id, current_user, queue_id, queue=queue)
    except (NotFound, Conflict) as exc:
        return claim_refused(member, exc, "This queue no longer exists.", "warning")
    if item is None:
        return redirect(url_for("review.done", project_id=member.project_id, queue_id=queue_id))
    if wants_fragment():  # the page swaps in the next trace: send it now rather than a redirect to fetch it
        return item_page(member, item)
    return redirect(url_for("review.item", project_id=member.project_id, item_id=item.id))


def wants_fragment() -> bool:
    """Asked by review-loop.js, which swaps the trace and the panel in place instead of loading a whole page."""
    return request.headers.get(FRAGMENT_HEADER) == "1"


def trace_detail(project_id: int, trace_id: str, reads: traces.ReviewPageReads, known: traces.KnownParts):
    """The trace view's data, or None when no event of the trace has been stored yet."""
    if reads.trace is None:
        return None
    return traces.get_trace(project_id, trace_id, known=known, tree_rows=TREE_ROWS)


def page_reads(member: Membership, trace_id: str, queue: ReviewQueue | None, item: ReviewQueueItem | None,
               ) -> traces.ReviewPageReads:
    """What the page reads about the trace besides its events and panel, in one statement."""
    return traces.review_page_reads(member.project_id, trace_id, current_user,
                                    queue_id=queue.id if queue is not None else None,
                                    item_id=item.id if item is not None else None, cap=PENDING_CAP, with_review=True)


def render_page(member: Membership, *, trace_id: str, fields, queue: ReviewQueue | None = None,
                item: ReviewQueueItem | None = None, review: TraceReview | None = None, comment: str | None = None,
                basis: str | None = None, started: str | None = None, error: str | None = None,
                comment_error: str | None = None, conflict: SaveConflict | None = None, skip_reason: str = "",
                skip_error: str | None = None, n: int | None = None, judging: Judging | None = None,
                reads: traces.ReviewPageReads | None = None, status: int = 200):
    """The review page. `comment` and `basis` are what the reviewer submitted when the page comes back after a
    refusal; otherwise the review's own (an absent comment is an empty box, never "None"). `reads`, page_reads
    of the live `item` the reviewer holds (item_page), spares reading them again and the item's look-up."""
    if reads is None:
        reads = page_reads(member, trace_id, queue, item)
    # The trace's live item: `item` while it is live (a trace is pending in one queue at most), else looked up.
    pending_item = item if item is not None and queue_items.is_live(item) else \
        queue_items.pending_item_for_trace(member.project_id, trace_id)
    known = reads.known(reads.review, pending_item)
    shown_item = item if item is not None else pending_item  # whose claim the page warns about
    if item is not None:
        action = url_for("review.save", project_id=member.project_id, item_id=item.id)
    else:
        action = url_for("review.edit_trace", project_id=member.project_id, trace_id=trace_id,
                         queue=queue.id if queue else None, n=n)
    if comment is None:
        saved = judging.judgment if judging is not None else review
        comment = saved.comment if saved is not None else None
    fragment = wants_fragment()
    html = render_template(
        "review/fragment.html" if fragment else "review/review.html", trace_id=trace_id,
        detail=trace_detail(member.project_id, trace_id, reads, known),
        fields=fields, queue=queue, item=item, review=review, pending=reads.pending, pending_cap=PENDING_CAP,
        comment=comment or "", basis=basis_of(review) if basis is None else basis,
        started=started or started_stamp(), error=error, comment_error=comment_error, action=action, n=n,
        submitted=basis is not None,  # the reviewer's own input is on the page: no draft to offer
        skipped=reads.skipped,
        conflict=conflict, skip_reason=skip_reason, skip_error=skip_error,
        holding=item is not None and queue_items.is_live(item) and item.claimed_by_id == current_user.id
        and claims.active_claim(item),
        held_by=shown_item if claims.held_by_other(shown_item, current_user) else None,
        sorted_scores=sorted_scores, judging=judging,
    )
    if not fragment:
        return html, status
    page_url = url_for("review.item", project_id=member.project_id, item_id=item.id, n=n) if item else action
    return html, status, {FRAGMENT_HEADER: "1", "X-Review-Url": page_url}


def refused(member: Membership, exc: ValidationError | SaveConflict, fields, entries, **page):
    """Show a refusal beside the scorer or field it names, keeping everything the reviewer entered. A conflict
    (someone else's work is in the way) comes back as a 409 with the choice to save over it or discard."""
    if isinstance(exc, SaveConflict):
        return render_page(member, fields=fields, conflict=exc, status=409, **page)
    error = comment_error = None
    if exc.attr == "comment":
        comment_error = exc.detail
    elif isinstance(exc, MissingScores):
        error = exc.detail
        missing = {d.id for d in exc.missing}
        for f in fields:
            if f.definition.id in missing:
                f.error = REQUIRED_HERE
    elif not (exc.attr == "scores" and attach_error(fields, entries, exc)):
        error = exc.detail
    return render_page(member, fields=fields, error=error, comment_error=comment_error, status=400, **page)


def submitted(member: Membership, queue: ReviewQueue | None, review: TraceReview | Judgment | None):
    """The panel filled from the submitted form, its score entries and the rest of what the reviewer sent."""
    fields = build_fields(panel_definitions(member.project_id, queue, review))
    entries = read_form(fields, request.form, member.project_id)
    sent = {"comment": request.form.get("comment", ""), "basis": request.form.get("basis", ""),
            "started": request.form.get("started")}
    return fields, entries, sent


def item_page(member: Membership, found: ReviewQueueItem, n: int | None = None):
    """The review page of a live queued trace the reviewer holds."""
    reads = page_reads(member, found.trace_id, found.queue, found)
    judging = judging_for(found, current_user)
    if judging is not None:  # several reviewers per trace: the reviewer's own judgment, nobody else's work
        fields = build_fields(panel_definitions(member.project_id, found.queue, judging.judgment), judging.judgment)
        return render_page(member, trace_id=found.trace_id, fields=fields, queue=found.queue, item=found, n=n,
                           judging=judging, reads=reads)
    # A trace reviewed already (from another queue or its own page) opens that review for editing.
    review = reads.review
    fields = build_fields(panel_definitions(member.project_id, found.queue, review), review)
    return render_page(member, trace_id=found.trace_id, fields=fields, queue=found.queue, item=found,
                       review=review, reads=reads)
