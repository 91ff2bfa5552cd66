"""The read side of the trace store: the filtered trace list, and one trace with its span tree, conversation,
active review, judgments and queue membership. Each is a fixed number of queries, whatever the size of the page.
Given the member reading, both apply blind review (services.visibility): a trace whose others' work is hidden
from them shows no final review and only their own judgment."""
from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BindParameter, Select, and_, bindparam, func, literal_column, null, or_, select, true
from sqlalchemy.orm import lazyload

from reviewapp.extensions import db
from reviewapp.models import (
    Judgment,
    Membership,
    ReviewQueue,
    ReviewQueueItem,
    Trace,
    TraceEvaluation,
    TraceEvent,
    TraceModel,
    TraceReview,
    TraceReviewScore,
    User,
)
from reviewapp.models.trace import SEARCHED, traces_search
from reviewapp.services import claims, common, queue_items, reviews, visibility
from reviewapp.services.claims import LastSkip
from reviewapp.services.common import contains, ordering
from reviewapp.services.conversation import Message, conversation, message_part, pretty_json
from reviewapp.services.errors import NotFound, ValidationError
from reviewapp.services.ingest.events import EVALUATION_EVENT
from reviewapp.services.queues import pending_up_to_column
from reviewapp.services.span_tree import (
    SIGNAL_EVENTS,
    TREE_NODES,
    SpanNode,
    TreeView,
    build_tree,
    event_node,
    event_props,
    node_id,
    tree_view,
)

REVIEW_STATES = ("not_queued", "pending", "reviewed")
ORDERS = {
    "first_timestamp": Trace.first_timestamp,
    "last_timestamp": Trace.last_timestamp,
    "total_cost_usd": Trace.total_cost_usd,
    "latency_seconds": Trace.latency_seconds,
    "input_tokens": Trace.input_tokens,
}
DEFAULT_ORDER = "-first_timestamp"
# The list counts its matches no further than this: an exact count reads every matching trace, so its cost grew
# with the store. A count past the cap means "more than COUNT_CAP" (the page shows "10,000+").
COUNT_CAP = 10_000
# A page shows this much of each long message body and JSON block, and this many raw events; the rest is one
# click away (the raw event as JSON, a message part as text), so a page stays small however large the input.
TEXT_SHOWN = 8_000
JSON_SHOWN = 4_000
EVENT_JSON_SHOWN = 1_500  # a raw event's preview: its whole JSON is one click away
RAW_EVENTS_SHOWN = 100
MESSAGES_SHOWN = 200  # of a long conversation, the first and the last hundred
MESSAGES_FIRST_PAINT = 20  # the review page's first paint; the others follow when scrolled to
# The events a trace view shows (span tree, raw events, API detail): its steps, not a judge's verdict on them.
# `$ai_evaluation` results show in the trace page's Evaluations section only, and never on the review page: a
# reviewer who saw the judge's verdict would no longer be an independent check of it.
_STEP_OF_THE_TRACE = TraceEvent.event != EVALUATION_EVENT
# A trace's steps in order, built once: the review page reads them for every trace it opens.
TRACE_STEPS = (select(TraceEvent)
               .where(TraceEvent.project_id == bindparam("project_id"), TraceEvent.trace_id == bindparam("trace_id"),
                      _STEP_OF_THE_TRACE)
               .order_by(TraceEvent.timestamp, TraceEvent.id))
BAD_TIME = "Enter a date (2025-01-31) or a date and time in ISO 8601 (2025-01-31T09:30:00Z)."


# --- filters -----------------------------------------------------------------------------------------

