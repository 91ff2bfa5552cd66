"""A queue's review settings: how many reviewers judge each trace, blind review, the numeric tolerance under which
judgments still agree, and who may claim from it. services/queues.py applies them on create and update."""
from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import Membership, QueueAssignee, ReviewQueue, ReviewQueueItem, User
from reviewapp.services import leases
from reviewapp.services.common import ID_MAX
from reviewapp.services.errors import ValidationError
from reviewapp.services.scorer_config import FALSE_VALUES, TRUE_VALUES, to_decimal

REVIEWS_PER_TRACE_MIN = 1
REVIEWS_PER_TRACE_MAX = 10
ASSIGNEE_ROLES = ("reviewer", "admin")
SETTINGS = ("reviews_per_trace", "blind", "numeric_tolerance", "assignee_ids")
WHOLE_TEXT = re.compile(r"^\s*[+-]?\d+(?:\.0*)?\s*$")  # "3", " 3 ", "3.0": DRF's IntegerField reads these as 3

NOT_NULL = "This field may not be null."
LOWER_THAN_JUDGED = ("A trace still pending in this queue already has {count} judgments: reviews per trace can go "
                     "down to {floor}, not {wanted}.")


def clean_reviews_per_trace(raw: Any) -> int:
    """A whole number from 1 to 10 (a JSON number, or text such as "3")."""
    attr = "reviews_per_trace"
    if raw is None:
        raise ValidationError(NOT_NULL, attr, "null")
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValidationError("A valid integer is required.", attr, "invalid")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise ValidationError("A valid integer is required.", attr, "invalid")
        value = int(raw)
    elif isinstance(raw, str):
        if len(raw) > 100 or not WHOLE_TEXT.match(raw):
            raise ValidationError("A valid integer is required.", attr, "invalid")
        value = int(Decimal(raw.strip()))
    else:
        value = raw
    if value < REVIEWS_PER_TRACE_MIN:
        raise ValidationError(f"Ensure this value is greater than or equal to {REVIEWS_PER_TRACE_MIN}.", attr,
                              "min_value")
    if value > REVIEWS_PER_TRACE_MAX:
        raise ValidationError(f"Ensure this value is less than or equal to {REVIEWS_PER_TRACE_MAX}.", attr,
                              "max_value")
    return value


def clean_blind(raw: Any) -> bool:
    """true or false (DRF's BooleanField spellings: "true", "on", 1 …); null is refused."""
    if raw is None:
        raise ValidationError(NOT_NULL, "blind", "null")
    try:
        if raw in TRUE_VALUES:
            return True
        if raw in FALSE_VALUES:
            return False
    except TypeError:  # a list or an object
        pass
    raise ValidationError("Must be a valid boolean.", "blind", "invalid")


def clean_tolerance(raw: Any) -> Decimal | None:
    """A number ≥ 0 as an exact decimal (the rules of score values), or None: numeric judgments must be equal."""
    value = to_decimal(raw, "numeric_tolerance", error=ValidationError)
    if value is not None and value < 0:
        raise ValidationError("Ensure this value is greater than or equal to 0.", "numeric_tolerance", "min_value")
    return value


def clean_assignee_ids(project_id: int, raw: Any) -> list[int]:
    """User ids of members who review (role reviewer or admin), without repeats; []: everyone."""
    attr = "assignee_ids"
    if raw is None:
        raise ValidationError(NOT_NULL, attr, "null")
    if not isinstance(raw, (list, tuple)):
        raise ValidationError(f"Expected a list of items but got type “{type(raw).__name__}”.", attr, "not_a_list")
    ids: list[int] = []
    for value in raw:
        if isinstance(value, str) and value.strip().isdigit() and len(value) <= 20:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("A valid integer is required.", attr, "invalid")
        if value not in ids:
            ids.append(value)
    if ids:
        storable = [i for i in ids if 0 < i <= ID_MAX]  # a bigger number is no user, and would overflow the query
        reviewers = set(db.session.scalars(
            select(Membership.user_id).where(Membership.project_id == project_id, Membership.user_id.in_(storable),
                                             Membership.role.in_(ASSIGNEE_ROLES))
        )) if storable else set()
        outside = [i for i in ids if i not in reviewers]
        if outside:
            raise ValidationError(f"User {outside[0]} is not a reviewer or admin of this project.", attr)
    return ids


def most_judged(queue_id: uuid.UUID) -> int:
    """The most judgments any live item of the queue has (0 without any)."""
    return db.session.scalar(
        select(func.max(ReviewQueueItem.judgment_count))
        .where(ReviewQueueItem.queue_id == queue_id, ReviewQueueItem.deleted_at.is_(None))
    ) or 0


def apply(project_id: int, queue: ReviewQueue, data: dict[str, Any], *, new: bool) -> None:
    """Check and set the settings present in `data` (a new queue gets the defaults for the rest). Lowering
    reviews_per_trace stops one above the most judgments a pending trace of the queue already has: a trace it would
    complete without a last judgment would be left neither settled nor open to judge."""
    if "reviews_per_trace" in data:
        wanted = clean_reviews_per_trace(data["reviews_per_trace"])
        if not new and wanted < (queue.reviews_per_trace or 1):
            judged = most_judged(queue.id)
            if judged and wanted <= judged:
                raise ValidationError(LOWER_THAN_JUDGED.format(count=judged, floor=judged + 1, wanted=wanted),
                                      "reviews_per_trace")
        before, queue.reviews_per_trace = queue.reviews_per_trace or 1, wanted
        if not new and wanted != before:
            leases.release_for_reviews_per_trace(queue, before)
    elif new:
        queue.reviews_per_trace = 1
    if "blind" in data:
        queue.blind = clean_blind(data["blind"])
    elif new:
        queue.blind = False
    if "numeric_tolerance" in data:
        queue.numeric_tolerance = clean_tolerance(data["numeric_tolerance"])
    if "assignee_ids" in data:
        ids = clean_assignee_ids(project_id, data["assignee_ids"])
        kept = {a.user_id: a for a in queue.assignees}
        queue.assignees = [kept.get(i) or QueueAssignee(user_id=i) for i in ids]
        if not new:
            leases.release_unassigned(queue, ids)
    elif new:
        queue.assignees = []


def assignee_ids(queue: ReviewQueue) -> list[int]:
    return sorted(a.user_id for a in queue.assignees)


def assignees(queue: ReviewQueue) -> list[User]:
    """The queue's assignees' accounts, by email (one query; none without assignees)."""
    ids = assignee_ids(queue)
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.email)))
