"""Claims on queue items: claiming the next trace under a lease, holding and taking over a claim, skipping, the
done page's outlook, and who is reviewing now."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import ColumnElement, CursorResult, Select, Subquery, and_, func, or_, select, union, update
from sqlalchemy.orm.attributes import set_committed_value

from reviewapp.extensions import db
from reviewapp.models import ItemClaim, ReviewQueue, ReviewQueueItem, ReviewSkip, User, utcnow
from reviewapp.services import candidates, judgments
from reviewapp.services.common import as_uuid, clean_text, commit_keeping_state, refusal_rolls_back
from reviewapp.services.errors import Conflict, NotFound
from reviewapp.services.queue_items import load_item, reviewed
from reviewapp.services.queues import load_queue, load_queue_with_count

SKIP_REASON_MAX = 2000
CLAIM_ATTEMPTS_MAX = 1000

QUEUE_BUSY = "So many reviewers are claiming traces in this queue at once that none could be held for you. Try again."
TAKEN_OVER_MEANWHILE = "Trace {trace_id} is no longer pending: it was reviewed or taken out of its queue."
CLAIM_LOST = "Another reviewer is now reviewing trace {trace_id}: your claim on it expired and they took it."


def configured_lease() -> timedelta:
    """How long a claim holds a trace for its reviewer: the app's CLAIM_LEASE_SECONDS, the one place it is set."""
    return timedelta(seconds=current_app.config["CLAIM_LEASE_SECONDS"])


# --- claiming ----------------------------------------------------------------------------------------

@refusal_rolls_back
def claim_next(project_id: int, actor: User, queue_id: uuid.UUID | str,
               lease: timedelta | None = None, *, queue: ReviewQueue | None = None) -> ReviewQueueItem | None:
    """Claim the next item of the queue for `actor` under a lease (by default the configured one), or None when
    nothing is left for them.

    Order: the item the actor already holds; then the oldest unclaimed (or expired) item they have not skipped;
    then the ones they skipped, least recently skipped first. PostgreSQL takes the row with
    FOR UPDATE SKIP LOCKED so concurrent reviewers never wait for or get the same item; SQLite, which
    serialises writers, takes it with a guarded single-row update. The usual claim (nothing locked or lost) is one
    statement (_take_first); only when that takes nothing do the look-ups and the update go one by one.

    None means no item is claimable: a lost race (another reviewer took the candidate between our read and our
    write) is followed by another look, however often, since each loss is an item someone else now holds. Only
    a queue so contended that CLAIM_ATTEMPTS_MAX looks all lose answers Conflict, never "nothing left".

    A queue with assignees answers None to anyone else (`refusal` says why); a queue with several reviewers per
    trace claims through services.judgments.

    `queue`, the queue as the caller loaded it in this request (save & next: the saved item's), spares reading
    it again. A queue deleted since is still NotFound: deleting a queue takes its items out in the same
    transaction, and the guarded update claims a live item only, so a claim that took an item took it from a
    live queue; finding nothing, the queue is read again to tell "deleted" from "done"."""
    reused = queue is not None and queue.project_id == project_id and queue.id == as_uuid(queue_id)
    if not reused:
        queue = load_queue(project_id, queue_id)
    assert queue is not None
    lease = lease or configured_lease()
    if queue.takes_judgments:
        if reused:  # its claim tells a deleted queue from a done one only by this read, as before
            queue = load_queue(project_id, queue.id)
        return judgments.claim_next_judging(project_id, actor, queue, lease)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    taken = _take_first(queue, actor, utcnow(), lease, lock=postgres)
    if taken is not None:
        commit_keeping_state()
        return taken
    for _attempt in range(CLAIM_ATTEMPTS_MAX):
        now = utcnow()
        candidate = _next_candidate(queue, actor, now, lock=postgres)
        if candidate is None:
            commit_keeping_state()
            _confirm_live(project_id, queue, reused)
            return None
        if _hold(candidate.id, actor, now, lease, take_over=False):
            commit_keeping_state()
            return _as_held(candidate, actor, now + lease)
        db.session.rollback()  # someone else took it between our read and our write: look again
    raise Conflict(QUEUE_BUSY, queue_id=str(queue.id))


