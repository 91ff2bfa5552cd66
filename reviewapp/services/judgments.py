"""Judgments: in a queue with several reviewers per trace (reviews_per_trace = N > 1), each reviewer's scores and
comment for a trace. Claiming (at most N − judgments live claims per item, one claim per reviewer per queue, never
an item the reviewer judged), saving and editing a judgment, and settling the item when its Nth judgment lands:
a consensus review when they agree (services.agreement), else the item needs a decision (services.adjudication).

Every write to an item's claims, judgments and count happens under the item's row lock (PostgreSQL: SELECT … FOR
UPDATE; SQLite serialises writers, and the claim itself is one guarded INSERT … SELECT), so an item never holds
more than N live claims and judgments together."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, false, func, insert, inspect, literal, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from reviewapp.extensions import db
from reviewapp.models import (
    ItemClaim,
    Judgment,
    JudgmentScore,
    Membership,
    QueueAssignee,
    ReviewQueue,
    ReviewQueueItem,
    ScoreDefinition,
    ScoreDefinitionVersion,
    User,
    utcnow,
    uuid7,
)
from reviewapp.services import agreement, candidates, review_history, reviews, score_rows, submissions
from reviewapp.services.common import commit_keeping_state, load_by_id, ordering, refusal_rolls_back
from reviewapp.services.errors import Conflict, PermissionDenied, ValidationError
from reviewapp.services.score_validation import ValidatedScore, validate_scores
from reviewapp.services.visibility import where_visible

CLAIM_ATTEMPTS_MAX = 1000
ORDERS = {"created_at": Judgment.created_at, "updated_at": Judgment.updated_at}
NEEDS_DECISION = "needs_decision"
PENDING = "pending"

NOT_ASSIGNED = "You are not assigned to this queue."
ALREADY_JUDGED = "You have already judged this trace in this queue. Edit your judgment instead."
NOT_OPEN = "This trace is no longer open for judgments in this queue: it was settled or taken out of it."
NOT_JUDGING = "This trace is not pending in a queue with several reviewers per trace."
FULL = "Trace {trace_id} has all the judgments it needs, or other reviewers are judging it in every place left."
NO_PLACE = "All {n} places on this trace are taken: other reviewers are judging it now."
CLOSED = "This judgment can no longer be edited: its trace was settled or taken out of its queue."
QUEUE_BUSY = "So many reviewers are claiming traces in this queue at once that none could be held for you. Try again."


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def assigned(queue: ReviewQueue, actor: User) -> bool:
    """Whether `actor` may claim from the queue: every reviewer when it has no assignees, else only those."""
    return not queue.assignees or any(a.user_id == actor.id for a in queue.assignees)


def assigned_clause(queue: ReviewQueue, actor: User) -> ColumnElement[bool]:
    """`assigned` as SQL, for a claim's candidate query: a queue whose assignees are not loaded yet is not read
    for them in a statement of its own."""
    if "assignees" not in inspect(queue).unloaded:
        return true() if assigned(queue, actor) else false()
    of_queue = QueueAssignee.queue_id == queue.id
    return or_(~exists().where(of_queue), exists().where(of_queue, QueueAssignee.user_id == actor.id))


# --- claiming ----------------------------------------------------------------------------------------

def _live_claims(item_id: Any, now: datetime, *, other_than: int | None = None):
    query = select(func.count()).select_from(ItemClaim).where(ItemClaim.item_id == item_id,
                                                               ItemClaim.expires_at >= now)
    if other_than is not None:
        query = query.where(ItemClaim.user_id != other_than)
    return query.scalar_subquery()


def _judged_by(actor_id: int):
    return exists().where(Judgment.item_id == ReviewQueueItem.id, Judgment.reviewer_id == actor_id)


def held_item(queue: ReviewQueue, actor: User, now: datetime) -> ReviewQueueItem | None:
    """The open item of the queue the actor holds a live claim on, if any."""
    return db.session.scalar(
        select(ReviewQueueItem).join(ItemClaim, ItemClaim.item_id == ReviewQueueItem.id)
        .where(ItemClaim.user_id == actor.id, ItemClaim.queue_id == queue.id, ItemClaim.expires_at >= now,
               ReviewQueueItem.deleted_at.is_(None), ReviewQueueItem.state == PENDING)
        .order_by(ItemClaim.expires_at).limit(1))


def _candidate(queue: ReviewQueue, actor: User, now: datetime, lock: bool) -> uuid.UUID | None:
    """The next item with room for the actor: not judged by them, fewer than N judgments and others' live
    claims; the ones they did not skip oldest first, then the skipped ones, least recently skipped first."""
    open_here = [ReviewQueueItem.queue_id == queue.id, ReviewQueueItem.deleted_at.is_(None),
                 ReviewQueueItem.state == PENDING, ~_judged_by(actor.id),
                 ReviewQueueItem.judgment_count + _live_claims(ReviewQueueItem.id, now, other_than=actor.id)
                 < queue.reviews_per_trace]
    return candidates.first_found(candidates.fresh_then_skipped(open_here, actor), lock)


def _place_claim(queue: ReviewQueue, actor: User, item_id: uuid.UUID, now: datetime, lease: timedelta) -> bool:
    """The one guarded write every judging claim goes through (under the item's lock on PostgreSQL; on SQLite a
    single statement, so atomic): the actor's other claims in the queue end, and theirs on this item is
    inserted only if the item is still open and its judgments plus others' live claims leave room."""
    db.session.execute(delete(ItemClaim).where(ItemClaim.user_id == actor.id, ItemClaim.queue_id == queue.id)
                       .execution_options(synchronize_session=False))
    columns = ItemClaim.__table__.c
    room = (select(literal(item_id, columns.item_id.type), literal(actor.id, columns.user_id.type),
                   literal(queue.project_id, columns.project_id.type), literal(queue.id, columns.queue_id.type),
                   literal(now + lease, columns.expires_at.type), literal(now, columns.created_at.type))
            .where(exists().where(
                ReviewQueueItem.id == item_id, ReviewQueueItem.deleted_at.is_(None),
                ReviewQueueItem.state == PENDING, ~_judged_by(actor.id),
                ReviewQueueItem.judgment_count + _live_claims(item_id, now, other_than=actor.id)
                < queue.reviews_per_trace)))
    statement = insert(ItemClaim).from_select(
        ["item_id", "user_id", "project_id", "queue_id", "expires_at", "created_at"], room
    ).returning(ItemClaim.item_id)  # (psycopg answers rowcount -1 for INSERT … SELECT)
    return db.session.execute(statement).first() is not None