def parse_time(raw: str | datetime | date | None, attr: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime. A bare date is the start of that day, or with
    `end_of_day` the start of the next one (so a date range's end includes its whole last day)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw + timedelta(days=1 if end_of_day else 0), time(), UTC)
    else:
        text = str(raw).strip()
        try:
            if _is_bare_date(text):
                day = date.fromisoformat(text)
                value = datetime.combine(day + timedelta(days=1 if end_of_day else 0), time(), UTC)
            else:
                value = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
        except ValueError:
            raise ValidationError(BAD_TIME, attr) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _is_bare_date(raw: Any) -> bool:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return True
    return isinstance(raw, str) and len(raw.strip()) == 10


def clean_review_state(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in REVIEW_STATES:
        raise ValidationError(f'"{raw}" is not a valid choice.', "review_state", "invalid_choice")
    return raw


def clean_order(raw: str | None) -> str:
    return common.clean_order(raw, ORDERS) or DEFAULT_ORDER


# --- the list ----------------------------------------------------------------------------------------

@dataclass
class TraceRow:
    """A trace summary with where it stands in review: pending in a queue, reviewed, or neither."""

    trace: Trace
    queue_item_id: uuid.UUID | None
    queue_id: uuid.UUID | None
    queue_name: str | None
    review_id: uuid.UUID | None
    evaluations_failed: int = 0  # the trace's evaluation results that failed
    evaluations_passed: int = 0

    @property
    def review_state(self) -> str:
        return review_state(self.review_id is not None, self.queue_item_id is not None)

    @property
    def evaluation_outcome(self) -> str | None:
        """The list's Evaluations column: "fail" when any result failed, else "pass" when any passed."""
        if self.evaluations_failed:
            return "fail"
        return "pass" if self.evaluations_passed else None


def review_state(reviewed: bool, pending: bool) -> str:
    # An active review wins: saving a review completes the trace's pending item, so both at once is rare.
    if reviewed:
        return "reviewed"
    return "pending" if pending else "not_queued"


def _with_review_state(stmt: Select, membership: Membership | None = None) -> Select:
    """Outer-join each trace's pending item, its queue and its active review straight from the trace row, so
    each is one probe of the live unique indexes (as subqueries, SQLite materialised and scanned them per row).
    A trace is pending when both its live item and that item's queue are found. For a `membership` the review
    is joined only where blind review lets them see it: a hidden one is as if there were none."""
    return (
        stmt.outerjoin(ReviewQueueItem, and_(
            ReviewQueueItem.project_id == Trace.project_id,
            ReviewQueueItem.trace_id == Trace.trace_id,
            ReviewQueueItem.deleted_at.is_(None),
        ))
        .outerjoin(ReviewQueue, and_(ReviewQueue.id == ReviewQueueItem.queue_id, ReviewQueue.deleted_at.is_(None)))
        .outerjoin(TraceReview, and_(
            TraceReview.project_id == Trace.project_id,
            TraceReview.trace_id == Trace.trace_id,
            TraceReview.deleted_at.is_(None),
            *([] if membership is None else visibility.where_visible(membership, Trace.trace_id)),
        ))
    )


def mentions(term: str):
    """Traces with `term` in any searched column, in any case. PostgreSQL answers the ILIKE from its pg_trgm index.
    SQLite looks a term of 3 or more characters up in its FTS5 trigram index (models/trace.py), quoted as one
    phrase so that every character typed is literal; shorter terms have no trigram to look up and take the ILIKE,
    a scan of the project's traces.
    The two SQLite paths fold case differently beyond ASCII: its ILIKE folds ASCII letters only, the trigram index
    every cased Unicode letter, so "école" finds "ÉCOLE" through the index while "é" does not find "É"."""
    if len(term) >= 3 and db.session.get_bind().dialect.name == "sqlite":
        phrase = '"' + term.replace('"', '""') + '"'
        return Trace.id.in_(select(traces_search.c.rowid).where(traces_search.c.traces_search.match(phrase)))
    pattern = contains(term)
    return or_(*(getattr(Trace, name).ilike(pattern, escape="\\") for name in SEARCHED))


def has_model(project_id: int, model: str):
    """Traces that used `model` (exact name), through the trace_models key."""
    return (
        select(TraceModel.trace_id)
        .where(TraceModel.project_id == project_id, TraceModel.model == model, TraceModel.trace_id == Trace.trace_id)
        .exists()
    )


def _judged(outcome: str, membership: Membership | None) -> list[Any]:
    """The trace's evaluation results that came out `outcome` (probed by the (project, trace) index), as the
    `membership` may see them: blind review hides the judge's verdict as it hides any other reviewer's."""
    return [TraceEvaluation.project_id == Trace.project_id, TraceEvaluation.trace_id == Trace.trace_id,
            TraceEvaluation.outcome == outcome,
            *([] if membership is None else visibility.where_visible(membership, Trace.trace_id))]


def _evaluations(outcome: str, membership: Membership | None):
    """How many of the trace's evaluation results came out `outcome`."""
    return (select(func.count()).select_from(TraceEvaluation).where(*_judged(outcome, membership))
            .correlate(Trace).scalar_subquery())


def _evaluation_failed(membership: Membership | None):
    """Traces with an evaluation result that failed (any target: a failing generation fails its trace)."""
    return select(TraceEvaluation.id).where(*_judged("fail", membership)).exists()


def list_traces(
    project_id: int,
    *,
    search: str | None = None,
    model: str | None = None,
    date_from: str | datetime | date | None = None,
    date_to: str | datetime | date | None = None,
    errors_only: bool = False,
    evaluation_failed: bool = False,
    review_state: str | None = None,
    order: str | None = None,
    limit: int = 50,
    offset: int = 0,
    membership: Membership | None = None,
) -> tuple[list[TraceRow], int]:
    """One page of the project's traces, newest first by default, and the number matching counted up to
    COUNT_CAP + 1 (see `shown_count`): two queries. With the `membership` reading it, a review blind review
    hides from them counts as none (its trace is pending, not reviewed, in the list and its filter)."""
    start = parse_time(date_from, "date_from")
    end = parse_time(date_to, "date_to", end_of_day=True)
    state = clean_review_state(review_state)
    order = clean_order(order)
    if start and end and start >= end:
        raise ValidationError("The end of the date range is before its start.", "date_to")

    conditions: list[Any] = [Trace.project_id == project_id]
    if search and search.strip():
        conditions.append(mentions(search.strip()))
    if model:
        conditions.append(has_model(project_id, model))
    if start:
        conditions.append(Trace.first_timestamp >= start)
    if end:
        # A bare end date was moved to the next midnight, so that its whole day is in the range.
        conditions.append(Trace.first_timestamp < end if _is_bare_date(date_to) else Trace.first_timestamp <= end)
    if errors_only:
        conditions.append(Trace.has_error.is_(True))
    if evaluation_failed:
        conditions.append(_evaluation_failed(membership))

    if state == "reviewed":
        conditions.append(TraceReview.id.is_not(None))
    elif state == "pending":
        conditions.extend([ReviewQueue.id.is_not(None), TraceReview.id.is_(None)])
    elif state == "not_queued":
        conditions.extend([ReviewQueue.id.is_(None), TraceReview.id.is_(None)])

    if model and len(conditions) == 2:
        # Only the project and the model narrow the list: the model's rows in the trace_models key are the
        # matches (one per trace), counted without visiting a trace.
        matching: Select = select(literal_column("1")).where(
            TraceModel.project_id == project_id, TraceModel.model == model)
    else:
        matching = select(literal_column("1")).select_from(Trace).where(*conditions)
    total = _capped_count(_with_review_state(matching, membership) if state else matching)

    order_by = ordering(order, ORDERS, [], Trace.id)
    page = db.session.execute(
        _with_review_state(select(Trace, ReviewQueueItem.id, ReviewQueue.id, ReviewQueue.name, TraceReview.id,
                                  _evaluations("fail", membership), _evaluations("pass", membership)), membership)
        .where(*conditions)
        .order_by(*order_by)
        .limit(limit)
        .offset(offset)
    )
    return [TraceRow(trace, item_id if queue_id else None, queue_id, queue_name, review_id, failed or 0, passed or 0)
            for trace, item_id, queue_id, queue_name, review_id, failed, passed in page], total


def _capped_count(matching: Select) -> int:
    """How many rows `matching` yields, counted no further than COUNT_CAP + 1."""
    return db.session.scalar(select(func.count()).select_from(matching.limit(COUNT_CAP + 1).subquery())) or 0


def shown_count(count: int) -> tuple[int, bool]:
    """A count from `list_traces` as the list shows it: the number, and whether there are more than that."""
    return min(count, COUNT_CAP), count > COUNT_CAP


def model_names(project_id: int) -> list[str]:
    """Every model the project's traces used, in order, for the model filter. A loose index scan: each step
    seeks the next model past the last one in the trace_models key, so the cost follows the number of models,
    not of traces (SELECT DISTINCT read every row)."""
    def first_model_after(*after: Any):
        return (
            select(func.min(TraceModel.model))
            .where(TraceModel.project_id == project_id, *(TraceModel.model > model for model in after))
            .scalar_subquery()
        )

    models = select(first_model_after().label("model")).cte("models", recursive=True)
    models = models.union_all(select(first_model_after(models.c.model)).where(models.c.model.is_not(None)))
    return list(db.session.scalars(
        select(models.c.model).where(models.c.model.is_not(None)).order_by(models.c.model)
    ))


# --- one trace ---------------------------------------------------------------------------------------


@dataclass
class TraceDetail:
    trace: Trace
    events: list[TraceEvent]
    tree: SpanNode
    conversation: list[Message]
    signals: list[TraceEvent]  # $ai_metric and $ai_feedback events, in order
    review: TraceReview | None
    scores: list[TraceReviewScore]  # the review's scores, by scorer name
    queue_item: ReviewQueueItem | None
    focus: str | None = None  # the span whose subtree the page shows (the root when None)
    start: int = 0  # the first span the page lists of that subtree
    judgments: list[Judgment] = field(default_factory=list)  # oldest first; only the reader's own when blind
    blind: bool = False  # blind review hides others' judgments and the final review from the reader
    tree_rows: int = TREE_NODES  # spans listed at a time (the review page lists fewer: it paints sooner)

    @property
    def review_state(self) -> str:
        return review_state(self.review is not None, self.queue_item is not None)

    @property
    def several_reviewers(self) -> bool:
        item = self.queue_item
        return bool(self.judgments) or (item is not None and item.queue.takes_judgments)

    @property
    def judging_state(self) -> str | None:
        """Where the trace stands with several reviewers: "2 of 3 judgments · waiting", "needs a decision",
        "consensus" or "decided by …"; None when it is not judged by several."""
        item = self.queue_item
        if item is not None and item.queue.takes_judgments:
            if item.state == "needs_decision":
                return "needs a decision"
            return f"{item.judgment_count} of {item.queue.reviews_per_trace} judgments · waiting"
        if self.review is not None and self.review.resolution == "consensus":
            return "consensus"
        if self.review is not None and self.review.resolution == "adjudicated":
            who = self.review.reviewed_by
            return f"decided by {who.display_name if who else 'a former user'}"
        return None

    @property
    def tree_view(self) -> TreeView:
        return tree_view(self.tree, self.focus, self.start, self.tree_rows)


def load_trace(project_id: int, trace_id: str) -> Trace:
    """The summary of a trace of this project, or NotFound."""
    trace = db.session.scalar(select(Trace).where(Trace.project_id == project_id, Trace.trace_id == trace_id))
    if trace is None:
        raise NotFound()
    return trace


def trace_judgments(project_id: int, trace_id: str, reviewer_id: int | None = None) -> list[Judgment]:
    """The trace's judgments in every queue, oldest first, with their reviewers, queues and scores (two queries,
    one when there are none); only `reviewer_id`'s when given."""
    query = select(Judgment).where(Judgment.project_id == project_id, Judgment.trace_id == trace_id)
    if reviewer_id is not None:
        query = query.where(Judgment.reviewer_id == reviewer_id)
    return list(db.session.scalars(query.order_by(Judgment.created_at, Judgment.id)))


def get_trace(project_id: int, trace_id: str, focus: str | None = None, start: int = 0,
              membership: Membership | None = None, known: KnownParts | None = None,
              tree_rows: int = TREE_NODES) -> TraceDetail:
    """Everything the trace view shows, in a fixed number of queries; `focus` is a span whose subtree the
    page shows and `start` the first of its spans listed (for deep and wide trees). For the `membership`
    reading it, blind review applies: when others' work is hidden, no final review and only their own judgment.
    `known` hands over what the caller read already in this request (the review page: the trace's review and
    its pending item, and from review_page_reads the trace itself and whether it has judgments), so it is not
    read twice."""
    trace = known.trace if known is not None and known.trace is not None else load_trace(project_id, trace_id)
    events = list(db.session.scalars(TRACE_STEPS, {"project_id": project_id, "trace_id": trace_id}))
    blind = membership is not None and not visibility.can_see_others_work(membership, trace_id)
    review = None if blind else known.review if known is not None else reviews.active_review_for_trace(
        project_id, trace_id)
    judged = known is None or known.judged
    judgments = trace_judgments(project_id, trace_id, membership.user_id if blind and membership else None) \
        if judged else []
    generations = [
        (node_id(e), event_props(e).get("$ai_input"), event_props(e).get("$ai_output_choices"), e.uuid)
        for e in events if e.event == "$ai_generation"
    ]
    return TraceDetail(
        trace=trace,
        events=events,
        tree=build_tree(trace, events),
        conversation=conversation(generations),
        signals=[e for e in events if e.event in SIGNAL_EVENTS],
        review=review,
        scores=reviews.sorted_scores(review) if review else [],
        queue_item=known.queue_item if known is not None else queue_items.pending_item_for_trace(project_id,
                                                                                                 trace_id),
        focus=focus or None,
        start=start,
        judgments=judgments,
        blind=blind,
        tree_rows=tree_rows,
    )


@dataclass(frozen=True)
class KnownParts:
    """What get_trace would otherwise read itself: the trace's active review and its pending item (None: none);
    and, read by review_page_reads, the stored trace (None: read it) and whether any judgment names the trace
    (False: there are none to read)."""

    review: TraceReview | None
    queue_item: ReviewQueueItem | None
    trace: Trace | None = None
    judged: bool = True


@dataclass(frozen=True)
class ReviewPageReads:
    """What the review page reads about a trace besides its events, in one statement (review_page_reads)."""

    trace: Trace | None  # None: no event of the trace has been stored yet
    review: TraceReview | None  # the trace's live review, when asked for
    judged: bool  # some judgment names the trace (in any queue)
    pending: int | None  # the queue's live items counted up to the cap + 1; None without a queue
    skipped: LastSkip | None  # the reviewer's latest skip of the item, if they skipped it before

    def known(self, review: TraceReview | None, queue_item: ReviewQueueItem | None) -> KnownParts:
        return KnownParts(review=review, queue_item=queue_item, trace=self.trace, judged=self.judged)


def review_page_reads(project_id: int, trace_id: str, actor: User, *, queue_id: uuid.UUID | None,
                      item_id: uuid.UUID | None, cap: int, with_review: bool) -> ReviewPageReads:
    """For the review page, in one statement (on PostgreSQL each is a round trip): the stored trace, its live
    review (with `with_review`), whether it has judgments, and in a queue the pending count up to `cap + 1`
    (queues.pending_up_to) and the actor's latest skip of the item."""
    in_queue = queue_id is not None
    row = db.session.execute(_page_reads_statement(in_queue, with_review, cap), {
        "project_id": project_id, "trace_id": trace_id, "actor_id": actor.id, "item_id": item_id,
        **({"queue_id": queue_id} if in_queue else {})}).one()
    return ReviewPageReads(trace=row[0], review=row[5] if with_review else None, judged=bool(row[4]),
                           pending=(row[1] or 0) if in_queue else None, skipped=claims.LastSkip.of(row[2], row[3]))


@functools.cache
def _page_reads_statement(in_queue: bool, with_review: bool, cap: int) -> Select:
    """review_page_reads' statement, built once (building and keying it cost more than running it): each part is
    one row at most (a trace and its live review are unique), outer-joined to a single row so that a missing part
    is a NULL."""
    project_id: BindParameter[int] = bindparam("project_id")
    trace_id: BindParameter[str] = bindparam("trace_id")
    skip = claims.last_skip(bindparam("actor_id"), bindparam("item_id"))
    judged = select(Judgment.id).where(Judgment.project_id == project_id, Judgment.trace_id == trace_id).exists()
    pending = pending_up_to_column(bindparam("queue_id"), cap) if in_queue else null()
    one = select(literal_column("1").label("one")).subquery()
    query = (select(Trace, pending, skip.c.created_at, skip.c.reason, judged, *([TraceReview] if with_review else []))
             .select_from(one)
             .outerjoin(Trace, and_(Trace.project_id == project_id, Trace.trace_id == trace_id))
             .outerjoin(skip, true()))
    if with_review:  # with who saved it last (the page names them), not who wrote it first (read if asked)
        query = query.outerjoin(TraceReview, and_(TraceReview.project_id == project_id,
                                                  TraceReview.trace_id == trace_id, TraceReview.deleted_at.is_(None)))
        query = query.options(lazyload(TraceReview.created_by))
    return query


@dataclass(frozen=True)
class Clip:
    """The start of a long text, as a page shows it, and how long the whole is."""

    text: str
    total: int

    @property
    def cut(self) -> bool:
        return len(self.text) < self.total


def clip(text: str | None, limit: int) -> Clip:
    text = text or ""
    return Clip(text[:limit], len(text))


def load_event(project_id: int, event_uuid: str) -> TraceEvent:
    """A stored step of a trace of this project by its uuid, or NotFound (a judge's verdict included: it is read
    through the Evaluations section, never as a raw event a reviewer could open)."""
    event = db.session.scalar(
        select(TraceEvent).where(TraceEvent.project_id == project_id, TraceEvent.uuid == event_uuid,
                                 _STEP_OF_THE_TRACE))
    if event is None:
        raise NotFound()
    return event


def span_node(project_id: int, event_uuid: str) -> SpanNode:
    """A stored event of this project as the span tree shows it, or NotFound."""
    return event_node(load_event(project_id, event_uuid))


def message_text(project_id: int, event_uuid: str, source: str, index: int, position: int) -> str:
    """The whole of one message part of a generation (a page shows its start): its JSON or its text."""
    part = message_part(event_props(load_event(project_id, event_uuid)), source, index, position)
    if part is None:
        raise NotFound()
    return part.body


def generation_io(project_id: int, event_uuid: str, source: str) -> str:
    """A generation's own `$ai_input` or `$ai_output_choices`, pretty JSON, whole."""
    key = {"input": "$ai_input", "output": "$ai_output_choices"}[source]
    return pretty_json(event_props(load_event(project_id, event_uuid)).get(key))


def event_json(event: TraceEvent) -> str:
    """The raw event as the client sent it (plus where it was stored), pretty-printed."""
    return pretty_json({
        "uuid": event.uuid,
        "event": event.event,
        "distinct_id": event.distinct_id,
        "timestamp": event.timestamp.isoformat() if event.timestamp else None,
        "properties": event.properties,
    })
