"""Ending claims that no longer make sense the moment something changes under them, in the caller's transaction
(so nobody's claim outlives its reason until its lease runs out): an item moved to another queue, a queue whose
reviewers per trace (N) changed, and a queue whose assignees no longer include the claim's holder. Claiming itself
is services.claims' and services.judgments'."""
from __future__ import annotations

from sqlalchemy import delete, func, select, tuple_, update

from reviewapp.extensions import db
from reviewapp.models import ItemClaim, ReviewQueue, ReviewQueueItem, utcnow


def release_item(item: ReviewQueueItem) -> None:
    """Every claim on the item ends: its holder's (one reviewer per trace) and the judging claims (several), which
    name the queue it leaves and would otherwise keep places on it there (does not commit)."""
    item.claimed_by_id = None
    item.claim_expires_at = None
    db.session.execute(delete(ItemClaim).where(ItemClaim.item_id == item.id)
                       .execution_options(synchronize_session=False))


def release_for_reviews_per_trace(queue: ReviewQueue, before: int) -> None:
    """After the queue's N changed from `before` (does not commit). Going from one reviewer per trace to several,
    the items' single claims end (the queue now claims through judging claims); from several to one, the judging
    claims end; lowering N, an item's live judging claims beyond its room (N minus its judgments) end, the latest
    taken first. Whoever had one loses nothing they typed: their save still goes through the rules of the queue
    as it is now (a conflict shows their input)."""
    after = queue.reviews_per_trace
    live_items = select(ReviewQueueItem.id).where(ReviewQueueItem.queue_id == queue.id,
                                                  ReviewQueueItem.deleted_at.is_(None))
    if before <= 1 < after:
        db.session.execute(update(ReviewQueueItem)
                           .where(ReviewQueueItem.queue_id == queue.id, ReviewQueueItem.deleted_at.is_(None),
                                  ReviewQueueItem.claimed_by_id.is_not(None))
                           .values(claimed_by_id=None, claim_expires_at=None)
                           .execution_options(synchronize_session=False))
    elif after <= 1 < before:
        db.session.execute(delete(ItemClaim).where(ItemClaim.queue_id == queue.id, ItemClaim.item_id.in_(live_items))
                           .execution_options(synchronize_session=False))
    elif 1 < after < before:
        place = func.row_number().over(partition_by=ItemClaim.item_id,
                                       order_by=(ItemClaim.created_at, ItemClaim.user_id))
        ranked = (select(ItemClaim.item_id, ItemClaim.user_id, place.label("place"),
                         ReviewQueueItem.judgment_count.label("judged"))
                  .join(ReviewQueueItem, ReviewQueueItem.id == ItemClaim.item_id)
                  .where(ItemClaim.queue_id == queue.id, ItemClaim.expires_at >= utcnow(),
                         ReviewQueueItem.deleted_at.is_(None))
                  .subquery())
        beyond_room = select(ranked.c.item_id, ranked.c.user_id).where(ranked.c.judged + ranked.c.place > after)
        db.session.execute(delete(ItemClaim).where(tuple_(ItemClaim.item_id, ItemClaim.user_id).in_(beyond_room))
                           .execution_options(synchronize_session=False))


def release_unassigned(queue: ReviewQueue, assignee_ids: list[int]) -> None:
    """After the queue's assignees became `assignee_ids` (does not commit): a queue with assignees is theirs alone,
    so a claim anyone else holds on it ends, single or judging. With none, everyone may review and nothing ends.
    As with N, the former holder loses nothing they typed: a save goes through the queue's rules as they are now."""
    if not assignee_ids:
        return
    db.session.execute(update(ReviewQueueItem)
                       .where(ReviewQueueItem.queue_id == queue.id, ReviewQueueItem.deleted_at.is_(None),
                              ReviewQueueItem.claimed_by_id.is_not(None),
                              ReviewQueueItem.claimed_by_id.not_in(assignee_ids))
                       .values(claimed_by_id=None, claim_expires_at=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(ItemClaim).where(ItemClaim.queue_id == queue.id,
                                               ItemClaim.user_id.not_in(assignee_ids))
                       .execution_options(synchronize_session=False))