def claim_next_judging(project_id: int, actor: User, queue: ReviewQueue,
                       lease: timedelta) -> ReviewQueueItem | None:
    """claims.claim_next for a queue with several reviewers per trace: the item the actor holds (its lease
    renewed), else the next one with room for them (PostgreSQL: FOR UPDATE SKIP LOCKED), else None. A
    non-assignee of a queue with assignees gets None (claims.refusal says why)."""
    if not assigned(queue, actor):
        return None
    lock = _postgres()
    for _attempt in range(CLAIM_ATTEMPTS_MAX):
        now = utcnow()
        held = held_item(queue, actor, now)
        candidate = held.id if held is not None else _candidate(queue, actor, now, lock)
        if candidate is None:
            commit_keeping_state()
            return None
        if _place_claim(queue, actor, candidate, now, lease):
            commit_keeping_state()
            return db.session.get_one(ReviewQueueItem, candidate, populate_existing=True)
        db.session.rollback()  # filled up or settled between our read and our write: look again
    raise Conflict(QUEUE_BUSY, queue_id=str(queue.id))


def hold_judging(actor: User, item: ReviewQueueItem, lease: timedelta) -> bool:
    """Whether the actor may work on this live item: they judged it already (and may edit their judgment: no
    claim needed), or they hold a claim on it now — taken or renewed when it has room for them (does not
    commit)."""
    if own_judgment(item.id, actor) is not None:
        return True
    _lock_item(item.id)
    return _place_claim(item.queue, actor, item.id, utcnow(), lease)


def drop_claim(actor: User, item_id: uuid.UUID) -> None:
    """End the actor's claim on the item, if any (skipping; does not commit)."""
    db.session.execute(delete(ItemClaim).where(ItemClaim.item_id == item_id, ItemClaim.user_id == actor.id)
                       .execution_options(synchronize_session=False))


def holders(item: ReviewQueueItem) -> list[ItemClaim]:
    """The live claims on an item, earliest expiry first."""
    return list(db.session.scalars(select(ItemClaim).where(ItemClaim.item_id == item.id,
                                                           ItemClaim.expires_at >= utcnow())
                                   .order_by(ItemClaim.expires_at)))


# --- saving ------------------------------------------------------------------------------------------

def _lock_item(item_id: uuid.UUID) -> ReviewQueueItem | None:
    """The item read afresh, its row held until commit: FOR UPDATE on PostgreSQL; on SQLite a write that
    changes nothing takes the database's write lock first, so what is read next is read inside it."""
    query = select(ReviewQueueItem).where(ReviewQueueItem.id == item_id).execution_options(populate_existing=True)
    if _postgres():
        query = query.with_for_update(of=ReviewQueueItem)
    else:
        db.session.execute(update(ReviewQueueItem).where(ReviewQueueItem.id == item_id)
                           .values(judgment_count=ReviewQueueItem.judgment_count)
                           .execution_options(synchronize_session=False))
    return db.session.scalar(query)


