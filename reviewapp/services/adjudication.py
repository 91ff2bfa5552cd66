"""Adjudication: the items of a queue whose judgments disagree, one item's judgments side by side with their
differences, and an admin's decision, which writes the trace's final review (resolution "adjudicated")."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select

from reviewapp.extensions import db
from reviewapp.models import (
    Judgment,
    JudgmentScore,
    ReviewQueue,
    ReviewQueueItem,
    ScoreDefinition,
    Trace,
    TraceReview,
    User,
)
from reviewapp.services import judgments as judgment_service
from reviewapp.services import queues, reviews, scorers
from reviewapp.services.common import clean_text, load_by_id, refusal_rolls_back
from reviewapp.services.errors import Conflict, ValidationError
from reviewapp.services.score_validation import validate_scores
from reviewapp.services.scorer_config import format_decimal

NEEDS_DECISION = "needs_decision"
SCORERS_MAX = 500

ALREADY_DECIDED = "This trace was already settled{by}: your decision was not saved."
NOT_WAITING = "This trace is not waiting for a decision: its judgments are not all in yet."
LEFT_QUEUE = "This trace was taken out of its queue: there is nothing to decide."
NOTHING_DECIDED = "Nothing to save: give at least one score or a note."


class NotDecidable(Conflict):
    """The item cannot be decided (any more): `kind` is "decided" (settled meanwhile; `review` is the final review),
    "not_waiting" (its judgments are not all in) or "left" (taken out of its queue)."""

    def __init__(self, kind: str, detail: str, review: TraceReview | None = None):
        super().__init__(detail)
        self.kind = kind
        self.review = review


# --- the list of items waiting for a decision -------------------------------------------------------------

def _waiting(project_id: int, queue_id: uuid.UUID) -> list[Any]:
    return [ReviewQueueItem.project_id == project_id, ReviewQueueItem.queue_id == queue_id,
            ReviewQueueItem.deleted_at.is_(None), ReviewQueueItem.state == NEEDS_DECISION]


@dataclass
class Waiting:
    """An item waiting for a decision, with its stored trace (None until its events arrive) and judgments."""

    item: ReviewQueueItem
    trace: Trace | None
    judgments: list[Judgment]

    @property
    def differing(self) -> list[ScoreDefinition]:
        """The scorers the judgments differ on, by name (from the loaded judgments: no query)."""
        return [row.definition for row in _rows(self.judgments, []) if row.differ]


def waiting_count(project_id: int, queue_id: uuid.UUID) -> int:
    """How many of the queue's items wait for a decision: one query."""
    return db.session.scalar(select(func.count(ReviewQueueItem.id)).where(*_waiting(project_id, queue_id))) or 0


def next_waiting(project_id: int, queue_id: uuid.UUID) -> ReviewQueueItem | None:
    """The queue's oldest item waiting for a decision (where Save decision goes next)."""
    return db.session.scalar(select(ReviewQueueItem).where(*_waiting(project_id, queue_id))
                             .order_by(ReviewQueueItem.created_at.asc(), ReviewQueueItem.id.asc()).limit(1))


def needs_decision(project_id: int, queue_id: uuid.UUID | str, *, limit: int = 100,
                   offset: int = 0) -> tuple[list[Waiting], int]:
    """A page of the queue's live items whose judgments disagree, oldest first, with their traces and
    judgments (and those judgments' scores and reviewers): the same few queries whatever the page size."""
    queue = queues.load_queue(project_id, queue_id)
    conditions = _waiting(project_id, queue.id)
    total = db.session.scalar(select(func.count(ReviewQueueItem.id)).where(*conditions)) or 0
    joined = and_(Trace.project_id == ReviewQueueItem.project_id, Trace.trace_id == ReviewQueueItem.trace_id)
    rows = db.session.execute(
        select(ReviewQueueItem, Trace).outerjoin(Trace, joined).where(*conditions)
        .order_by(ReviewQueueItem.created_at.asc(), ReviewQueueItem.id.asc()).limit(limit).offset(offset)).all()
    by_item: dict[uuid.UUID, list[Judgment]] = {item.id: [] for item, _ in rows}
    if by_item:
        for judgment in db.session.scalars(select(Judgment).where(Judgment.item_id.in_(list(by_item)))
                                           .order_by(Judgment.created_at, Judgment.id)):
            by_item[judgment.item_id].append(judgment)
    return [Waiting(item, trace, by_item[item.id]) for item, trace in rows], total


# --- one item's judgments side by side -------------------------------------------------------------------

def _value_key(score: JudgmentScore | None) -> Any:
    """What two judgments must share to agree on a scorer (None: not answered)."""
    if score is None:
        return None
    if score.categorical_values is not None:
        return ("categorical", tuple(sorted(score.categorical_values)))
    if score.numeric_value is not None:
        return ("numeric", Decimal(score.numeric_value))
    return ("boolean", score.boolean_value)


