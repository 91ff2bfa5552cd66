"""Queue items: a trace pending in one queue at most (the contract's refusals, in its order), adding, moving,
removing and completing items, bulk adds, and the item lists. Queues themselves live in services/queues.py and
claims on items in services/claims.py."""
from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    CursorResult,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, lazyload

from reviewapp.extensions import db
from reviewapp.models import ReviewQueue, ReviewQueueItem, Trace, TraceReview, User, utcnow, uuid7
from reviewapp.services import leases
from reviewapp.services.common import as_uuid, chunks, clean_text, contains, ordering, refusal_rolls_back
from reviewapp.services.errors import NotFound, ValidationError, required
from reviewapp.services.queues import queue_for_body

TRACE_ID_MAX = 255
BULK_MAX = 5000

ALREADY_REVIEWED = "This trace is already reviewed and cannot be added to a queue."
PENDING_HERE = "This trace is already pending in this queue."
PENDING_ELSEWHERE = "This trace is already pending in another queue."

ITEM_ORDERS = {"created_at": ReviewQueueItem.created_at, "updated_at": ReviewQueueItem.updated_at}


def _live_items(project_id: int | BindParameter[int]) -> Select:
    return (
        select(ReviewQueueItem)
        .join(ReviewQueue, ReviewQueue.id == ReviewQueueItem.queue_id)
        .where(
            ReviewQueueItem.project_id == project_id,
            ReviewQueueItem.deleted_at.is_(None),
            ReviewQueue.deleted_at.is_(None),
        )
    )


def load_item(project_id: int, item_id: uuid.UUID | str, *, include_done: bool = False,
              people: bool = True) -> ReviewQueueItem:
    """A live item of this project, or NotFound. `include_done` finds it also after it left its queue (reviewed,
    removed, queue deleted): the review page still needs its trace to keep a reviewer's input. Without `people`,
    who added the item and the queue, and who holds the item, are read only if asked (the review pages ask only
    to name someone else's claim): on PostgreSQL the three joins cost more to plan than the rest of the read."""
    found_id = as_uuid(item_id)
    item = found_id and db.session.scalars(_item_statement(include_done, people),
                                           {"project_id": project_id, "item_id": found_id}).unique().first()
    if not item:
        raise NotFound()
    return item


@functools.cache
def _item_statement(include_done: bool, people: bool) -> Select:
    """load_item's statement, built once: the review loop reads an item on every step."""
    project_id: BindParameter[int] = bindparam("project_id")
    if include_done:
        query = select(ReviewQueueItem).where(ReviewQueueItem.project_id == project_id)
        queue: Any = joinedload(ReviewQueueItem.queue)
    else:  # the queue as joined to check it is live, not joined a second time
        query, queue = _live_items(project_id), contains_eager(ReviewQueueItem.queue)
    # With the scorers the queue asks for (the review panel's); its assignees only when a claim asks (the review
    # page renews a lease without them). On PostgreSQL each statement saved is a round trip.
    query = query.options(queue.lazyload(ReviewQueue.assignees), queue.joinedload(ReviewQueue.scorers))
    if not people:
        query = query.options(queue.lazyload(ReviewQueue.created_by), lazyload(ReviewQueueItem.created_by),
                              lazyload(ReviewQueueItem.claimed_by))
    return query.where(ReviewQueueItem.id == bindparam("item_id"))


def is_live(item: ReviewQueueItem) -> bool:
    """Still pending: neither the item nor its queue was deleted."""
    return item.deleted_at is None and item.queue.deleted_at is None


def pending_item_for_trace(project_id: int, trace_id: str) -> ReviewQueueItem | None:
    return db.session.scalar(_live_items(project_id).where(ReviewQueueItem.trace_id == trace_id))