def _checked(project_id: int, queue: ReviewQueue, scores: Any, comment: Any,
             known: Iterable[tuple[ScoreDefinition, ScoreDefinitionVersion]] = ()) -> tuple[list[ValidatedScore], Any]:
    new_comment = reviews.clean_comment(comment)
    validated = validate_scores(project_id, scores, known=known)
    submissions.check_required(project_id, queue, validated, new_comment)
    return validated, new_comment


def _set_scores(judgment: Judgment, validated: list[ValidatedScore], now: datetime) -> None:
    """Make the judgment's scores exactly `validated` (verdicts by services.passing, as a review's)."""
    score_rows.replace_scores(judgment.scores, JudgmentScore, judgment.project_id, validated, now)


def _refusal(item: ReviewQueueItem | None, actor: User, now: datetime) -> ServiceRefusal | None:
    if item is None or item.deleted_at is not None or item.queue.deleted_at is not None or item.state != PENDING:
        return ValidationError(NOT_OPEN, "trace_id")
    if not item.queue.takes_judgments:
        return ValidationError(NOT_JUDGING, "trace_id")
    if not assigned(item.queue, actor):
        return PermissionDenied(NOT_ASSIGNED)
    if db.session.scalar(select(exists().where(Judgment.item_id == item.id, Judgment.reviewer_id == actor.id))):
        return ValidationError(ALREADY_JUDGED, "trace_id")
    mine = db.session.scalar(select(exists().where(ItemClaim.item_id == item.id, ItemClaim.user_id == actor.id,
                                                   ItemClaim.expires_at >= now)))
    taken = db.session.scalar(select(_live_claims(item.id, now, other_than=actor.id))) or 0
    if not mine and item.judgment_count + taken >= item.queue.reviews_per_trace:
        return ValidationError(NO_PLACE.format(n=item.queue.reviews_per_trace), "trace_id")
    return None


ServiceRefusal = ValidationError | PermissionDenied


@refusal_rolls_back
def submit_judgment(project_id: int, actor: User, item: ReviewQueueItem, *, scores: Any, comment: Any,
                    time_spent_seconds: Any = None, queue: ReviewQueue | None = None,
                    known_scorers: Iterable[tuple[ScoreDefinition, ScoreDefinitionVersion]] = ()) -> Judgment:
    """Save the actor's judgment of the item, in one transaction under the item's lock: their claim ends, the
    item counts one more judgment, and the Nth settles it (a consensus review, or it needs a decision)."""
    queue = queue or item.queue
    validated, new_comment = _checked(project_id, queue, scores, comment, known_scorers)
    seconds = reviews.clean_time_spent(time_spent_seconds)
    now = utcnow()
    locked = _lock_item(item.id)
    refusal = _refusal(locked, actor, now)
    if refusal is not None:
        raise refusal
    assert locked is not None
    judgment = Judgment(id=uuid7(), project_id=project_id, queue_id=locked.queue_id, item_id=locked.id,
                        trace_id=locked.trace_id, reviewer=db.session.get(User, actor.id), comment=new_comment,
                        time_spent_seconds=seconds, created_at=now, updated_at=now, scores=[])
    _set_scores(judgment, validated, now)
    db.session.add(judgment)
    drop_claim(actor, locked.id)
    locked.judgment_count = locked.judgment_count + 1
    locked.updated_at = now
    review_history.record_judgment(judgment, actor, review_history.CREATED, None,
                                   review_history.judgment_snapshot(judgment), now)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationError(ALREADY_JUDGED, "trace_id") from None
    _settle_if_complete(project_id, actor, locked)
    return judgment


def _settle_if_complete(project_id: int, actor: User, item: ReviewQueueItem) -> None:
    """Once the item has all N judgments: a consensus review when they agree (completing the item, committed
    with the caller's writes), else the item needs a decision. Commits."""
    queue = item.queue
    if item.judgment_count < queue.reviews_per_trace:
        commit_keeping_state()
        return
    found = judgments_for_item(item.id)
    if agreement.agree(found, queue.numeric_tolerance):
        reviews.write_settled_review(project_id, actor, trace_id=item.trace_id,
                                     scores=agreement.consensus_scores(found), comment=None, queue=queue,
                                     resolution="consensus")
        return
    item.state = NEEDS_DECISION
    commit_keeping_state()


