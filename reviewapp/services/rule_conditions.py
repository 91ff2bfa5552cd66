"""What a queue rule's conditions mean, said twice and kept equal: in Python against a trace's summary as ingestion
merges it (no query), and in SQL over the stored traces for a backfill, where the conditions the traces list also
filters on (text, model, errors) reuse its filter code.

A condition is {"field", "op", "value"} (plus "key" for a property or an evaluation); a rule's conditions must all
hold. Provider and property values are read from the trace's events, not its evaluation results (whose model and
provider are the judge's), compared without case, a number or boolean as its JSON text: ingestion looks at the
batch's events first and asks the database only about a trace seen before that would otherwise be added. An
evaluation condition reads the trace's stored evaluation results."""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, func, select

from reviewapp.extensions import db
from reviewapp.models import Evaluation, Trace, TraceEvaluation, TraceEvent
from reviewapp.services import traces
from reviewapp.services.errors import ValidationError
from reviewapp.services.ingest.events import EVALUATION_EVENT, AIEvent
from reviewapp.services.ingest.summary import Summary

CONDITIONS_MAX = 20
TEXT_MAX = 255
NUMBERS = {  # field: (the summary's attribute, the trace column, what the form and the docs call it)
    "cost": ("total_cost_usd", Trace.total_cost_usd, "Cost (USD)"),
    "latency": ("latency_seconds", Trace.latency_seconds, "Latency (seconds)"),
    "input_tokens": ("input_tokens", Trace.input_tokens, "Input tokens"),
    "output_tokens": ("output_tokens", Trace.output_tokens, "Output tokens"),
    "total_tokens": ("total_tokens", Trace.input_tokens + Trace.output_tokens, "Total tokens"),
}
NUMBER_OPS = {"gte": "at least", "lte": "at most"}
TEXTS = {"model": "Model", "provider": "Provider", "user": "User (distinct id)", "session": "Session",
         "text": "Text", "property": "Property"}
EVALUATION = "evaluation"
OUTCOMES = ("pass", "fail", "na", "skipped", "unknown")
FIELDS = (*NUMBERS, *TEXTS, "error", EVALUATION)
EVENT_FIELDS = ("provider", "property")  # read from the trace's events, not its summary


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    key: str | None = None

    def as_json(self) -> dict[str, Any]:
        body = {"field": self.field, "op": self.op, "value": self.value}
        return body if self.key is None else {**body, "key": self.key}

    @property
    def event_key(self) -> str | None:
        """The event property this condition reads, if it reads one."""
        return "$ai_provider" if self.field == "provider" else self.key if self.field == "property" else None

    def describe(self) -> str:
        if self.field in NUMBERS:
            return f"{NUMBERS[self.field][2].lower()} {NUMBER_OPS[self.op]} {format_number(self.value)}"
        if self.field == "error":
            return "has an error" if self.value else "has no error"
        if self.field == "text":
            return f"mentions “{self.value}”"
        if self.field == "property":
            return f"property {self.key} is “{self.value}”"
        if self.field == EVALUATION:
            return f"evaluation {self.key} is {self.value}"
        return f"{TEXTS[self.field].lower()} is “{self.value}”"


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --- reading conditions --------------------------------------------------------------------------------

