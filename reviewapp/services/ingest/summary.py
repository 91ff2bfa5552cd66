"""A trace's summary row (times, counts, tokens, cost, the shown name and previews) as an order-free merge of its
events' contributions, whatever format the events came in."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reviewapp.services.ingest.events import (
    COSTED_EVENTS,
    EVALUATION_EVENT,
    GENERATION_EVENT,
    MAX_ID_LENGTH,
    ROOT_EVENT,
    AIEvent,
)
from reviewapp.services.ingest.previews import clip, preview
from reviewapp.services.numeric import finite_number

# Where a picked field came from: the root outranks a generation, which outranks any other event.
ROOT_RANK, GENERATION_RANK, OTHER_RANK = 2, 1, 0
# The largest numbers the trace summary's columns hold (models/trace.py): token counts are BIGINT, the cost is
# NUMERIC(18, 8), so below 10^10 (with room for a float's rounding). An event's number beyond them stays in its
# raw properties and is left out of the summary; sums stop at them. (A latency counts when the event's end,
# timestamp + latency, is a time the store holds: see `_latency_and_end`.)
MAX_TOKENS = 2**63 - 1
MAX_COST_USD = 9_999_999_999.0


@dataclass
class Pick:
    """A value chosen among a trace's events: the highest rank wins, then the earliest (or latest) event."""

    rank: int
    key: str
    value: Any

    def beats(self, other: Pick | None, latest: bool = False) -> bool:
        if other is None:
            return True
        if self.rank != other.rank:
            return self.rank > other.rank
        return self.key > other.key if latest else self.key < other.key


# Picked fields: (summary attribute, Trace column, prefer the latest event).
PICKS = (
    ("name", "name", False),
    ("session", "session_id", False),
    ("distinct", "distinct_id", False),
    ("input", "input_preview", False),
    ("output", "output_preview", True),
    ("root_latency", "latency_seconds", False),
)
PREFER_LATEST = {name: latest for name, _, latest in PICKS}


