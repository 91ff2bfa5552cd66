"""Blind review: who may see the judgments and the final review of a trace.

In a blind queue a member below admin sees no one else's judgment of a trace, nor its final review, while the
trace is pending there (its item is live) and they have not submitted their own judgment of that item: their
own answer is then not anchored by anyone's. Once they have judged it, or the item is done, they see everything,
as admins always do. Every page, list, export and API answer that shows judgments or reviews asks here."""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select

from reviewapp.extensions import db
from reviewapp.models import Judgment, Membership, ReviewQueue, ReviewQueueItem


def sees_everything(membership: Membership) -> bool:
    return membership.has_role("admin")


def hidden(membership: Membership, trace_id: Any) -> ColumnElement[bool] | None:
    """A condition, true for the rows whose `trace_id` (a column or a value) the member may not see others'
    work on; None when nothing is hidden from them (admins). Add `~condition` to a query of reviews,
    judgments or history to apply blind review."""
    if sees_everything(membership):
        return None
    judged_it = exists().where(Judgment.item_id == ReviewQueueItem.id,
                               Judgment.reviewer_id == membership.user_id)
    return exists(
        select(ReviewQueueItem.id)
        .join(ReviewQueue, ReviewQueue.id == ReviewQueueItem.queue_id)
        .where(ReviewQueueItem.project_id == membership.project_id, ReviewQueueItem.trace_id == trace_id,
               ReviewQueueItem.deleted_at.is_(None), ReviewQueue.blind.is_(True), ~judged_it)
    )


def visible(membership: Membership, trace_id: Any) -> ColumnElement[bool] | None:
    """The opposite of `hidden`, ready for a where clause; None when everything is visible."""
    condition = hidden(membership, trace_id)
    return None if condition is None else ~condition


def can_see_others_work(membership: Membership, trace_id: str) -> bool:
    """For one trace's page: whether the member may see its other judgments and its final review (one query,
    none for admins)."""
    condition = hidden(membership, trace_id)
    if condition is None:
        return True
    return not db.session.scalar(select(condition))


def where_visible(membership: Membership, trace_id: Any) -> list[ColumnElement[bool]]:
    """`visible` as a list of conditions to splat into a where clause (empty for admins)."""
    condition = visible(membership, trace_id)
    return [] if condition is None else [and_(condition)]
