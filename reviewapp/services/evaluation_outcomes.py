"""Reading one `$ai_evaluation` event (native, OTel-imported, legacy offline) into a verdict, and a verdict into an
outcome in the spec's order: skipped, then N/A, then pass/fail by the evaluation's polarity or passing rule, which
live on the evaluation (set by an admin), never on the event. A result no rule decides is "unknown" (neutral)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from reviewapp.services import passing
from reviewapp.services.ingest.summary import call_cost
from reviewapp.services.numeric import finite_number

PASS_WORDS = frozenset({"pass", "passed"})  # a label that is already a verdict
FAIL_WORDS = frozenset({"fail", "failed"})
TRUE_WORDS = frozenset({"true", "1", "yes"})  # a label that is a raw boolean, read by the evaluation's polarity
FALSE_WORDS = frozenset({"false", "0", "no"})
TARGET_KINDS = {"generation_uuid": "generation", "trace_id": "trace", "session_id": "session",
                "span_id": "span"}
UNNAMED = "Unnamed evaluation"


def as_bool(value: Any) -> bool | None:
    """A boolean as PostHog's UI reads it: true, 'true', 'True', '1' (and 1) are true; their opposites false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
    return None


def _text(value: Any, limit: int = 255) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text[:limit] or None


@dataclass
class Verdict:
    """What one result says, normalised across the event's forms."""

    key: str
    name: str
    runtime: str | None
    result_type: str  # boolean | numeric | categorical | sentiment | label | number
    run_key: str
    target_kind: str
    target_id: str | None
    skipped: bool = False
    skip_reason: str | None = None
    applicable: bool | None = None
    bool_result: bool | None = None
    numeric_result: float | None = None
    labels: list[str] | None = None
    reasoning: str | None = None
    judge_model: str | None = None
    cost_usd: float | None = None


def read_verdict(uuid: str, trace_id: str, props: dict[str, Any]) -> Verdict:
    """The verdict of one event; `uuid` and `trace_id` are the stored event's."""
    legacy = "$ai_evaluation_name" not in props and "$ai_metric_name" in props
    name = _text(props.get("$ai_evaluation_name")) or _text(props.get("$ai_metric_name")) or UNNAMED
    key = _text(props.get("$ai_evaluation_id")) or name
    runtime = _text(props.get("$ai_evaluation_runtime"), 32) or ("offline" if legacy else None)
    result_type = (_text(props.get("$ai_evaluation_result_type"), 16)
                   or _text(props.get("$ai_result_type"), 16) or "").lower()
    verdict = Verdict(key=key, name=name, runtime=runtime, result_type=result_type or "boolean",
                      run_key=_text(props.get("$ai_evaluation_run_id")) or uuid,
                      target_kind="trace", target_id=trace_id)
    _read_target(verdict, trace_id, props)
    verdict.skipped = as_bool(props.get("$ai_evaluation_skipped")) is True or (
        legacy and str(props.get("$ai_status", "")).lower() == "skipped")
    verdict.skip_reason = _text(props.get("$ai_evaluation_skip_reason"), 64)
    verdict.applicable = as_bool(props.get("$ai_evaluation_applicable"))
    if legacy and str(props.get("$ai_status", "")).lower() == "not_applicable":
        verdict.applicable = False
    reasoning = props.get("$ai_evaluation_reasoning", props.get("$ai_reasoning"))
    verdict.reasoning = reasoning if isinstance(reasoning, str) else None
    verdict.judge_model = _text(props.get("$ai_model")) or _text(props.get("$ai_evaluation_model"))
    cost = call_cost(props)
    verdict.cost_usd = round(cost, 8) if cost else None
    _read_result(verdict, props, legacy)
    return verdict


def _read_target(verdict: Verdict, trace_id: str, props: dict[str, Any]) -> None:
    target_type = _text(props.get("$ai_target_type"), 32)
    span = _text(props.get("$ai_target_span_id"))
    if target_type in TARGET_KINDS:
        verdict.target_kind = TARGET_KINDS[target_type]
        verdict.target_id = (_text(props.get("$ai_target_event_id")) if target_type == "generation_uuid"
                             else None) or _text(props.get("$ai_target_id"))
        if target_type == "session_id":
            verdict.target_id = verdict.target_id or _text(props.get("$ai_session_id"))
    elif span:  # OTel results name the graded span
        verdict.target_kind, verdict.target_id = "span", span
    elif _text(props.get("$ai_target_event_id")):
        verdict.target_kind, verdict.target_id = "generation", _text(props.get("$ai_target_event_id"))
    elif _text(props.get("$ai_session_id")) and not props.get("$ai_trace_id"):
        verdict.target_kind, verdict.target_id = "session", _text(props.get("$ai_session_id"))
    else:
        verdict.target_kind, verdict.target_id = "trace", trace_id