def list_items(
    project_id: int,
    *,
    queue_id: uuid.UUID | None = None,
    trace_id: str | None = None,
    trace_ids: list[str] | None = None,
    search: str | None = None,
    order: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[ReviewQueueItem], int]:
    conditions = []
    if queue_id is not None:
        conditions.append(ReviewQueueItem.queue_id == queue_id)
    if trace_id is not None:
        conditions.append(ReviewQueueItem.trace_id == trace_id)
    if trace_ids is not None:
        conditions.append(ReviewQueueItem.trace_id.in_(trace_ids))
    if search:
        conditions.append(ReviewQueueItem.trace_id.ilike(contains(search), escape="\\"))
    base = _live_items(project_id).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order_by = ordering(order, ITEM_ORDERS, [ReviewQueueItem.created_at.asc(), ReviewQueueItem.id.asc()],
                        ReviewQueueItem.id)
    items = list(db.session.scalars(base.order_by(*order_by).limit(limit).offset(offset)))
    return items, total


def clean_trace_id(raw: Any, attr: str = "trace_id") -> str:
    return clean_text(raw, attr, max_length=TRACE_ID_MAX)


def _has_active_review(project_id: int, trace_id: str) -> bool:
    return bool(db.session.scalar(
        select(exists().where(TraceReview.project_id == project_id, TraceReview.trace_id == trace_id,
                              TraceReview.deleted_at.is_(None)))
    ))


def _pending_refusal(project_id: int, queue_id: uuid.UUID, trace_id: str) -> str | None:
    """Why the trace cannot be added to this queue, in the contract's order; None if it can."""
    if _has_active_review(project_id, trace_id):
        return ALREADY_REVIEWED
    live = db.session.scalar(
        select(ReviewQueueItem.queue_id).where(
            ReviewQueueItem.project_id == project_id, ReviewQueueItem.trace_id == trace_id,
            ReviewQueueItem.deleted_at.is_(None),
        )
    )
    if live is None:
        return None
    return PENDING_HERE if live == queue_id else PENDING_ELSEWHERE


@refusal_rolls_back
def add_item(project_id: int, actor: User | None, queue_id: Any, trace_id: Any) -> ReviewQueueItem:
    trace_id = clean_trace_id(trace_id)
    queue = queue_for_body(project_id, queue_id)
    refusal = _pending_refusal(project_id, queue.id, trace_id)
    if refusal:
        raise ValidationError(refusal, "trace_id")
    item = ReviewQueueItem(project_id=project_id, queue_id=queue.id, trace_id=trace_id,
                           created_by_id=actor.id if actor else None)
    db.session.add(item)
    try:
        db.session.commit()
    except IntegrityError:
        # Someone queued the same trace concurrently: the partial unique index decided; say which case it is.
        db.session.rollback()
        raise ValidationError(_pending_refusal(project_id, queue.id, trace_id) or PENDING_ELSEWHERE,
                              "trace_id") from None
    return item


@refusal_rolls_back
def move_item(project_id: int, actor: User | None, item_id: uuid.UUID | str, queue_id: Any) -> ReviewQueueItem:
    item = load_item(project_id, item_id)
    queue = queue_for_body(project_id, queue_id)
    if _has_active_review(project_id, item.trace_id):
        raise ValidationError("This trace is already reviewed and cannot stay queued.", "trace_id")
    if queue.id != item.queue_id:
        item.queue_id = queue.id
        item.queue = queue
        leases.release_item(item)
    item.updated_at = utcnow()
    db.session.commit()
    return item


@refusal_rolls_back
def remove_item(project_id: int, actor: User | None, item_id: uuid.UUID | str) -> None:
    item = load_item(project_id, item_id)
    _retire(item, "removed")
    db.session.commit()


