"""Review queues: names, descriptions, scorers and required scorers, review settings (services/queue_settings.py),
soft deletion, and the per-queue counts the queue pages show. Their items live in services/queue_items.py, claims
on items in services/claims.py."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, ScalarSelect, Select, case, false, func, select, true, update
from sqlalchemy.orm import selectinload

from reviewapp.extensions import db
from reviewapp.models import (
    ItemClaim,
    Membership,
    QueueScorer,
    ReviewQueue,
    ReviewQueueItem,
    ScoreDefinition,
    TraceReview,
    TraceReviewScore,
    User,
    utcnow,
)
from reviewapp.services import queue_settings
from reviewapp.services.common import (
    as_uuid,
    clean_text,
    commit_or,
    contains,
    load_by_id,
    ordering,
    refusal_rolls_back,
)
from reviewapp.services.errors import NotFound, ValidationError, required
from reviewapp.services.visibility import where_visible

NAME_MAX = 255
DESCRIPTION_MAX = 10_000

QUEUE_NOT_FOUND = "Review queue not found."
DUPLICATE_NAME = "A queue with this name already exists."

QUEUE_ORDERS = {"name": ReviewQueue.name, "updated_at": ReviewQueue.updated_at, "created_at": ReviewQueue.created_at}


# --- queues ------------------------------------------------------------------------------------------

def pending_count_column():
    """The live item count of a queue, as a correlated subquery usable in any select of ReviewQueue. count(*),
    not count(id): it needs no column, so PostgreSQL counts entries of the narrowest live index on queue_id."""
    return (
        select(func.count())
        .select_from(ReviewQueueItem)
        .where(ReviewQueueItem.queue_id == ReviewQueue.id, ReviewQueueItem.deleted_at.is_(None))
        .correlate(ReviewQueue)
        .scalar_subquery()
        .label("pending_item_count")
    )


def _live_queues(project_id: int) -> Select:
    return select(ReviewQueue).where(ReviewQueue.project_id == project_id, ReviewQueue.deleted_at.is_(None))


def load_queue(project_id: int, queue_id: uuid.UUID | str) -> ReviewQueue:
    """A live queue of this project, or NotFound."""
    return load_by_id(_live_queues(project_id), ReviewQueue.id, queue_id)


def load_queue_with_count(project_id: int, queue_id: uuid.UUID | str) -> tuple[ReviewQueue, int]:
    """A live queue of this project with its pending count (one query), or NotFound."""
    found_id = as_uuid(queue_id)
    row = found_id and db.session.execute(
        _live_queues(project_id).add_columns(pending_count_column()).where(ReviewQueue.id == found_id)
    ).first()
    if not row:
        raise NotFound()
    return row[0], row[1]


def queue_for_body(project_id: int, raw: Any, attr: str = "queue_id") -> ReviewQueue:
    """The queue named in a request body: missing → required, malformed or not live here → 400 on `attr`."""
    if raw is None or raw == "":
        raise required(attr)
    queue_id = as_uuid(raw)
    if queue_id is None:
        raise ValidationError(f"“{raw}” is not a valid UUID.", attr)
    queue = db.session.scalar(_live_queues(project_id).where(ReviewQueue.id == queue_id))
    if queue is None:
        raise ValidationError(QUEUE_NOT_FOUND, attr)
    return queue


def list_queues(
    project_id: int,
    *,
    search: str | None = None,
    name: str | None = None,
    order: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[tuple[ReviewQueue, int]], int]:
    """A page of live queues with their pending counts (one query) and the total (one query)."""
    conditions = [ReviewQueue.project_id == project_id, ReviewQueue.deleted_at.is_(None)]
    if search:
        conditions.append(ReviewQueue.name.ilike(contains(search), escape="\\"))
    if name is not None:
        conditions.append(ReviewQueue.name == name)
    total = db.session.scalar(select(func.count(ReviewQueue.id)).where(*conditions)) or 0
    order_by = ordering(order, QUEUE_ORDERS, [ReviewQueue.name.asc(), ReviewQueue.id.asc()], ReviewQueue.id)
    rows = db.session.execute(
        select(ReviewQueue, pending_count_column())
        .where(*conditions)
        .options(selectinload(ReviewQueue.scorers))
        .order_by(*order_by)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(queue, count) for queue, count in rows], total


def _name_taken(project_id: int, name: str, excluding: uuid.UUID | None = None) -> bool:
    query = select(ReviewQueue.id).where(
        ReviewQueue.project_id == project_id, ReviewQueue.deleted_at.is_(None), ReviewQueue.name == name
    )
    if excluding is not None:
        query = query.where(ReviewQueue.id != excluding)
    return db.session.scalar(query.limit(1)) is not None


def _clean_scorer_ids(project_id: int, raw: Any, attr: str = "scorer_ids") -> list[uuid.UUID]:
    if not isinstance(raw, (list, tuple)):
        raise ValidationError("Expected a list of scorer ids.", attr)
    ids: list[uuid.UUID] = []
    for value in raw:
        scorer_id = as_uuid(value)
        if scorer_id is None:
            raise ValidationError(f"“{value}” is not a valid UUID.", attr)
        if scorer_id not in ids:
            ids.append(scorer_id)
    if ids:
        found = set(db.session.scalars(
            select(ScoreDefinition.id).where(ScoreDefinition.project_id == project_id, ScoreDefinition.id.in_(ids))
        ))
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise ValidationError(f"Scorer not found: {missing[0]}.", attr)
    return ids


def _clean_required(project_id: int, raw: Any, chosen: list[uuid.UUID]) -> list[str] | None:
    """The queue's required scorers as stored: None (every scorer the queue asks for) or a list of scorer ids,
    each one of the queue's chosen scorers when it chose some."""
    if raw is None:
        return None
    ids = _clean_scorer_ids(project_id, raw, "required_scorer_ids")
    if chosen:
        outside = [i for i in ids if i not in chosen]
        if outside:
            raise ValidationError(f"Scorer {outside[0]} is required but is not one of this queue's scorers.",
                                  "required_scorer_ids")
    return [str(i) for i in ids]


