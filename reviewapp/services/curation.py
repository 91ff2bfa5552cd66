"""Curating queues from the traces list: add chosen traces (or every trace matching a filter) to a queue, or to
a new one made on the spot, and report per trace what was added and what was skipped and why. The rules (one
pending queue per trace, no queueing of reviewed traces) stay in the queues service; this only composes them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reviewapp.models import Membership, ReviewQueue
from reviewapp.services import queue_items, queues, traces
from reviewapp.services.common import refusal_rolls_back
from reviewapp.services.errors import PermissionDenied, ValidationError

NOTHING_CHOSEN = "Select at least one trace, or choose every trace matching the filter."
NO_QUEUE = "Choose a queue, or name a new one."
ADMINS_MAKE_QUEUES = "Only a project admin can make a new queue. Add the traces to an existing queue instead."
# What the report says for each reason the queues service gives.
REASONS = {
    "already_reviewed": "Already reviewed",
    "already_pending_in_queue": "Already pending in this queue",
    "pending_in_another_queue": "Pending in another queue",
    "duplicate": "Listed twice",
    "invalid": "Not a valid trace id",
}


@dataclass
class TraceFilters:
    """The traces list's filters, as its page sends them."""

    search: str | None = None
    model: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    errors_only: bool = False
    review_state: str | None = None

    def describe(self) -> str:
        parts = [f"“{self.search}”" if self.search else "", f"model {self.model}" if self.model else "",
                 f"from {self.date_from}" if self.date_from else "", f"to {self.date_to}" if self.date_to else "",
                 "errors only" if self.errors_only else "",
                 self.review_state.replace("_", " ") if self.review_state else ""]
        return ", ".join(p for p in parts if p) or "no filter"


@dataclass
class Outcome:
    trace_id: str
    added: bool
    reason: str | None = None  # the queues service's reason code when skipped
    detail: str | None = None  # its message
    other_queue: ReviewQueue | None = None  # where the trace is pending instead

    @property
    def reason_text(self) -> str:
        if self.other_queue is not None:
            return f"Pending in “{self.other_queue.name}”"
        return REASONS.get(self.reason or "", self.detail or "")


@dataclass
class Report:
    queue: ReviewQueue
    created_queue: bool
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def added(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.added]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.added]


def matching_trace_ids(project_id: int, filters: TraceFilters) -> list[str]:
    """Every trace id matching the traces list's filters, oldest first, refused when there are more than one
    bulk add takes (so nothing is silently left out)."""
    rows, total = traces.list_traces(
        project_id, search=filters.search, model=filters.model, date_from=filters.date_from,
        date_to=filters.date_to, errors_only=filters.errors_only, review_state=filters.review_state,
        order="first_timestamp", limit=queue_items.BULK_MAX, offset=0)
    if total > queue_items.BULK_MAX:
        shown, more = traces.shown_count(total)
        raise ValidationError(f"{shown}{'+' if more else ''} traces match this filter; add at most "
                              f"{queue_items.BULK_MAX} at a time. Narrow the filter (a date range, say) and add them "
                              "in parts.", "trace_ids")
    return [row.trace.trace_id for row in rows]


@refusal_rolls_back
def add_to_queue(member: Membership, *, trace_ids: list[str] | None = None,
                 filters: TraceFilters | None = None, queue_id: Any = None,
                 new_queue_name: str | None = None) -> Report:
    """`member` adds the traces (the given ids, or with `filters` every matching trace) to the queue
    `queue_id`, or to a new queue called `new_queue_name`, which only an admin may make (PermissionDenied).
    One transaction: a refusal or a failure leaves nothing behind, not even the new queue."""
    project_id, actor = member.project_id, member.user
    new_queue_name = (new_queue_name or "").strip()
    if new_queue_name and not member.has_role("admin"):
        raise PermissionDenied(ADMINS_MAKE_QUEUES)
    chosen = matching_trace_ids(project_id, filters) if filters is not None else list(trace_ids or [])
    if not chosen:
        raise ValidationError(NOTHING_CHOSEN, "trace_ids", "required")
    if len(chosen) > queue_items.BULK_MAX:
        raise ValidationError(f"Add at most {queue_items.BULK_MAX} traces at a time.", "trace_ids")
    if new_queue_name:
        # Not committed yet: bulk_add commits the queue with its items, so a failure leaves no empty queue.
        queue = queues.create_queue(project_id, actor, new_queue_name, commit=False)
    else:
        if queue_id is None or queue_id == "":
            raise ValidationError(NO_QUEUE, "queue_id", "required")
        queue = queues.queue_for_body(project_id, queue_id)
    result = queue_items.bulk_add(project_id, actor, queue.id, chosen)
    elsewhere = [s["trace_id"] for s in result.skipped if s["reason"] == "pending_in_another_queue"]
    other_queues = _pending_queues(project_id, elsewhere)
    outcomes = [Outcome(item.trace_id, True) for item in result.added]
    outcomes += [Outcome(s["trace_id"], False, s["reason"], s.get("detail"), other_queues.get(s["trace_id"]))
                 for s in result.skipped]
    return Report(queue=queue, created_queue=bool(new_queue_name), outcomes=outcomes)


def _pending_queues(project_id: int, trace_ids: list[str]) -> dict[str, ReviewQueue]:
    """The queue each of these traces is pending in (one query for the lot)."""
    if not trace_ids:
        return {}
    items, _ = queue_items.list_items(project_id, trace_ids=trace_ids, limit=len(trace_ids))
    return {item.trace_id: item.queue for item in items}
