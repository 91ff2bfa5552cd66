"""The review page's save of a trace (services.reviews stores it): every scorer the queue requires answered or a
comment saying why (shared with judgments), and nobody's work overwritten unasked: another reviewer's claim, or a
review that changed since the page showed it, is a SaveConflict the reviewer resolves."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reviewapp.extensions import db
from reviewapp.models import (
    ReviewQueue,
    ReviewQueueItem,
    ScoreDefinition,
    ScoreDefinitionVersion,
    TraceReview,
    User,
)
from reviewapp.services import claims, queue_items, queues, reviews
from reviewapp.services.common import refusal_rolls_back
from reviewapp.services.errors import Conflict, ValidationError
from reviewapp.services.score_validation import ValidatedScore, validate_scores

NOTHING_TO_SAVE = "Nothing to save yet: answer a scorer or write a comment."
MISSING_REQUIRED = "Answer {names} before saving, or write a comment saying why you cannot."
REQUIRED_HERE = "Required: answer it, or write a comment."


class MissingScores(ValidationError):
    """The review page refuses a review that leaves required scorers unanswered and has no comment (or is empty
    altogether). `missing` names those scorers, so the page shows the refusal beside each."""

    def __init__(self, missing: list[ScoreDefinition]):
        detail = MISSING_REQUIRED.format(names=_names([d.name for d in missing])) if missing else NOTHING_TO_SAVE
        super().__init__(detail, "scores", "required")
        self.missing = missing


def _names(names: list[str]) -> str:
    quoted = [f"“{name}”" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def check_required(project_id: int, queue: ReviewQueue | None, validated: list[ValidatedScore],
                   comment: str | None) -> None:
    """The review page's rule (the API keeps PostHog's, where any review is valid): a comment, or every scorer
    the queue requires answered — and never an empty review."""
    if comment:
        return
    answered = {score.definition.id for score in validated}
    missing = [d for d in queues.required_scorers(project_id, queue) if d.id not in answered]
    if missing or not validated:
        raise MissingScores(missing)


class SaveConflict(Conflict):
    """The review page's save would overwrite someone else's work, so it was not made. `kind` says whose:
    "held" (another reviewer holds the trace: `holder`, `until`), "reviewed" (the trace got a review meanwhile:
    `review`), "changed" (the review the page showed was saved again by someone: `review`), "deleted" (that
    review was deleted), "left" (the item left its queue without a review). Saving again with overwrite=True
    records the reviewer's input anyway."""

    def __init__(self, kind: str, detail: str, *, review: TraceReview | None = None, holder: User | None = None,
                 until=None):
        super().__init__(detail, kind=kind)
        self.kind = kind
        self.review = review
        self.holder = holder
        self.until = until


def basis_of(review: TraceReview | None) -> str:
    """What the review page carries to say which review it showed: "" for none, else its id and last save."""
    return "" if review is None else f"{review.id}@{review.updated_at.isoformat()}"


def _name(user: User | None) -> str:
    return user.display_name if user is not None else "A former user"


def _held(item: ReviewQueueItem) -> SaveConflict:
    until = item.claim_expires_at
    return SaveConflict("held", f"{_name(item.claimed_by)} is reviewing this trace (it is held for them until "
                                f"{until:%H:%M} UTC). Nothing was saved.",
                        holder=item.claimed_by, until=until)


def _basis_conflict(basis: str | None, current: TraceReview | None, item_gone: bool) -> SaveConflict | None:
    """How what is stored now differs from what the page showed (`basis`), or None when it does not."""
    if not basis:
        if current is not None:
            return SaveConflict("reviewed", f"{_name(current.reviewed_by)} reviewed this trace meanwhile. "
                                            "Nothing was saved.", review=current)
        if item_gone:
            return SaveConflict("left", "This trace was taken out of its queue meanwhile. Nothing was saved.")
        return None
    if current is None:
        return SaveConflict("deleted", "The review you were editing was deleted meanwhile. Nothing was saved.")
    if basis != basis_of(current):
        return SaveConflict("changed", f"{_name(current.reviewed_by)} saved this review again meanwhile. "
                                       "Nothing was saved.", review=current)
    return None


def _live(item: ReviewQueueItem | None) -> ReviewQueueItem | None:
    """The item if it still waits in its queue (neither it nor the queue deleted), else None."""
    return item if item is not None and queue_items.is_live(item) else None


@refusal_rolls_back
def submit_review(
    project_id: int,
    actor: User,
    *,
    trace_id: Any = None,
    item: ReviewQueueItem | None = None,
    queue: ReviewQueue | None = None,
    basis: str | None = "",
    comment: Any = None,
    scores: Any = (),
    time_spent_seconds: Any = None,
    overwrite: bool = False,
    locked_review: Any = reviews.ABSENT,
    known_scorers: Iterable[tuple[ScoreDefinition, ScoreDefinitionVersion]] = (),
) -> TraceReview:
    """The review page's save of a trace (from a queue `item`, or the trace page), as one transaction.

    On top of save_review's rules: the review page's rule on required scorers (`queue`'s; MissingScores), and
    nobody's work is overwritten unasked — when another reviewer holds the trace, or its review is not the one
    the page showed (`basis`: basis_of that review, "" for none), SaveConflict, and nothing changes. The same
    call with overwrite=True saves anyway: it takes the trace over (ending the holder's lease) and saves as an
    edit of the review there is now. Saving completes the trace's pending item.

    `locked_review`, the trace's live review (or None) as the caller read it with `lock=True` in this transaction
    (the review page reads it to build its panel), is not read again; nor are `known_scorers` (validate_scores)."""
    trace_id = item.trace_id if item is not None else queue_items.clean_trace_id(trace_id)
    new_comment = reviews.clean_comment(comment)
    validated = validate_scores(project_id, list(scores), known=known_scorers)
    check_required(project_id, queue, validated, new_comment)
    seconds = reviews.clean_time_spent(time_spent_seconds)

    pending = item if item is not None else queue_items.pending_item_for_trace(project_id, trace_id)
    live = _live(pending)  # the trace's item while it still waits in its queue, else None
    if live is not None and claims.held_by_other(live, actor) and not overwrite:
        raise _held(live)
    # The review row first, then the item: the order save_review locks them in, so the two never deadlock.
    current = locked_review
    if locked_review is reviews.ABSENT:
        current = reviews.active_review_for_trace(project_id, trace_id, lock=True)
    # Taken and completed in one statement, on a claim's terms: nobody else's live claim may be in the way.
    if live is not None and not claims.take_and_complete(live, actor, take_over=overwrite):
        # Claimed or completed by someone else between our read and our write: look again.
        db.session.rollback()
        live = _live(db.session.get(ReviewQueueItem, live.id, populate_existing=True))
        if live is not None:  # a take-over fails only on an item that left its queue
            raise _held(live)
        current = reviews.active_review_for_trace(project_id, trace_id, lock=True)
    if not overwrite:
        conflict = _basis_conflict(basis, current, item_gone=item is not None and live is None)
        if conflict is not None:
            raise conflict
    try:
        return reviews.write(project_id, actor, current, trace_id, new_comment, validated,
                             live.queue if live is not None else None, seconds, item_done=live is not None)
    except reviews.AlreadyReviewed:
        # Created by someone else after we looked (the unique index decided).
        raise SaveConflict("reviewed", "Someone reviewed this trace meanwhile. Nothing was saved.",
                           review=reviews.active_review_for_trace(project_id, trace_id)) from None