@refusal_rolls_back
def create_queue(project_id: int, actor: User | None, name: Any, description: Any = None,
                 scorer_ids: Any = None, required_scorer_ids: Any = None, *, settings: dict[str, Any] | None = None,
                 commit: bool = True) -> ReviewQueue:
    """A new queue, with the review `settings` given (reviews_per_trace, blind, numeric_tolerance,
    assignee_ids; the rest default). With commit=False it is only flushed: the caller's transaction (adding its
    first traces) commits it, or rolls it back with them."""
    name = clean_text(name, "name", max_length=NAME_MAX)
    description = clean_text(description, "description", max_length=DESCRIPTION_MAX, required=False)
    scorers = _clean_scorer_ids(project_id, scorer_ids) if scorer_ids is not None else []
    required = _clean_required(project_id, required_scorer_ids, scorers)
    queue = ReviewQueue(project_id=project_id, name=name, description=description,
                        created_by_id=actor.id if actor else None, required_scorer_ids=required)
    queue_settings.apply(project_id, queue, settings or {}, new=True)
    if _name_taken(project_id, name):
        raise ValidationError(DUPLICATE_NAME, "name")
    queue.scorers = [QueueScorer(definition_id=sid, position=i) for i, sid in enumerate(scorers)]
    db.session.add(queue)
    commit_or(ValidationError(DUPLICATE_NAME, "name"), commit=commit)
    return queue