@dataclass
class Summary:
    """A trace's summary as a merge of its events' contributions: merging is order-free, so a late event
    gives the same row as one that came in order."""

    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None
    ends_at: datetime | None = None
    models: set[str] = field(default_factory=set)
    event_count: int = 0
    generation_count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_cost_usd: float = 0.0
    has_error: bool = False
    has_root: bool = False
    picks: dict[str, Pick] = field(default_factory=dict)

    def add(self, event: AIEvent) -> None:
        timestamp = event.timestamp
        if self.first_timestamp is None or timestamp < self.first_timestamp:
            self.first_timestamp = timestamp
        if self.last_timestamp is None or timestamp > self.last_timestamp:
            self.last_timestamp = timestamp
        if event.event == EVALUATION_EVENT:
            # A judge's verdict, minutes later, is no step of the trace: its latency, error, person, name and
            # cost are the judge's. It dates the trace's last activity (and makes its row when it comes first).
            return
        latency, end = _latency_and_end(event)
        if self.ends_at is None or end > self.ends_at:
            self.ends_at = end
        self.event_count += 1
        self.has_error = self.has_error or _is_error(event.properties)
        self.has_root = self.has_root or event.event == ROOT_EVENT
        if event.event == GENERATION_EVENT:
            self.generation_count += 1
        if event.event in COSTED_EVENTS:
            self._add_usage(event.properties)
        self._offer_labels(event)
        self._offer_previews(event, latency)

    def _add_usage(self, props: dict[str, Any]) -> None:
        """The model, tokens and cost of a call that spends them."""
        model = props.get("$ai_model")
        if isinstance(model, str) and model.strip():
            self.models.add(model.strip()[:MAX_ID_LENGTH])
        self.input_tokens = _tokens(self.input_tokens, props.get("$ai_input_tokens"))
        self.output_tokens = _tokens(self.output_tokens, props.get("$ai_output_tokens"))
        self.total_cost_usd = min(self.total_cost_usd + call_cost(props), MAX_COST_USD)

    def _offer_labels(self, event: AIEvent) -> None:
        """The trace's name, session and person: the root's, else the earliest event's."""
        props = event.properties
        is_root = event.event == ROOT_EVENT
        rank = ROOT_RANK if is_root else OTHER_RANK
        key = event.order_key
        name = props.get("$ai_span_name") or (props.get("$ai_trace_name") if is_root else None)
        self._offer("name", rank, key, clip(name.strip(), MAX_ID_LENGTH) if isinstance(name, str) else None)
        self._offer("session", rank, key, _identifier_or_none(props.get("$ai_session_id")))
        self._offer("distinct", rank, key, event.distinct_id)

    def _offer_previews(self, event: AIEvent, latency: float | None) -> None:
        """The trace's input and output previews (and a root's own latency), each from where that kind of event
        keeps them."""
        props = event.properties
        key = event.order_key
        if event.event == ROOT_EVENT:
            self._offer_preview("input", ROOT_RANK, key, props.get("$ai_input_state"))
            self._offer_preview("output", ROOT_RANK, key, props.get("$ai_output_state"))
            self._offer("root_latency", ROOT_RANK, key, latency)
        elif event.event == GENERATION_EVENT:
            self._offer_preview("input", GENERATION_RANK, key, props.get("$ai_input"), last_user=True)
            output = props.get("$ai_output_choices", props.get("$ai_output"))
            self._offer_preview("output", GENERATION_RANK, key, output)
        else:
            state = props.get("$ai_input_state", props.get("$ai_input"))
            self._offer_preview("input", OTHER_RANK, key, state, last_user=True)
            self._offer_preview("output", OTHER_RANK, key, props.get("$ai_output_state"))

    def _offer_preview(self, name: str, rank: int, key: str, value: Any, last_user: bool = False) -> None:
        """Offer the value's preview, made only if it would win: of a trace's many events, one gives each preview."""
        if value is not None and self._would_win(name, rank, key):
            self._offer(name, rank, key, preview(value, last_user=last_user))

    def _offer(self, name: str, rank: int, key: str, value: Any) -> None:
        if value is None or value == "":
            return
        if self._would_win(name, rank, key):
            self.picks[name] = Pick(rank, key, value)

    def _would_win(self, name: str, rank: int, key: str) -> bool:
        """Pick.beats, without making a Pick for each of the many candidates that lose."""
        current = self.picks.get(name)
        if current is None:
            return True
        if rank != current.rank:
            return rank > current.rank
        return key > current.key if PREFER_LATEST[name] else key < current.key

    def merge(self, other: Summary) -> Summary:
        merged = Summary(
            first_timestamp=min(filter(None, (self.first_timestamp, other.first_timestamp))),
            last_timestamp=max(filter(None, (self.last_timestamp, other.last_timestamp))),
            ends_at=max(filter(None, (self.ends_at, other.ends_at)), default=None),
            models=self.models | other.models,
            event_count=self.event_count + other.event_count,
            generation_count=self.generation_count + other.generation_count,
            input_tokens=min(self.input_tokens + other.input_tokens, MAX_TOKENS),
            output_tokens=min(self.output_tokens + other.output_tokens, MAX_TOKENS),
            total_cost_usd=min(self.total_cost_usd + other.total_cost_usd, MAX_COST_USD),
            has_error=self.has_error or other.has_error,
            has_root=self.has_root or other.has_root,
            picks=dict(self.picks),
        )
        for name, _, latest in PICKS:
            candidate = other.picks.get(name)
            if candidate is not None and candidate.beats(merged.picks.get(name), latest):
                merged.picks[name] = candidate
        return merged

    @property
    def latency_seconds(self) -> float | None:
        root = self.picks.get("root_latency")
        if root is not None:
            return float(root.value)
        if self.first_timestamp is None or self.ends_at is None:
            return None
        return (self.ends_at - self.first_timestamp).total_seconds()

    def as_values(self, now: datetime) -> dict[str, Any]:
        values = {
            "first_timestamp": self.first_timestamp,
            "last_timestamp": self.last_timestamp,
            "ends_at": self.ends_at,
            "models": sorted(self.models),
            "event_count": self.event_count,
            "generation_count": self.generation_count,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_cost_usd": round(self.total_cost_usd, 8),
            "has_error": self.has_error,
            "has_root": self.has_root,
            "latency_seconds": self.latency_seconds,
            "provenance": {name: [pick.rank, pick.key] for name, pick in sorted(self.picks.items())},
            "updated_at": now,
        }
        for name, column, _ in PICKS:
            if column != "latency_seconds":
                pick = self.picks.get(name)
                values[column] = pick.value if pick is not None else None
        return values

    def as_row(self, project_id: int, trace_id: str, now: datetime) -> dict[str, Any]:
        return {"project_id": project_id, "trace_id": trace_id, **self.as_values(now)}

    @classmethod
    def from_row(cls, row: Any) -> Summary:
        summary = cls(
            first_timestamp=row["first_timestamp"],
            last_timestamp=row["last_timestamp"],
            ends_at=row["ends_at"],  # None while only a judge's verdict has come
            models=set(row["models"] or ()),
            event_count=row["event_count"],
            generation_count=row["generation_count"],
            input_tokens=row["input_tokens"],
            output_tokens=row["output_tokens"],
            total_cost_usd=float(row["total_cost_usd"] or 0),
            has_error=row["has_error"],
            has_root=row["has_root"],
        )
        provenance = row["provenance"] or {}
        for name, column, _ in PICKS:
            if name in provenance and row[column] is not None:
                rank, key = provenance[name]
                summary.picks[name] = Pick(rank, key, row[column])
        return summary