def _retire(item: ReviewQueueItem, reason: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    item.deleted_at = now
    item.updated_at = now
    item.deleted_reason = reason
    item.claimed_by_id = None
    item.claim_expires_at = None


def reviewed(now: datetime) -> dict[str, Any]:
    """An item's columns once it is done because its trace was reviewed: out of its queue, nobody's claim."""
    return {"deleted_at": now, "updated_at": now, "deleted_reason": "reviewed", "claimed_by_id": None,
            "claim_expires_at": None}


def complete_items(project_id: int, trace_id: str, queue_id: uuid.UUID | None = None) -> int:
    """Mark the trace's live item done because it was reviewed. Does not commit: the caller's transaction
    (saving the review) commits both together. Returns how many items were completed."""
    statement = (
        update(ReviewQueueItem)
        .where(ReviewQueueItem.project_id == project_id, ReviewQueueItem.trace_id == trace_id,
               ReviewQueueItem.deleted_at.is_(None))
        .values(**reviewed(utcnow()))
        .execution_options(synchronize_session="fetch")
    )
    if queue_id is not None:
        statement = statement.where(ReviewQueueItem.queue_id == queue_id)
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount or 0


@dataclass
class BulkResult:
    added: list[ReviewQueueItem] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


SKIP_REASONS = {
    ALREADY_REVIEWED: "already_reviewed",
    PENDING_HERE: "already_pending_in_queue",
    PENDING_ELSEWHERE: "pending_in_another_queue",
}


@refusal_rolls_back
def bulk_add(project_id: int, actor: User | None, queue_id: Any, trace_ids: Any) -> BulkResult:
    """Add many traces in one transaction, reporting per trace what was added or skipped and why.

    Idempotent: a repeat adds nothing and reports every trace as already pending here. Concurrent adds are
    settled by the partial unique index (INSERT ... ON CONFLICT DO NOTHING): a trace another request queued
    first is reported as skipped, never duplicated."""
    queue = queue_for_body(project_id, queue_id)
    if trace_ids is None:
        raise required("trace_ids")
    if not isinstance(trace_ids, list):
        raise ValidationError("Expected a list of trace ids.", "trace_ids")
    if len(trace_ids) > BULK_MAX:
        raise ValidationError(f"Add at most {BULK_MAX} traces at a time.", "trace_ids")

    result = BulkResult()
    wanted: list[str] = []
    for raw in trace_ids:
        try:
            trace_id = clean_trace_id(raw, "trace_ids")
        except ValidationError as exc:
            result.skipped.append({"trace_id": str(raw), "reason": "invalid", "detail": exc.detail})
            continue
        if trace_id in wanted:
            result.skipped.append({"trace_id": trace_id, "reason": "duplicate",
                                   "detail": "This trace appears more than once in the request."})
            continue
        wanted.append(trace_id)

    refusals = _bulk_refusals(project_id, queue.id, wanted)
    candidates = [t for t in wanted if t not in refusals]
    inserted = _insert_items(project_id, actor, dict.fromkeys(candidates, queue.id))
    lost = [t for t in candidates if t not in inserted]
    if lost:  # queued by a concurrent request after we looked: report why, as of now
        refusals.update(_bulk_refusals(project_id, queue.id, lost))
    db.session.commit()

    items = {}
    for chunk in chunks(list(inserted.values()), 500):
        items.update({i.trace_id: i for i in db.session.scalars(
            select(ReviewQueueItem).where(ReviewQueueItem.id.in_(chunk)))})
    for trace_id in wanted:
        if trace_id in items:
            result.added.append(items[trace_id])
        else:
            refusal = refusals.get(trace_id, PENDING_ELSEWHERE)
            result.skipped.append({"trace_id": trace_id, "reason": SKIP_REASONS[refusal], "detail": refusal})
    return result


# Built once (queue rules ask on every batch that matches): one statement, the pending items and the reviews.
REFUSALS: CompoundSelect[str, uuid.UUID | None] = union_all(
    select(ReviewQueueItem.trace_id, ReviewQueueItem.queue_id).where(
        ReviewQueueItem.project_id == bindparam("project_id"),
        ReviewQueueItem.trace_id.in_(bindparam("trace_ids", expanding=True)), ReviewQueueItem.deleted_at.is_(None)),
    select(TraceReview.trace_id, null()).where(
        TraceReview.project_id == bindparam("project_id"),
        TraceReview.trace_id.in_(bindparam("trace_ids", expanding=True)), TraceReview.deleted_at.is_(None)),
)


def _bulk_refusals(project_id: int, queue_id: uuid.UUID, trace_ids: list[str]) -> dict[str, str]:
    """For each trace that cannot be added, the contract's refusal, a review first (one query per 500 traces)."""
    refusals: dict[str, str] = {}
    reviewed: list[str] = []
    for chunk in chunks(trace_ids, 500):
        for trace_id, live_queue in db.session.execute(REFUSALS, {"project_id": project_id, "trace_ids": chunk}):
            if live_queue is None:
                reviewed.append(trace_id)
            else:
                refusals[trace_id] = PENDING_HERE if live_queue == queue_id else PENDING_ELSEWHERE
    refusals.update(dict.fromkeys(reviewed, ALREADY_REVIEWED))
    return refusals


def queueable(project_id: int, trace_ids: list[str]) -> list[str]:
    """The traces, of those given, that may be queued now: no active review and pending in no queue (the same
    refusals as bulk_add, for queue rules, which skip the rest without a report)."""
    refused = _bulk_refusals(project_id, uuid.UUID(int=0), trace_ids)
    return [trace_id for trace_id in trace_ids if trace_id not in refused]


def queue_unattended(project_id: int, queue_of: dict[str, uuid.UUID]) -> dict[str, uuid.UUID]:
    """Queue traces `queueable` allowed, each into its queue (trace id → queue id), with no one as their creator
    (queue rules add them); a trace queued meanwhile is skipped by the live unique index. Does not commit.
    Returns trace_id → new item id."""
    return _insert_items(project_id, None, queue_of)


ITEMS = cast(Table, ReviewQueueItem.__table__)  # inserted as plain rows: the ORM's bulk insert costs more


@functools.cache
def _insert_skipping_queued(dialect: str) -> Any:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(ITEMS).on_conflict_do_nothing().returning(ITEMS.c.trace_id, ITEMS.c.id)


def _insert_items(project_id: int, actor: User | None, queue_of: dict[str, uuid.UUID]) -> dict[str, uuid.UUID]:
    """Insert live items (trace id → queue id) in one statement, skipping any the unique index refuses; returns
    trace_id → new item id."""
    if not queue_of:
        return {}
    now = utcnow()
    rows = [{"id": uuid7(), "project_id": project_id, "queue_id": queue_id, "trace_id": trace_id,
             "created_by_id": actor.id if actor else None, "created_at": now, "updated_at": now}
            for trace_id, queue_id in queue_of.items()]
    returned = db.session.execute(_insert_skipping_queued(db.session.get_bind().dialect.name), rows)
    return {trace_id: item_id for trace_id, item_id in returned}


def list_items_with_traces(
    project_id: int,
    queue_id: uuid.UUID,
    *,
    search: str | None = None,
    order: str | None = None,
    limit: int = 50,
    offset: int = 0,
    total: int | None = None,
) -> tuple[list[tuple[ReviewQueueItem, Trace | None]], int]:
    """A page of a queue's live items, oldest first by default, each with its stored trace summary (None when
    the trace has not arrived yet): one joined query, and one for the total unless the caller knows it (the
    queue's pending count, when not searching). `search` matches the trace id or the trace's name."""
    joined = and_(Trace.project_id == ReviewQueueItem.project_id, Trace.trace_id == ReviewQueueItem.trace_id)
    conditions = [ReviewQueueItem.queue_id == queue_id]
    if search:
        pattern = contains(search)
        conditions.append(or_(ReviewQueueItem.trace_id.ilike(pattern, escape="\\"),
                              Trace.name.ilike(pattern, escape="\\")))
    base = _live_items(project_id).outerjoin(Trace, joined).where(*conditions)
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order_by = ordering(order, ITEM_ORDERS, [ReviewQueueItem.created_at.asc(), ReviewQueueItem.id.asc()],
                        ReviewQueueItem.id)
    rows = db.session.execute(base.add_columns(Trace).order_by(*order_by).limit(limit).offset(offset)).all()
    return [(item, trace) for item, trace in rows], total
