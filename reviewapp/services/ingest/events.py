"""The internal event record every wire format is parsed into, and the `$ai_*` event names the summary knows."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

AI_PREFIX = "$ai_"
ROOT_EVENT = "$ai_trace"
GENERATION_EVENT = "$ai_generation"
EVALUATION_EVENT = "$ai_evaluation"  # a judge's verdict on the trace, not a step of it
# The calls that spend the traced app's tokens and money. PostHog also prices `$ai_evaluation` (the judge's
# tokens) but leaves it out of cost roll-ups: an evaluation's cost is shown on its result, not the trace's.
COSTED_EVENTS = frozenset({"$ai_generation", "$ai_embedding"})
MAX_ID_LENGTH = 255  # the trace_events and traces columns' ids and names


@dataclass(frozen=True)
class AIEvent:
    """One validated `$ai_*` event, ready to store. Its properties use PostHog's `$ai_*` names whatever format
    it came in, so the summary reads every format alike."""

    uuid: str
    event: str
    trace_id: str
    distinct_id: str | None
    timestamp: datetime
    span_id: str | None
    parent_id: str | None
    properties: dict[str, Any]
    properties_json: str | None = field(default=None, compare=False, repr=False)  # serialised once, on parsing

    @cached_property  # read by each of the summary's picks
    def order_key(self) -> str:
        """Sorts events by time, then uuid: a total order, so picks never depend on arrival order."""
        timestamp = self.timestamp
        if timestamp.year < 1000:  # strftime writes such a year in fewer than four digits; keys keep its form
            return f"{timestamp.strftime('%Y-%m-%dT%H:%M:%S.%f')}|{self.uuid}"
        # isoformat is several times faster than strftime; its first 26 characters are the same text
        text = timestamp.isoformat()
        return f"{text[:26] if timestamp.microsecond else text[:19] + '.000000'}|{self.uuid}"