def clean_conditions(raw: Any, attr: str = "conditions") -> list[Condition]:
    """The conditions as stored, each checked; an empty list matches every trace."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError("Expected a list of conditions.", attr)
    if len(raw) > CONDITIONS_MAX:
        raise ValidationError(f"A rule takes at most {CONDITIONS_MAX} conditions.", attr)
    return [_clean_one(item, f"{attr}[{index}]") for index, item in enumerate(raw)]


def _clean_one(raw: Any, attr: str) -> Condition:
    if not isinstance(raw, dict):
        raise ValidationError("Each condition is an object with a field and a value.", attr)
    name = raw.get("field")
    if name not in FIELDS:
        raise ValidationError(f"Unknown condition field “{name}”; one of: {', '.join(FIELDS)}.", attr)
    value = raw.get("value")
    if name in NUMBERS:
        op = raw.get("op") or "gte"
        if op not in NUMBER_OPS:
            raise ValidationError(f"A {name} condition's op is gte or lte.", attr)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError(f"A {name} condition needs a number.", attr)
        try:
            number = float(value)
        except ValueError:
            raise ValidationError(f"A {name} condition needs a number.", attr) from None
        if not math.isfinite(number) or number < 0:
            raise ValidationError(f"A {name} condition needs a number of 0 or more.", attr)
        return Condition(name, op, number)
    if name == "error":
        if not isinstance(value, bool):
            raise ValidationError("An error condition's value is true or false.", attr)
        return Condition(name, "is", value)
    if name == EVALUATION:
        if value not in OUTCOMES:
            raise ValidationError(f"An evaluation condition's value is one of: {', '.join(OUTCOMES)}.", attr)
        return Condition(name, "is", value, _text(raw.get("key"), "an evaluation condition's key", attr))
    key = _text(raw.get("key"), "a property condition's key", attr) if name == "property" else None
    text = _text(value, f"a {name} condition's value", attr)
    return Condition(name, "contains" if name == "text" else "is", text, key)


def _text(raw: Any, what: str, attr: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError(f"Give {what}.", attr)
    if len(raw.strip()) > TEXT_MAX:
        raise ValidationError(f"{what[0].upper()}{what[1:]} is at most {TEXT_MAX} characters.", attr)
    return raw.strip()


def stored(conditions: Iterable[dict[str, Any]]) -> list[Condition]:
    return [Condition(c["field"], c["op"], c["value"], c.get("key")) for c in conditions]


# --- in Python, as a trace arrives -----------------------------------------------------------------------

@dataclass
class BatchFacts:
    """What a batch's events say about each trace beyond its summary: the property values its events carry
    (as text), for the keys some rule asks about."""

    values: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # trace id → key → values
    evaluated: set[str] = field(default_factory=set)  # traces with an evaluation result in the batch

    @classmethod
    def of(cls, events: Iterable[AIEvent], keys: set[str]) -> BatchFacts:
        facts = cls()
        for event in events:
            if event.event == EVALUATION_EVENT:  # a judge's own model and provider are not the trace's
                facts.evaluated.add(event.trace_id)
            elif keys:
                properties = event.properties
                for key in keys:
                    if key in properties and (text := property_text(properties[key])) is not None:
                        # kept casefolded: conditions compare without case
                        facts.values.setdefault(event.trace_id, {}).setdefault(key, set()).add(text.casefold())
        return facts

    def has(self, trace_id: str, key: str, value: str) -> bool:
        return value.casefold() in self.values.get(trace_id, {}).get(key, ())

    def woken(self, condition: Condition) -> set[str]:
        """The traces for which `came_true` holds of an event or evaluation condition: a rule reading nothing from
        the summary need look at no other trace of the batch."""
        if condition.field in EVENT_FIELDS:
            key, value = condition.event_key or "", condition.value.casefold()
            return {trace_id for trace_id, values in self.values.items() if value in values.get(key, ())}
        return self.evaluated


def property_text(value: Any) -> str | None:
    """A property's value as the conditions compare it: text as is, a number or boolean as its JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return None


UNKNOWN = None  # the summary and the batch cannot tell: the database decides


def event_holds_now(condition: Condition, trace_id: str, batch: BatchFacts, new_trace: bool) -> bool | None:
    """Whether the trace meets an event or evaluation condition after this batch: True, False, or UNKNOWN when only
    stored events (an older batch's provider or property) or stored evaluation results can tell."""
    if condition.field in EVENT_FIELDS:
        if batch.has(trace_id, condition.event_key or "", condition.value):
            return True
        return False if new_trace else UNKNOWN
    # An evaluation: a trace new with this batch has no results but the batch's.
    return False if new_trace and trace_id not in batch.evaluated else UNKNOWN


def came_true(condition: Condition, trace_id: str, batch: BatchFacts) -> bool:
    """Whether this batch may have made an event or evaluation condition hold for a trace seen before: the batch's
    events carry the provider or property, or bring a result of the evaluation."""
    if condition.field in EVENT_FIELDS:
        return batch.has(trace_id, condition.event_key or "", condition.value)
    return trace_id in batch.evaluated


SummaryTest = Callable[[str, Summary], bool]


class SearchedTexts:
    """What text conditions search, casefolded: the trace id and its summary's name, input, output and user (the
    traces list's search columns), worked out once per trace and batch for every rule that searches, as one text
    (SEPARATOR between the parts) so that a term is looked for in one step."""

    SEPARATOR = "\x00"  # a term holding it is looked for part by part, so it never matches across two parts

    def __init__(self) -> None:
        self._of: dict[str, tuple[Summary, str]] = {}

    def __call__(self, trace_id: str, summary: Summary) -> str:
        found = self._of.get(trace_id)
        if found is None or found[0] is not summary:  # the summary before the batch is asked about too
            parts, picks = [trace_id], summary.picks
            for name in SEARCHED_PICKS:
                if (pick := picks.get(name)) is not None:
                    parts.append(str(pick.value))
            found = self._of[trace_id] = (summary, self.SEPARATOR.join(parts).casefold())  # folded letter by letter
        return found[1]