@dataclass
class ScorerRow:
    """One scorer across the judgments: each judgment's score (None where it gave none), in column order."""

    definition: ScoreDefinition
    asked: bool  # the queue asks for this scorer
    scores: list[JudgmentScore | None]

    @property
    def differ(self) -> bool:
        return len({_value_key(score) for score in self.scores}) > 1

    @property
    def spread(self) -> Decimal | None:
        """For a numeric scorer: the largest minus the smallest value given."""
        numbers = [Decimal(s.numeric_value) for s in self.scores if s is not None and s.numeric_value is not None]
        return max(numbers) - min(numbers) if len(numbers) > 1 else None

    @property
    def spread_text(self) -> str | None:
        spread = self.spread
        return None if spread is None else format_decimal(spread)

    @property
    def first_answer(self) -> JudgmentScore | None:
        return next((score for score in self.scores if score is not None), None)


@dataclass
class Decision:
    """An item as the decision page shows it."""

    item: ReviewQueueItem
    judgments: list[Judgment]
    rows: list[ScorerRow]
    review: TraceReview | None  # the trace's final review, once there is one

    @property
    def queue(self) -> ReviewQueue:
        return self.item.queue

    @property
    def waiting(self) -> bool:
        return self.item.deleted_at is None and self.item.queue.deleted_at is None \
            and self.item.state == NEEDS_DECISION

    @property
    def differing(self) -> list[ScorerRow]:
        return [row for row in self.rows if row.differ]


def _load_item(project_id: int, item_id: uuid.UUID | str, *, lock: bool = False) -> ReviewQueueItem:
    query = select(ReviewQueueItem).where(ReviewQueueItem.project_id == project_id)
    if lock:  # concurrent decisions of one item run one after the other, each seeing the other's result
        query = query.with_for_update(of=ReviewQueueItem).execution_options(populate_existing=True)
    return load_by_id(query, ReviewQueueItem.id, item_id)


def _rows(judgments: list[Judgment], asked: list[ScoreDefinition]) -> list[ScorerRow]:
    """A row per scorer: the `asked` ones in order, then any other a judgment answered, by name."""
    shown = list(asked)
    others = {s.definition_id: s.definition for j in judgments for s in j.scores if s.definition not in asked}
    shown += sorted(others.values(), key=lambda d: (d.name.lower(), d.name, str(d.id)))
    answers = [{score.definition_id: score for score in judgment.scores} for judgment in judgments]
    return [ScorerRow(d, d in asked, [a.get(d.id) for a in answers]) for d in shown]


def decision(project_id: int, item_id: uuid.UUID | str) -> Decision:
    """The item's judgments side by side: a row per scorer — the queue's scorers in its order (every active
    scorer by name when it chose none), then any other scorer a judgment answered — and a column per judgment."""
    item = _load_item(project_id, item_id)
    judgments = judgment_service.judgments_for_item(item.id)
    chosen = queues.queue_scorer_ids(item.queue)
    everything = {d.id: d for d in scorers.definitions_by_name(project_id, archived=None, limit=SCORERS_MAX)}
    asked = [everything[i] for i in chosen if i in everything] if chosen else \
        [d for d in everything.values() if not d.archived]
    rows = _rows(judgments, asked)
    review = None if item.deleted_at is None else reviews.active_review_for_trace(project_id, item.trace_id)
    return Decision(item, judgments, rows, review)


# --- deciding --------------------------------------------------------------------------------------------

def _refusal(project_id: int, item: ReviewQueueItem) -> NotDecidable | None:
    """Why the (locked) item cannot be decided now; None when it waits for a decision."""
    if item.deleted_at is not None and item.deleted_reason == "reviewed":
        review = reviews.active_review_for_trace(project_id, item.trace_id)
        by = f" by {review.reviewed_by.display_name}" if review is not None and review.reviewed_by else ""
        return NotDecidable("decided", ALREADY_DECIDED.format(by=by), review)
    if item.deleted_at is not None or item.queue.deleted_at is not None:
        return NotDecidable("left", LEFT_QUEUE)
    if item.state != NEEDS_DECISION:
        return NotDecidable("not_waiting", NOT_WAITING)
    return None


@refusal_rolls_back
def decide(project_id: int, actor: User, item_id: uuid.UUID | str, *, scores: Any, comment: Any) -> TraceReview:
    """Settle an item whose judgments disagree (admins only: the caller checks the role): `scores` are the final
    values (a judgment's, or the adjudicator's own), `comment` the adjudicator's note. Writes the trace's final
    review (resolution "adjudicated", created and reviewed by the actor) and completes the item, under the item's
    row lock: of two admins deciding at once one wins, the other is refused (NotDecidable) and nothing of theirs
    is saved."""
    note = clean_text(comment, "comment", max_length=reviews.COMMENT_MAX, required=False) or None
    item = _load_item(project_id, item_id, lock=True)
    refusal = _refusal(project_id, item)
    if refusal is not None:
        raise refusal
    validated = validate_scores(project_id, scores)
    if not validated and not note:
        raise ValidationError(NOTHING_DECIDED, "scores", "required")
    return reviews.write_settled_review(project_id, actor, trace_id=item.trace_id, scores=validated, comment=note,
                                        queue=item.queue, resolution="adjudicated")