def summarise(events: Iterable[AIEvent]) -> dict[str, Summary]:
    """The events' contributions, by trace id."""
    summaries: dict[str, Summary] = {}
    for event in events:
        summary = summaries.get(event.trace_id)
        if summary is None:
            summary = summaries[event.trace_id] = Summary()
        summary.add(event)
    return summaries


def _within(value: Any, limit: float) -> float | None:
    """The number if a summary column holds it (0 to `limit`); None when absent, not finite or beyond."""
    number = finite_number(value)
    return number if number is not None and 0 <= number <= limit else None


def _tokens(total: int, value: Any) -> int:
    """`total` plus a token count the summary can hold (a larger one is left out); the sum stops at the column's
    largest value."""
    count = _within(value, MAX_TOKENS)
    return total if count is None else min(total + int(count), MAX_TOKENS)


def call_cost(props: dict[str, Any]) -> float:
    """The call's total cost, else the sum of its input and output costs; a cost no column holds counts as 0."""
    total = _within(props.get("$ai_total_cost_usd"), MAX_COST_USD)
    if total is not None:
        return total
    return ((_within(props.get("$ai_input_cost_usd"), MAX_COST_USD) or 0)
            + (_within(props.get("$ai_output_cost_usd"), MAX_COST_USD) or 0))


def _latency_and_end(event: AIEvent) -> tuple[float | None, datetime]:
    """The event's latency and end (timestamp + latency); a latency whose end is past what a date holds (year
    9999) is left out, as any number the summary cannot store."""
    latency = _within(event.properties.get("$ai_latency"), math.inf)
    if not latency:
        return latency, event.timestamp
    try:
        return latency, event.timestamp + timedelta(seconds=latency)
    except OverflowError:
        return None, event.timestamp


def _is_error(props: dict[str, Any]) -> bool:
    flag = props.get("$ai_is_error")
    if flag is True or (isinstance(flag, str) and flag.strip().lower() == "true"):
        return True
    if props.get("$ai_error") not in (None, "", False):
        return True
    status = finite_number(props.get("$ai_http_status"))
    return status is not None and status >= 400


def _identifier_or_none(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return clip(str(value).strip(), MAX_ID_LENGTH) or None