def summary_test(condition: Condition, searched: SearchedTexts | None = None) -> SummaryTest | None:
    """The condition as a test of (trace id, summary), built once per batch (`searched` shared by the batch's
    tests), for a condition the summary settles; None for one read from events or evaluation results. Ingestion
    runs these for every trace and rule."""
    name, value = condition.field, condition.value
    if name == "total_tokens":
        if condition.op == "gte":
            return lambda _, s: s.input_tokens + s.output_tokens >= value
        return lambda _, s: s.input_tokens + s.output_tokens <= value
    if name == "latency":  # a property: the root's latency, else the span of the events (None without either)
        if condition.op == "gte":
            return lambda _, s: (n := s.latency_seconds) is not None and n >= value
        return lambda _, s: (n := s.latency_seconds) is not None and n <= value
    if name in NUMBERS:
        attr = NUMBERS[name][0]
        if condition.op == "gte":
            return lambda _, s: getattr(s, attr) >= value
        return lambda _, s: getattr(s, attr) <= value
    if name == "error":
        return lambda _, s: s.has_error is value
    if name == "model":
        return lambda _, s: value in s.models
    if name in ("user", "session"):
        pick_name = "distinct" if name == "user" else "session"
        return lambda _, s: (p := s.picks.get(pick_name)) is not None and str(p.value) == value
    if name == "text":
        term, texts = value.casefold(), searched or SearchedTexts()
        if SearchedTexts.SEPARATOR in term:
            return lambda trace_id, s: any(term in part for part in texts(trace_id, s).split(SearchedTexts.SEPARATOR))
        return lambda trace_id, s: term in texts(trace_id, s)
    return None


SEARCHED_PICKS = ("name", "input", "output", "distinct")  # with the trace id: the list's search columns


def stored_event_values(project_id: int, trace_ids: list[str], keys: list[str]) -> dict[str, dict[str, set[str]]]:
    """For traces seen before, the values their stored events carry for `keys` (one query)."""
    if not trace_ids or not keys:
        return {}
    columns = [func.lower(cast(TraceEvent.properties[key].as_string(), String)) for key in keys]
    found: dict[str, dict[str, set[str]]] = {}
    for trace_id, *values in db.session.execute(
        select(TraceEvent.trace_id, *columns).distinct()
        .where(TraceEvent.project_id == project_id, TraceEvent.trace_id.in_(trace_ids),
               TraceEvent.event != EVALUATION_EVENT)
    ):
        for key, value in zip(keys, values, strict=True):
            if value is not None:
                found.setdefault(trace_id, {}).setdefault(key, set()).add(str(value).casefold())
    return found


# --- in SQL, over stored traces --------------------------------------------------------------------------

def sql_conditions(project_id: int, conditions: list[Condition]) -> list[Any]:
    """The WHERE clauses over `traces` that select what `summary_test` (and the database checks after it)
    match."""
    clauses: list[Any] = []
    for condition in conditions:
        name = condition.field
        if name in NUMBERS:
            column = NUMBERS[name][1]
            clauses.append(column >= condition.value if condition.op == "gte" else column <= condition.value)
        elif name == "error":
            clauses.append(Trace.has_error.is_(condition.value))
        elif name == "model":
            clauses.append(traces.has_model(project_id, condition.value))
        elif name == "user":
            clauses.append(Trace.distinct_id == condition.value)
        elif name == "session":
            clauses.append(Trace.session_id == condition.value)
        elif name == "text":
            clauses.append(traces.mentions(condition.value))
        elif name in EVENT_FIELDS:
            text = func.lower(cast(TraceEvent.properties[condition.event_key].as_string(), String))
            clauses.append(select(TraceEvent.id).where(
                TraceEvent.project_id == project_id, TraceEvent.trace_id == Trace.trace_id,
                TraceEvent.event != EVALUATION_EVENT, text == condition.value.lower()).exists())
        elif name == EVALUATION:
            clauses.append(evaluation_clause(project_id, condition))
    return clauses


def evaluation_clause(project_id: int, condition: Condition) -> Any:
    """Traces with a result of the evaluation `condition.key` whose outcome is `condition.value` (any one of its
    results, when it judged several parts of the trace)."""
    return (select(TraceEvaluation.id)
            .join(Evaluation, Evaluation.id == TraceEvaluation.evaluation_id)
            .where(TraceEvaluation.project_id == project_id, TraceEvaluation.trace_id == Trace.trace_id,
                   Evaluation.key == condition.key, TraceEvaluation.outcome == condition.value)
            .exists())


def evaluation_outcomes(project_id: int, trace_ids: list[str], keys: list[str]) -> set[tuple[str, str, str]]:
    """(trace id, evaluation key, outcome) of the traces' stored evaluation results for `keys` (one query)."""
    if not trace_ids or not keys:
        return set()
    return {(trace_id, key, outcome) for trace_id, key, outcome in db.session.execute(
        select(TraceEvaluation.trace_id, Evaluation.key, TraceEvaluation.outcome).distinct()
        .join(Evaluation, Evaluation.id == TraceEvaluation.evaluation_id)
        .where(TraceEvaluation.project_id == project_id, TraceEvaluation.trace_id.in_(trace_ids),
               Evaluation.key.in_(keys)))}


def evaluation_choices(project_id: int) -> list[tuple[str, str]]:
    """Every evaluation the project has seen, as (key, name), by name: for the rule form."""
    return [(key, name) for key, name in db.session.execute(
        select(Evaluation.key, Evaluation.name).where(Evaluation.project_id == project_id)
        .order_by(Evaluation.name, Evaluation.key).limit(500))]