@refusal_rolls_back
def update_queue(project_id: int, actor: User | None, queue_id: uuid.UUID | str, data: dict[str, Any]) -> ReviewQueue:
    """Rename, re-describe, re-choose scorers or required scorers, change the review settings; keys absent from
    `data` are left alone. A required scorer the queue no longer asks for stops being required."""
    queue = load_queue(project_id, queue_id)
    if "name" in data:
        name = clean_text(data["name"], "name", max_length=NAME_MAX)
        if _name_taken(project_id, name, excluding=queue.id):
            raise ValidationError(DUPLICATE_NAME, "name")
        queue.name = name
    if "description" in data:
        queue.description = clean_text(data["description"], "description", max_length=DESCRIPTION_MAX,
                                       required=False)
    chosen = queue_scorer_ids(queue)
    if "scorer_ids" in data:
        chosen = _clean_scorer_ids(project_id, data["scorer_ids"] or [])
        queue.scorers = [QueueScorer(definition_id=sid, position=i) for i, sid in enumerate(chosen)]
    if "required_scorer_ids" in data:
        queue.required_scorer_ids = _clean_required(project_id, data["required_scorer_ids"], chosen)
    elif queue.required_scorer_ids and chosen:
        queue.required_scorer_ids = [i for i in queue.required_scorer_ids if uuid.UUID(i) in chosen]
    queue_settings.apply(project_id, queue, data, new=False)
    queue.updated_at = utcnow()
    commit_or(ValidationError(DUPLICATE_NAME, "name"))
    return queue


@refusal_rolls_back
def delete_queue(project_id: int, actor: User | None, queue_id: uuid.UUID | str) -> None:
    """Soft-delete the queue and all its live items in one transaction; its name becomes free."""
    queue = load_queue(project_id, queue_id)
    now = utcnow()
    queue.deleted_at = now
    queue.updated_at = now
    db.session.execute(
        update(ReviewQueueItem)
        .where(ReviewQueueItem.queue_id == queue.id, ReviewQueueItem.deleted_at.is_(None))
        .values(deleted_at=now, updated_at=now, deleted_reason="queue_deleted", claimed_by_id=None,
                claim_expires_at=None)
    )
    db.session.commit()


def queue_scorer_ids(queue: ReviewQueue) -> list[uuid.UUID]:
    return [qs.definition_id for qs in queue.scorers]


def required_scorers(project_id: int, queue: ReviewQueue | None) -> list[ScoreDefinition]:
    """The scorers the review page requires answered (unless a comment is given) before it saves a review in
    this queue: the queue's required ones, or by default every scorer it asks for (its chosen scorers, or every
    active one when it chose none). Without a queue, every active scorer. Archived scorers are never required."""
    chosen = queue_scorer_ids(queue) if queue is not None else []
    query = select(ScoreDefinition).where(ScoreDefinition.project_id == project_id,
                                          ScoreDefinition.archived.is_(False))
    if chosen:
        query = query.where(ScoreDefinition.id.in_(chosen))
    required = queue.required_scorer_ids if queue is not None else None
    if required is not None:
        if not required:
            return []
        query = query.where(ScoreDefinition.id.in_([uuid.UUID(i) for i in required]))
    found = {d.id: d for d in db.session.scalars(query)}
    order = chosen or sorted(found, key=lambda i: (found[i].name, str(i)))
    return [found[i] for i in order if i in found]


# --- for the queue pages -----------------------------------------------------------------------------

