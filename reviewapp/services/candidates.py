"""The order in which a reviewer is offered a queue's items, shared by both kinds of claiming (one reviewer per
trace in services.claims, several in services.judgments): the items they did not skip, oldest first, then the
ones they skipped, least recently skipped first; the first one found is taken (on PostgreSQL with
FOR UPDATE SKIP LOCKED, so concurrent reviewers never wait for or get the same row)."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import lazyload

from reviewapp.extensions import db
from reviewapp.models import ReviewQueueItem, ReviewSkip, User


def fresh_then_skipped(conditions: list[Any], actor: User) -> tuple[Select, Select]:
    """The two look-ups, in order, over the items meeting `conditions`."""
    skipped_by_me = exists().where(ReviewSkip.item_id == ReviewQueueItem.id, ReviewSkip.user_id == actor.id)
    last_skipped = (select(func.max(ReviewSkip.created_at))
                    .where(ReviewSkip.item_id == ReviewQueueItem.id, ReviewSkip.user_id == actor.id)
                    .correlate(ReviewQueueItem).scalar_subquery())
    fresh = select(ReviewQueueItem.id).where(*conditions, ~skipped_by_me).order_by(
        ReviewQueueItem.created_at, ReviewQueueItem.id).limit(1)
    skipped = select(ReviewQueueItem.id).where(*conditions, skipped_by_me).order_by(
        last_skipped, ReviewQueueItem.created_at, ReviewQueueItem.id).limit(1)
    return fresh, skipped


def first_found(queries: Iterable[Select], lock: bool) -> uuid.UUID | None:
    """The id the first of `queries` finds, each row-locked (skipping locked rows) when `lock`."""
    for query in queries:
        if lock:
            query = query.with_for_update(skip_locked=True, of=ReviewQueueItem)
        found = db.session.scalar(query)
        if found is not None:
            return found
    return None


def first_item(queries: Iterable[Select], lock: bool) -> ReviewQueueItem | None:
    """first_found's item itself, its row only (the queue and users it names come from the session when asked),
    so the claim need not read it back after holding it.

    The first two look-ups go in one statement first (the first's id, else the second's): on PostgreSQL each is a
    round trip, and after a save the reviewer usually holds nothing, so the first finds nothing. Only when that
    finds nothing (on PostgreSQL, perhaps a row another claim has locked) are the rest (all of them) run one by one."""
    queries = list(queries)

    def taken(query: Select) -> ReviewQueueItem | None:
        query = query.options(lazyload("*"))
        if lock:
            query = query.with_for_update(skip_locked=True, of=ReviewQueueItem)
        return db.session.scalar(query.execution_options(populate_existing=True))

    if len(queries) > 1:
        either = func.coalesce(queries[0].scalar_subquery(), queries[1].scalar_subquery())
        found = taken(select(ReviewQueueItem).where(ReviewQueueItem.id == either))
        if found is not None:
            return found
        if not lock:  # nothing was skipped for a lock: the first two found nothing
            queries = queries[2:]
    for query in queries:
        found = taken(query.with_only_columns(ReviewQueueItem))
        if found is not None:
            return found
    return None
