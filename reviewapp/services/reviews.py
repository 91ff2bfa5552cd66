"""Trace reviews and their scores: saving a review (which completes the trace's queue item in the same
transaction), soft deletion, and the filtered list. Each score is checked by services/score_validation.py; the
review page's own rules on saving (required scorers, no silent overwrite) are services/submissions.py's."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, exists, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from reviewapp.extensions import db
from reviewapp.models import (
    Membership,
    ReviewQueue,
    TraceReview,
    TraceReviewScore,
    User,
    utcnow,
    uuid7,
)
from reviewapp.services import queue_items, queues, review_history, score_rows, visibility
from reviewapp.services.common import (
    clean_text,
    commit_keeping_state,
    contains,
    load_by_id,
    ordering,
    refusal_rolls_back,
)
from reviewapp.services.errors import ValidationError
from reviewapp.services.score_validation import ValidatedScore, validate_scores
from reviewapp.services.scorer_config import to_decimal

COMMENT_MAX = 20_000
TIME_SPENT_MAX = 7 * 24 * 3600  # per save
TIME_SPENT_TOTAL_MAX = 10 ** 8  # what the column holds, with room to spare
ORDERS = {"updated_at": TraceReview.updated_at, "created_at": TraceReview.created_at}

ALREADY_REVIEWED = "An active review already exists for this trace."
TRACE_CHANGE = "The trace of a review cannot be changed. Delete this review and review the other trace instead."
CHANGED_WHILE_SAVING = "This review was changed by someone else while saving. Reload it and try again."
JUDGE_IT_FIRST = ("This trace is pending in a blind queue where you have not answered it yet: answer it in that queue "
                  "first; until then it cannot be reviewed directly.")


class AlreadyReviewed(ValidationError):
    """The trace already has an active review (PostHog's 400 on trace_id); the review page turns it into a
    conflict the reviewer resolves."""

    def __init__(self):
        super().__init__(ALREADY_REVIEWED, "trace_id")


class _Absent:
    """A keyword left out by the caller (as opposed to given as None)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass
class ReviewFilters:
    """What the review list, the export and the Reviews page filter by; None means no filter."""

    trace_id: str | None = None
    trace_ids: list[str] | None = None
    definition_id: uuid.UUID | None = None
    definition_ids: list[uuid.UUID] | None = None  # reviews scoring any of these
    search: str | None = None  # substring of trace id or comment
    queue_id: uuid.UUID | None = None
    reviewer_id: int | None = None
    failing: bool = False  # reviews with at least one failing score (of `definition_id`, when given)
    visible_to: Membership | None = None  # only the reviews blind review lets this member see (services.visibility)


# --- loading and listing -----------------------------------------------------------------------------

def _locked(query):
    """`query` holding the review's row until commit (PostgreSQL), read afresh. Its users come by a second
    statement, once the lock is held: a statement that waited for the lock re-reads the locked row only, so a
    joined user would still be the one the review named before the save it waited for (or none)."""
    return (query.with_for_update(of=TraceReview)
            .options(selectinload(TraceReview.created_by), selectinload(TraceReview.reviewed_by))
            .execution_options(populate_existing=True))


def load_review(project_id: int, review_id: uuid.UUID | str, *, lock: bool = False) -> TraceReview:
    """A live review of this project, or NotFound. `lock` holds its row until commit (PostgreSQL), so
    concurrent saves of one review run one after the other, each on the other's result."""
    query = select(TraceReview).where(TraceReview.project_id == project_id, TraceReview.deleted_at.is_(None))
    return load_by_id(_locked(query) if lock else query, TraceReview.id, review_id)


def active_review_for_trace(project_id: int, trace_id: str, *, lock: bool = False) -> TraceReview | None:
    """The trace's live review, if any. `lock` holds its row until commit (PostgreSQL), as load_review does."""
    return db.session.scalar(_LOCKED_ACTIVE_REVIEW if lock else _ACTIVE_REVIEW,
                             {"project_id": project_id, "trace_id": trace_id})


# Built once: the review loop reads the trace's review on every step.
_ACTIVE_REVIEW = select(TraceReview).where(TraceReview.project_id == bindparam("project_id"),
                                           TraceReview.trace_id == bindparam("trace_id"),
                                           TraceReview.deleted_at.is_(None))
_LOCKED_ACTIVE_REVIEW = _locked(_ACTIVE_REVIEW)


def review_conditions(project_id: int, filters: ReviewFilters) -> list[Any]:
    """The WHERE clause of live reviews matching `filters`; shared by the list, the export and the pages."""
    conditions: list[Any] = [TraceReview.project_id == project_id, TraceReview.deleted_at.is_(None)]
    if filters.trace_id is not None:
        conditions.append(TraceReview.trace_id == filters.trace_id)
    if filters.trace_ids is not None:
        conditions.append(TraceReview.trace_id.in_(filters.trace_ids))
    one_definition = [filters.definition_id] if filters.definition_id is not None else None
    for wanted in (one_definition, filters.definition_ids):
        if wanted is not None:
            conditions.append(exists().where(TraceReviewScore.review_id == TraceReview.id,
                                             TraceReviewScore.definition_id.in_(wanted)))
    if filters.search:
        pattern = contains(filters.search)
        conditions.append(or_(TraceReview.trace_id.ilike(pattern, escape="\\"),
                              TraceReview.comment.ilike(pattern, escape="\\")))
    if filters.queue_id is not None:
        conditions.append(TraceReview.queue_id == filters.queue_id)
    if filters.reviewer_id is not None:
        conditions.append(TraceReview.reviewed_by_id == filters.reviewer_id)
    if filters.failing:
        failed = [TraceReviewScore.project_id == project_id, TraceReviewScore.review_id == TraceReview.id,
                  TraceReviewScore.passed == false()]  # "= false", which the (project_id, passed) index serves
        if filters.definition_id is not None:  # failing on the scorer the list is filtered by
            failed.append(TraceReviewScore.definition_id == filters.definition_id)
        conditions.append(exists().where(*failed))
    if filters.visible_to is not None:
        conditions.extend(visibility.where_visible(filters.visible_to, TraceReview.trace_id))
    return conditions


def list_reviews(project_id: int, filters: ReviewFilters | None = None, *, order: str | None = None,
                 limit: int = 100, offset: int = 0) -> tuple[list[TraceReview], int]:
    """A page of live reviews, newest update first by default: the total, the reviews with their users, and
    their scores with scorers — three queries whatever the page size."""
    conditions = review_conditions(project_id, filters or ReviewFilters())
    total = db.session.scalar(select(func.count(TraceReview.id)).where(*conditions)) or 0
    order_by = ordering(order, ORDERS, [TraceReview.updated_at.desc(), TraceReview.id.desc()], TraceReview.id)
    reviews = db.session.scalars(
        select(TraceReview).where(*conditions).order_by(*order_by).limit(limit).offset(offset)
    ).all()
    return list(reviews), total


def sorted_scores(review: TraceReview) -> list[TraceReviewScore]:
    """A review's scores in the order people read them: by scorer name."""
    return sorted(review.scores, key=lambda s: (s.definition.name.lower(), s.definition.name, str(s.definition_id)))


# --- saving ------------------------------------------------------------------------------------------

def clean_comment(raw: Any) -> str | None:
    return clean_text(raw, "comment", max_length=COMMENT_MAX, required=False) or None


def clean_time_spent(raw: Any) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = to_decimal(raw, "time_spent_seconds", error=ValidationError)
    except ValidationError:
        raise ValidationError("A valid number of seconds is required.", "time_spent_seconds") from None
    if value is None or value < 0 or value > TIME_SPENT_MAX:
        raise ValidationError(f"Must be between 0 and {TIME_SPENT_MAX} seconds.", "time_spent_seconds")
    return float(value.quantize(Decimal("0.001")))


def add_time_spent(recorded: float | None, seconds: float) -> float:
    """Time spent after one more save of a review or judgment (its first save, or an edit): the save's seconds
    added to what is recorded, bounded by what the column holds."""
    return min((recorded or 0) + seconds, TIME_SPENT_TOTAL_MAX)


@refusal_rolls_back
def save_review(
    project_id: int,
    actor: User,
    *,
    trace_id: Any = None,
    review_id: uuid.UUID | str | None = None,
    comment: Any = ABSENT,
    scores: Any = ABSENT,
    queue_id: Any = None,
    time_spent_seconds: Any = None,
    visible_to: Membership | None = None,
) -> TraceReview:
    """Create the trace's review (no `review_id`) or update one, and complete the trace's pending queue item
    (only in `queue_id`, when given) in the same transaction.

    `comment` and `scores` left out keep what the review has; `scores` given replaces the whole set.
    `time_spent_seconds` is added to the time already recorded. The actor becomes `reviewed_by`.

    `visible_to` (the actor's membership) applies blind review to a creation: while it hides the trace's other
    work from them, they cannot review it directly (their answer goes in as a judgment), whether or not it has a
    review already, so the refusal tells nothing blind review hides ("already reviewed" would). Reviewing the
    item where it waits, in a queue with one reviewer per trace, is that queue's own way of reviewing it."""
    review = None if review_id is None else load_review(project_id, review_id, lock=True)
    if review is None:
        trace_id = queue_items.clean_trace_id(trace_id)
    else:
        if trace_id is not None and queue_items.clean_trace_id(trace_id) != review.trace_id:
            raise ValidationError(TRACE_CHANGE, "trace_id")
        trace_id = review.trace_id
    new_comment = ABSENT if comment is ABSENT else clean_comment(comment)
    new_scores = None if scores is ABSENT else validate_scores(project_id, scores)
    queue = None if queue_id is None or queue_id == "" else queues.queue_for_body(project_id, queue_id)
    seconds = clean_time_spent(time_spent_seconds)
    if review is None and visible_to is not None and not _its_own_queue(project_id, trace_id, queue) \
            and not visibility.can_see_others_work(visible_to, trace_id):
        raise ValidationError(JUDGE_IT_FIRST, "trace_id")
    if review is None and active_review_for_trace(project_id, trace_id) is not None:
        raise AlreadyReviewed()
    return write(project_id, actor, review, trace_id, new_comment, new_scores, queue, seconds)


def _its_own_queue(project_id: int, trace_id: str, queue: ReviewQueue | None) -> bool:
    """Whether the review is saved in the queue where the trace waits, a queue with one reviewer per trace."""
    if queue is None or queue.takes_judgments:
        return False
    pending = queue_items.pending_item_for_trace(project_id, trace_id)
    return pending is not None and pending.queue_id == queue.id


def write_settled_review(project_id: int, actor: User, *, trace_id: str, scores: list[ValidatedScore],
                         comment: str | None, queue: ReviewQueue, resolution: str) -> TraceReview:
    """The final review of a trace whose judgments settled it: "consensus" (they agreed; the actor is the judge
    whose save completed them) or "adjudicated" (the actor decided). Written with whatever the caller has added
    to the session (the judgment, the decision), completing the trace's item in `queue`, in one transaction;
    a review someone saved directly meanwhile is updated, with its history."""
    review = active_review_for_trace(project_id, trace_id, lock=True)
    action = review_history.ADJUDICATED if resolution == "adjudicated" else None
    return write(project_id, actor, review, trace_id, comment, scores, queue, None, resolution=resolution,
                  action=action)


def write(project_id: int, actor: User, review: TraceReview | None, trace_id: str, new_comment: Any,
           new_scores: list[ValidatedScore] | None, queue: ReviewQueue | None, seconds: float | None, *,
           resolution: str | None = None, action: str | None = None, item_done: bool = False) -> TraceReview:
    """Store checked values (ABSENT / None leave the comment / scores as they are) and complete the trace's
    pending item (only in `queue`, when given), in one transaction. `resolution` says how a settled review came
    about (a new review is otherwise "single"); `action` names the history entry (created or updated).
    `item_done`: the caller completed the item already, in this transaction (claims.take_and_complete)."""
    now = utcnow()
    creating = review is None
    before = None if review is None else review_history.snapshot(review)
    try:
        # The relationships, not only their ids: the session is not expired on commit, so the review answered
        # must already name its reviewer. (`actor` may be a proxy of the signed-in user; get() gives the row,
        # from the identity map without a query.)
        reviewer = db.session.get(User, actor.id)
        if review is None:
            # Its id now, not at the flush: the history entry written with it names it.
            review = TraceReview(id=uuid7(), project_id=project_id, trace_id=trace_id, created_by=reviewer,
                                 created_at=now, scores=[])
            db.session.add(review)
        review.reviewed_by = reviewer
        review.updated_at = now
        if resolution is not None:
            review.resolution = resolution
        if new_comment is not ABSENT:
            review.comment = new_comment
        if new_scores is not None:
            _replace_scores(review, new_scores, now)
        if seconds is not None:
            review.time_spent_seconds = add_time_spent(review.time_spent_seconds, seconds)
        if queue is not None:
            review.queue_id = queue.id
        else:
            pending = queue_items.pending_item_for_trace(project_id, trace_id)
            if pending is not None:
                review.queue_id = pending.queue_id
        if item_done:  # the review written first: the history entry names it by id, which orders no flush
            db.session.flush()
        else:  # (its update flushes the review first)
            queue_items.complete_items(project_id, trace_id, queue.id if queue else None)
        action = action or (review_history.CREATED if creating else review_history.UPDATED)
        review_history.record(review, actor, action, before, review_history.snapshot(review), now)
        commit_keeping_state()
    except IntegrityError:
        # Another request saved first: a second review of the trace, or the same scorer added twice.
        db.session.rollback()
        if creating:
            raise AlreadyReviewed() from None
        raise ValidationError(CHANGED_WHILE_SAVING, "scores") from None
    return review


def _replace_scores(review: TraceReview, validated: list[ValidatedScore], now) -> None:
    """Make the review's scores exactly `validated`: unchanged scores keep their row and timestamps."""
    score_rows.replace_scores(review.scores, TraceReviewScore, review.project_id, validated, now)


@refusal_rolls_back
def delete_review(project_id: int, actor: User, review_id: uuid.UUID | str) -> None:
    """Soft-delete: the review disappears and the trace may be reviewed (or queued) again; its history keeps
    what it held."""
    review = load_review(project_id, review_id, lock=True)
    now = utcnow()
    before = review_history.snapshot(review)
    review.deleted_at = now
    review.updated_at = now
    review_history.record(review, actor, review_history.DELETED, before, None, now)
    db.session.commit()