class _Missing:
    """A keyword left out by the caller (as opposed to given as None)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@refusal_rolls_back
def update_judgment(project_id: int, actor: User, judgment_id: uuid.UUID | str, *, scores: Any = MISSING,
                    comment: Any = MISSING, time_spent_seconds: Any = None,
                    known_scorers: Iterable[tuple[ScoreDefinition, ScoreDefinitionVersion]] = ()) -> Judgment:
    """Its author edits a judgment while its item is live (pending or needing a decision); nobody else may. An
    edit of an item that needs a decision checks agreement again, and settles it by consensus if they agree.
    `time_spent_seconds` (the edit's) is added to the judgment's, as an edit of a review adds to the review's."""
    seconds = reviews.clean_time_spent(time_spent_seconds)
    judgment = load_judgment(project_id, judgment_id)
    if judgment.reviewer_id != actor.id:
        raise PermissionDenied()
    item = _lock_item(judgment.item_id)
    if item is None or item.deleted_at is not None or item.queue.deleted_at is not None:
        raise ValidationError(CLOSED)
    db.session.refresh(judgment)
    new_comment = judgment.comment if comment is MISSING else comment
    entries = scores if scores is not MISSING else [
        {"definition_id": str(s.definition_id), "definition_version_id": str(s.definition_version_id),
         **_value_of(s)} for s in judgment.scores]
    validated, cleaned = _checked(project_id, item.queue, entries, new_comment, known_scorers)
    now = utcnow()
    before = review_history.judgment_snapshot(judgment)
    judgment.comment = cleaned
    _set_scores(judgment, validated, now)
    after = review_history.judgment_snapshot(judgment)
    if before != after:
        judgment.updated_at = now
    if seconds is not None:
        judgment.time_spent_seconds = reviews.add_time_spent(judgment.time_spent_seconds, seconds)
    review_history.record_judgment(judgment, actor, review_history.UPDATED, before, after, now)
    db.session.flush()
    if item.state == NEEDS_DECISION:
        _settle_if_complete(project_id, actor, item)
    else:
        commit_keeping_state()
    return judgment


def _value_of(score: JudgmentScore) -> dict[str, Any]:
    if score.categorical_values is not None:
        return {"categorical_values": list(score.categorical_values)}
    if score.boolean_value is not None:
        return {"boolean_value": score.boolean_value}
    return {"numeric_value": str(score.numeric_value)}


# --- reading -----------------------------------------------------------------------------------------

def load_judgment(project_id: int, judgment_id: uuid.UUID | str) -> Judgment:
    """A judgment of this project, or NotFound."""
    return load_by_id(select(Judgment).where(Judgment.project_id == project_id), Judgment.id, judgment_id)


def visible_to(membership: Membership) -> list[Any]:
    """The blind rule for judgments: the member's own always, others' per services.visibility."""
    rule = where_visible(membership, Judgment.trace_id)
    return [or_(Judgment.reviewer_id == membership.user_id, *rule)] if rule else []


def may_see(membership: Membership, judgment: Judgment) -> bool:
    """Whether blind review lets the member see this judgment (their own always)."""
    rule = visible_to(membership)
    return not rule or bool(db.session.scalar(select(exists().where(Judgment.id == judgment.id, *rule))))


def list_judgments(project_id: int, membership: Membership, *, queue_id: uuid.UUID | None = None,
                   trace_id: str | None = None, reviewer_id: int | None = None,
                   definition_id: uuid.UUID | None = None, order: str | None = None, limit: int = 100,
                   offset: int = 0) -> tuple[list[Judgment], int]:
    """A page of the judgments the member may see, newest first: three queries whatever the page size."""
    conditions: list[Any] = [Judgment.project_id == project_id, *visible_to(membership)]
    if queue_id is not None:
        conditions.append(Judgment.queue_id == queue_id)
    if trace_id is not None:
        conditions.append(Judgment.trace_id == trace_id)
    if reviewer_id is not None:
        conditions.append(Judgment.reviewer_id == reviewer_id)
    if definition_id is not None:
        conditions.append(exists().where(JudgmentScore.judgment_id == Judgment.id,
                                         JudgmentScore.definition_id == definition_id))
    total = db.session.scalar(select(func.count(Judgment.id)).where(*conditions)) or 0
    order_by = ordering(order, ORDERS, [Judgment.created_at.desc(), Judgment.id.desc()], Judgment.id)
    found = db.session.scalars(select(Judgment).where(*conditions).order_by(*order_by).limit(limit).offset(offset))
    return list(found), total


def judgments_for_item(item_id: uuid.UUID) -> list[Judgment]:
    """An item's judgments, earliest first."""
    return list(db.session.scalars(select(Judgment).where(Judgment.item_id == item_id)
                                   .order_by(Judgment.created_at, Judgment.id)))


def own_judgment(item_id: uuid.UUID, actor: User) -> Judgment | None:
    return db.session.scalar(select(Judgment).where(Judgment.item_id == item_id, Judgment.reviewer_id == actor.id))