def _read_result(verdict: Verdict, props: dict[str, Any], legacy: bool) -> None:
    kind = verdict.result_type
    if legacy:
        verdict.numeric_result = finite_number(props.get("$ai_score"))
        if kind == "boolean" and verdict.numeric_result is not None:
            verdict.bool_result = verdict.numeric_result == 1
            return
        if verdict.numeric_result is not None and kind not in ("numeric", "number"):
            verdict.result_type = "numeric"
        return
    raw = props.get("$ai_evaluation_result")
    # The older OTel form wrote the score to its own properties.
    label = props.get("$ai_evaluation_score_label")
    value = props.get("$ai_evaluation_score_value")
    if kind in ("boolean", ""):
        verdict.bool_result = as_bool(raw)
        if verdict.bool_result is None and isinstance(raw, str) and raw.strip():
            verdict.result_type, verdict.labels = "label", [raw.strip()[:255]]
    elif kind in ("numeric", "number"):
        verdict.numeric_result = finite_number(props.get("$ai_evaluation_numeric_result", raw))
    elif kind == "categorical":
        chosen = props.get("$ai_evaluation_categorical_result")
        if isinstance(chosen, list):
            verdict.labels = [str(item)[:255] for item in chosen if isinstance(item, (str, int))]
    elif kind == "sentiment":
        sentiment = _text(props.get("$ai_sentiment_label"))
        verdict.labels = [sentiment] if sentiment else None
        verdict.numeric_result = finite_number(props.get("$ai_sentiment_score"))
    elif kind == "label":
        text = _text(raw) or _text(label)
        verdict.labels = [text] if text else None
        verdict.numeric_result = finite_number(value)
    else:
        verdict.numeric_result = finite_number(raw)
        other = _text(raw)
        verdict.labels = [other] if verdict.numeric_result is None and other else None
    if kind in ("boolean", "") and raw is None and (label is not None or value is not None):
        old_label = _text(label)
        verdict.result_type = "label" if old_label else "number"
        verdict.labels = [old_label] if old_label else None
        verdict.numeric_result = finite_number(value)


def outcome(verdict: Any, true_is_failure: bool, passing_rule: dict | None) -> str:
    """pass | fail | na | skipped | unknown, in the spec's order. `verdict` is a Verdict or a stored result row
    (the same attribute names), so a rule change re-reads stored results the way ingest read them."""
    if verdict.skipped:
        return "skipped"  # a skipped boolean run still says result=false: never a fail
    if verdict.applicable is False:
        return "na"
    kind = verdict.result_type
    config: dict[str, Any] = {"true_is_failure": true_is_failure, "passing_rule": passing_rule}
    if kind == "boolean":
        return _word(passing.verdict("boolean", config, boolean_value=verdict.bool_result))
    if kind in ("numeric", "number") or (kind in ("label", "sentiment") and not verdict.labels):
        value = verdict.numeric_result
        if value is None or not math.isfinite(value):
            return "unknown"
        return _word(passing.verdict("numeric", config, numeric_value=value))
    return _label_outcome(kind, verdict.labels or [], true_is_failure, passing.passing_categories(config), config)


def _label_outcome(kind: str, labels: list[str], true_is_failure: bool, categories: list[str] | None,
                   config: dict[str, Any]) -> str:
    if categories is None and kind == "label":
        # PostHog defines no polarity for labels: a label that reads as a verdict ("pass", "false") is one.
        words = {label.strip().lower() for label in labels}
        if words and words <= PASS_WORDS:
            return "pass"
        if words and words <= FAIL_WORDS:
            return "fail"
        if len(words) == 1 and words <= TRUE_WORDS | FALSE_WORDS:
            return _word((next(iter(words)) in TRUE_WORDS) != true_is_failure)
    if categories is None:
        return "unknown"  # a sentiment or category passes only by the labels an admin says pass
    if not labels:
        return "fail"
    return _word(passing.verdict("categorical", config, categorical_values=labels))


def _word(passed: bool | None) -> str:
    return "unknown" if passed is None else ("pass" if passed else "fail")