def _confirm_live(project_id: int, queue: ReviewQueue, reused: bool) -> None:
    """Before claim_next answers "nothing for you" from a queue the caller loaded earlier: NotFound if it was
    deleted since."""
    if reused:
        load_queue(project_id, queue.id)


def claim_in_next_queue(project_id: int, actor: User,
                        after: uuid.UUID | str | None = None) -> ReviewQueueItem | None:
    """Claim the next trace of the first other queue (by name, going round after `after`) that has one for
    `actor`, or None when no queue has: "open the next queue with work" from the review and done pages."""
    with_work = (select(ReviewQueue.id).where(ReviewQueue.project_id == project_id, ReviewQueue.deleted_at.is_(None),
                                              select(ReviewQueueItem.id).where(
                                                  ReviewQueueItem.queue_id == ReviewQueue.id,
                                                  ReviewQueueItem.deleted_at.is_(None)).exists())
                 .order_by(ReviewQueue.name, ReviewQueue.id))
    ids = list(db.session.scalars(with_work))
    current = as_uuid(after) if after is not None else None
    if current in ids:
        at = ids.index(current)
        ids = ids[at + 1:] + ids[:at]
    for queue_id in ids:
        item = claim_next(project_id, actor, queue_id)
        if item is not None:
            return item
    return None


def refusal(queue: ReviewQueue, actor: User) -> str | None:
    """Why the actor may claim nothing from this queue whatever is left in it, or None."""
    return None if judgments.assigned(queue, actor) else judgments.NOT_ASSIGNED


def _hold(item_id: uuid.UUID, actor: User, now: datetime, lease: timedelta, *, take_over: bool) -> bool:
    """The one guarded update every claim goes through: the live item becomes the actor's until now + lease,
    unless (without `take_over`) another reviewer's claim on it is still running. Whether it took."""
    return _guarded(item_id, actor, now, {"claimed_by_id": actor.id, "claim_expires_at": now + lease},
                    take_over=take_over)