def reviewed_counts(project_id: int, queue_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many items of each queue left it because they were reviewed (one grouped query)."""
    ids = list(queue_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ReviewQueueItem.queue_id, func.count(ReviewQueueItem.id))
        .where(ReviewQueueItem.project_id == project_id, ReviewQueueItem.queue_id.in_(ids),
               ReviewQueueItem.deleted_reason == "reviewed")
        .group_by(ReviewQueueItem.queue_id)
    ).all()
    return {queue_id: count for queue_id, count in rows}


def state_counts(project_id: int, queue_id: uuid.UUID) -> dict[str, int]:
    """The queue's live items by state ("pending", "needs_decision"), one grouped query."""
    rows = db.session.execute(
        select(ReviewQueueItem.state, func.count(ReviewQueueItem.id))
        .where(ReviewQueueItem.project_id == project_id, ReviewQueueItem.queue_id == queue_id,
               ReviewQueueItem.deleted_at.is_(None))
        .group_by(ReviewQueueItem.state)
    ).all()
    return {"pending": 0, "needs_decision": 0} | {state: count for state, count in rows}


def judges_now(item_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[User]]:
    """Who holds a live claim on each item of a queue with several reviewers per trace, by name (one query)."""
    ids = list(item_ids)
    if not ids:
        return {}
    held: dict[uuid.UUID, list[User]] = {}
    for claim in db.session.scalars(
        select(ItemClaim).where(ItemClaim.item_id.in_(ids), ItemClaim.expires_at > utcnow())
        .order_by(ItemClaim.created_at, ItemClaim.user_id)
    ):
        held.setdefault(claim.item_id, []).append(claim.user)
    return held


@dataclass
class VerdictCount:
    """How the scores one scorer got in a queue's reviews fared against their passing rules."""

    definition_id: uuid.UUID
    name: str
    passed: int
    failed: int
    first_version: int  # the versions the verdicts were made under: a rule may have changed in between
    last_version: int

    @property
    def decided(self) -> int:
        return self.passed + self.failed

    @property
    def pass_rate(self) -> float:
        return self.passed / self.decided if self.decided else 0.0


def verdict_counts(project_id: int, queue_id: uuid.UUID, visible_to: Membership | None = None) -> list[VerdictCount]:
    """Passed and failed scores per scorer among the queue's live reviews (those blind review lets `visible_to`
    see, if given), by scorer name; scorers whose scores there have no verdict (no passing rule) are left out.
    One grouped query."""
    rows = db.session.execute(
        select(ScoreDefinition.id, ScoreDefinition.name,
               func.sum(case((TraceReviewScore.passed == true(), 1), else_=0)),
               func.sum(case((TraceReviewScore.passed == false(), 1), else_=0)),
               func.min(TraceReviewScore.definition_version), func.max(TraceReviewScore.definition_version))
        .join(TraceReview, TraceReview.id == TraceReviewScore.review_id)
        .join(ScoreDefinition, ScoreDefinition.id == TraceReviewScore.definition_id)
        .where(TraceReview.project_id == project_id, TraceReview.queue_id == queue_id,
               TraceReview.deleted_at.is_(None), TraceReviewScore.passed.is_not(None),
               *([] if visible_to is None else where_visible(visible_to, TraceReview.trace_id)))
        .group_by(ScoreDefinition.id, ScoreDefinition.name)
        .order_by(ScoreDefinition.name, ScoreDefinition.id)
    ).all()
    return [VerdictCount(definition_id, name, int(passed or 0), int(failed or 0), first, last)
            for definition_id, name, passed, failed, first, last in rows]


def queue_names(project_id: int) -> list[tuple[uuid.UUID, str]]:
    """Every live queue's id and name, by name: for pickers (no counts, so it stays cheap on long queues)."""
    return [(queue_id, name) for queue_id, name in db.session.execute(
        select(ReviewQueue.id, ReviewQueue.name).where(ReviewQueue.project_id == project_id,
                                                        ReviewQueue.deleted_at.is_(None))
        .order_by(ReviewQueue.name, ReviewQueue.id)
    )]


def pending_up_to(queue_id: uuid.UUID, cap: int = 1000) -> int:
    """The queue's live item count, counted no further than `cap + 1` (a page then shows "1,000+"): the review
    page asks on every trace, and this stays constant-time however long the queue is."""
    return db.session.scalar(select(pending_up_to_column(queue_id, cap))) or 0


def pending_up_to_column(queue_id: uuid.UUID | BindParameter[Any], cap: int = 1000) -> ScalarSelect:
    """pending_up_to as a column, for a statement that reads it with other things (or, given a bind parameter,
    one built once)."""
    capped = (
        select(ReviewQueueItem.id)
        .where(ReviewQueueItem.queue_id == queue_id, ReviewQueueItem.deleted_at.is_(None))
        .limit(cap + 1)
        .subquery()
    )
    return select(func.count()).select_from(capped).scalar_subquery()