def _guarded(item_id: uuid.UUID, actor: User, now: datetime, values: dict[str, Any], *, take_over: bool) -> bool:
    """`values` written to the live item, unless (without `take_over`) another reviewer's claim on it is still
    running: _hold's update, and take_and_complete's. Whether it took."""
    statement = update(ReviewQueueItem).where(ReviewQueueItem.id == item_id, ReviewQueueItem.deleted_at.is_(None))
    if not take_over:
        statement = statement.where(_claimable(actor, now))
    result = db.session.execute(statement.values(**values).execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount > 0


def _fresh_lease(item: ReviewQueueItem, actor: User, now: datetime, lease: timedelta) -> bool:
    """The actor holds the item (one reviewer per trace) with more than half the lease left: a page view that
    renews it would only push the end a little further, for a write and a commit on every trace opened."""
    return (not item.queue.takes_judgments and item.claimed_by_id == actor.id
            and item.claim_expires_at is not None and item.claim_expires_at - now > lease / 2)


def _as_held(item: ReviewQueueItem, actor: User, expires_at: datetime) -> ReviewQueueItem:
    """The item as _hold just wrote it, without reading it back (on PostgreSQL each read is a round trip)."""
    set_committed_value(item, "claimed_by_id", actor.id)
    set_committed_value(item, "claim_expires_at", expires_at)
    db.session.expire(item, ["claimed_by"])  # read again only if a page asks who holds it
    return item


def _claimable(actor: User, now: datetime) -> ColumnElement[bool]:
    return or_(
        ReviewQueueItem.claimed_by_id.is_(None),
        ReviewQueueItem.claim_expires_at < now,
        ReviewQueueItem.claimed_by_id == actor.id,
    )


def _lookups(queue: ReviewQueue, actor: User, now: datetime) -> list[Select]:
    """The look-ups of a claim, in order: the actor's own live claim, then candidates.fresh_then_skipped."""
    # A non-assignee finds nothing, held or not (refusal says why).
    live = and_(ReviewQueueItem.queue_id == queue.id, ReviewQueueItem.deleted_at.is_(None),
                judgments.assigned_clause(queue, actor))
    # Ordered by expiry, not age, so that the planner looks the claim up by claimant instead of walking the
    # queue in age order (a reviewer holds one claim, rarely a few).
    mine = select(ReviewQueueItem.id).where(
        live, ReviewQueueItem.claimed_by_id == actor.id, ReviewQueueItem.claim_expires_at >= now
    ).order_by(ReviewQueueItem.claim_expires_at, ReviewQueueItem.id).limit(1)
    return [mine, *candidates.fresh_then_skipped([live, _claimable(actor, now)], actor)]


def _next_candidate(queue: ReviewQueue, actor: User, now: datetime, lock: bool) -> ReviewQueueItem | None:
    return candidates.first_item(_lookups(queue, actor, now), lock)


def _take_first(queue: ReviewQueue, actor: User, now: datetime, lease: timedelta,
                lock: bool) -> ReviewQueueItem | None:
    """The usual claim in one statement (on PostgreSQL, a round trip instead of two): _hold's guarded update of
    the item the first two look-ups find (the actor's own claim, else the oldest item they have not skipped),
    that item answered. On PostgreSQL the look-up locks the row it finds, skipping a locked one, as first_item's
    does. None when it took nothing, for any reason (nothing left, only skipped items, the row locked by another
    claim, a lost race): claim_next then looks step by step."""
    mine, fresh, _skipped = _lookups(queue, actor, now)
    either = select(ReviewQueueItem.id).where(
        ReviewQueueItem.id == func.coalesce(mine.scalar_subquery(), fresh.scalar_subquery()))
    if lock:
        either = either.with_for_update(skip_locked=True, of=ReviewQueueItem)
    held = db.session.scalars(
        update(ReviewQueueItem)
        .where(ReviewQueueItem.id == either.scalar_subquery(), ReviewQueueItem.deleted_at.is_(None),
               _claimable(actor, now))
        .values(claimed_by_id=actor.id, claim_expires_at=now + lease)
        .returning(ReviewQueueItem)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).first()
    if held is not None:
        db.session.expire(held, ["claimed_by"])  # read only if a page asks who holds it
    return held


# --- holding and taking over -------------------------------------------------------------------------

def _expired(item: ReviewQueueItem) -> bool:
    return item.claim_expires_at is None or item.claim_expires_at < utcnow()


def active_claim(item: ReviewQueueItem) -> bool:
    """Whether someone holds a live claim on the item (at several reviewers per trace: anyone's ItemClaim)."""
    if item.queue.takes_judgments:
        return bool(judgments.holders(item))
    return item.claimed_by_id is not None and not _expired(item)


def held_by_other(item: ReviewQueueItem | None, actor: User) -> bool:
    """Whether someone other than `actor` holds a live claim on this live item. At several reviewers per trace
    nobody's claim keeps another out (each saves their own judgment): False."""
    if item is None or item.deleted_at is not None or item.queue.takes_judgments:
        return False
    return active_claim(item) and item.claimed_by_id != actor.id


def take_claim(item: ReviewQueueItem, actor: User, lease: timedelta | None = None, *,
               take_over: bool = False) -> bool:
    """Hold the live item for `actor` with the same guarded update as claim_next (does not commit). Unless
    `take_over`, an item another reviewer holds is left to them and the answer is False; taking over ends their
    lease. False as well when the item left its queue."""
    return _hold(item.id, actor, utcnow(), lease or configured_lease(), take_over=take_over)


def take_and_complete(item: ReviewQueueItem, actor: User, *, take_over: bool = False) -> bool:
    """take_claim's guarded update, completing the live item (reviewed) in the same statement instead of holding
    it: the review page's save, which would complete it next anyway (on PostgreSQL a statement saved is a round
    trip). Does not commit. False, with nothing written, on take_claim's terms; else the item in the session is
    the completed one."""
    now = utcnow()
    done = reviewed(now)
    if not _guarded(item.id, actor, now, done, take_over=take_over):
        return False
    for key, value in done.items():
        set_committed_value(item, key, value)
    return True


@refusal_rolls_back
def hold_claim(project_id: int, actor: User, item_id: uuid.UUID | str,
               lease: timedelta | None = None) -> ReviewQueueItem:
    """Renew the actor's lease on a live item they are working on (taking it if unclaimed or expired), with the
    same guarded update as claim_next. Conflict when someone else holds it now; NotFound when it left the queue.
    The item comes without the users it names (read if asked): the review page shows none of them."""
    item = load_item(project_id, item_id, people=False)
    now, lease = utcnow(), lease or configured_lease()
    if _fresh_lease(item, actor, now, lease):
        return item  # the reviewer's own lease has more than half to run: no write, no commit to wait for
    if item.queue.takes_judgments:
        held = judgments.hold_judging(actor, item, lease)
    else:
        held = _hold(item.id, actor, now, lease, take_over=False)
    commit_keeping_state()
    if not held:
        message = judgments.FULL if item.queue.takes_judgments else CLAIM_LOST
        raise Conflict(message.format(trace_id=item.trace_id), queue_id=str(item.queue_id))
    if item.queue.takes_judgments:
        return db.session.get_one(ReviewQueueItem, item.id, populate_existing=True)
    return _as_held(item, actor, now + lease)


@refusal_rolls_back
def take_over(project_id: int, actor: User, item_id: uuid.UUID | str,
              lease: timedelta | None = None) -> ReviewQueueItem:
    """The explicit take-over of a trace another reviewer holds: the actor holds it from now on and the other
    reviewer's lease ends (when they save, they are asked whether to save over it). NotFound when it left the
    queue."""
    item = load_item(project_id, item_id)
    if not take_claim(item, actor, lease, take_over=True):
        raise NotFound(TAKEN_OVER_MEANWHILE.format(trace_id=item.trace_id))
    commit_keeping_state()
    return db.session.get_one(ReviewQueueItem, item.id, populate_existing=True)


# --- skipping ----------------------------------------------------------------------------------------

@refusal_rolls_back
def skip_item(project_id: int, actor: User, item_id: uuid.UUID | str, reason: Any = "") -> ReviewSkip:
    """The actor passes on the item: it stays pending for others and comes back to them last."""
    item = load_item(project_id, item_id)
    reason = clean_text(reason, "reason", max_length=SKIP_REASON_MAX, required=False)
    skip = ReviewSkip(project_id=project_id, item_id=item.id, queue_id=item.queue_id, trace_id=item.trace_id,
                      user_id=actor.id, reason=reason)
    db.session.add(skip)
    judgments.drop_claim(actor, item.id)
    if item.claimed_by_id == actor.id:
        item.claimed_by_id = None
        item.claim_expires_at = None
    db.session.commit()
    return skip


@dataclass(frozen=True)
class LastSkip:
    """The actor's latest skip of an item: when, and the reason they gave (maybe none)."""

    created_at: datetime
    reason: str | None

    @classmethod
    def of(cls, created_at: datetime | None, reason: str | None) -> LastSkip | None:
        """The last skip from last_skip's row; None when the actor never skipped the item."""
        return cls(created_at, reason) if created_at is not None else None


def last_skip(actor_id: Any, item_id: Any) -> Subquery:
    """The actor's latest skip of the item (created_at, reason) as a subquery of one row at most, for the review
    page's statement to outer-join (traces.review_page_reads, which passes bind parameters); LastSkip.of reads it
    back."""
    return (select(ReviewSkip.created_at, ReviewSkip.reason)
            .where(ReviewSkip.item_id == item_id, ReviewSkip.user_id == actor_id)
            .order_by(ReviewSkip.created_at.desc()).limit(1).subquery())


# --- who is reviewing --------------------------------------------------------------------------------

@dataclass
class Outlook:
    """What is left in a queue for one reviewer once claim_next found nothing (or to explain why)."""

    pending: int  # live items in the queue
    held_by_others: int  # of those, under another reviewer's live claim
    holders: list[User]  # who holds them
    first_free_at: datetime | None  # when the first of those claims runs out
    last_free_at: datetime | None  # when the last one does

    @property
    def claimable(self) -> int:
        """Items the reviewer could claim right now (a claim ran out or was released since claim_next looked)."""
        return self.pending - self.held_by_others


def outlook(project_id: int, actor: User, queue_id: uuid.UUID | str) -> tuple[ReviewQueue, Outlook]:
    """The queue and what is left in it for `actor`: how many items, how many held by others, by whom and until
    when (three queries)."""
    queue, pending = load_queue_with_count(project_id, queue_id)
    now = utcnow()
    statement: Select
    if queue.takes_judgments:  # claims of queues with several reviewers per trace
        statement = (select(func.count(func.distinct(ItemClaim.item_id)), func.min(ItemClaim.expires_at),
                            func.max(ItemClaim.expires_at))
                     .join(ReviewQueueItem, ReviewQueueItem.id == ItemClaim.item_id)
                     .where(ItemClaim.queue_id == queue.id, ReviewQueueItem.deleted_at.is_(None),
                            ItemClaim.user_id != actor.id, ItemClaim.expires_at >= now))
    else:
        statement = (select(func.count(ReviewQueueItem.id), func.min(ReviewQueueItem.claim_expires_at),
                            func.max(ReviewQueueItem.claim_expires_at))
                     .where(ReviewQueueItem.queue_id == queue.id, ReviewQueueItem.deleted_at.is_(None),
                            ReviewQueueItem.claimed_by_id.is_not(None), ReviewQueueItem.claimed_by_id != actor.id,
                            ReviewQueueItem.claim_expires_at >= now))
    held, first, last = db.session.execute(statement).one()
    holders = [u for u in reviewers_now(project_id, [queue.id]).get(queue.id, []) if u.id != actor.id] if held else []
    return queue, Outlook(pending, held or 0, holders, first, last)


def reviewers_now(project_id: int, queue_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[User]]:
    """Who holds a live claim in each queue right now, the items' own (one reviewer per trace) and ItemClaims
    (several) alike (one query)."""
    ids = list(queue_ids)
    if not ids:
        return {}
    now = utcnow()
    single = select(ReviewQueueItem.queue_id.label("queue_id"), ReviewQueueItem.claimed_by_id.label("user_id")).where(
        ReviewQueueItem.project_id == project_id, ReviewQueueItem.queue_id.in_(ids),
        ReviewQueueItem.claimed_by_id.is_not(None),  # a range of the (queue, claimant) index, not the queue
        ReviewQueueItem.deleted_at.is_(None), ReviewQueueItem.claim_expires_at >= now)
    several = select(ItemClaim.queue_id, ItemClaim.user_id).join(
        ReviewQueueItem, ReviewQueueItem.id == ItemClaim.item_id).where(
        ItemClaim.project_id == project_id, ItemClaim.queue_id.in_(ids), ItemClaim.expires_at >= now,
        ReviewQueueItem.deleted_at.is_(None))
    holding = union(single, several).subquery()
    rows = db.session.execute(
        select(holding.c.queue_id, User).join(User, User.id == holding.c.user_id)
    ).all()
    found: dict[uuid.UUID, list[User]] = {}
    for queue_id, user in rows:
        found.setdefault(queue_id, []).append(user)
    return found
