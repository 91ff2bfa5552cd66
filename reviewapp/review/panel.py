"""The scoring panel of the review pages: which scorers it shows, how each one's inputs are named and filled,
and how a submitted form becomes the score entries the review service validates. No rule lives here: the
service decides what a valid score is, and its refusals are shown beside the scorer they name."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, g
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import MultiDict

from reviewapp.models import (
    Judgment,
    JudgmentScore,
    ReviewQueue,
    ScoreDefinition,
    ScoreDefinitionVersion,
    TraceReview,
    TraceReviewScore,
)
from reviewapp.services import passing, queues, scorers
from reviewapp.services.errors import NotFound
from reviewapp.services.scorer_config import format_decimal

SCORERS_MAX = 500
DAY_SECONDS = 24 * 3600


@dataclass
class ScorerField:
    """One scorer as the panel shows it: the version it is rendered (and will be pinned) against, the input's
    name, what is filled in, and the refusal to show beside it."""

    definition: ScoreDefinition
    version: ScoreDefinitionVersion
    chosen: list[str] = field(default_factory=list)  # option keys, or ["true"]/["false"], or [number text]
    error: str | None = None
    saved: TraceReviewScore | JudgmentScore | None = None  # the saved score for this scorer, as the page opened

    @property
    def input_name(self) -> str:
        return f"score-{self.definition.id}"

    @property
    def version_name(self) -> str:
        return f"version-{self.definition.id}"

    @property
    def kind(self) -> str:
        return self.version.kind

    @property
    def config(self) -> dict[str, Any]:
        return self.version.config or {}

    @property
    def multiple(self) -> bool:
        return self.kind == "categorical" and self.config.get("selection_mode") == "multiple"

    @property
    def value(self) -> str:
        return self.chosen[0] if self.chosen else ""

    @property
    def selection_hint(self) -> str:
        """What a multiple-choice scorer accepts, e.g. "Choose 1–3"."""
        low, high = self.config.get("min_selections"), self.config.get("max_selections")
        if low and high:
            return f"Choose {low}" if low == high else f"Choose {low}–{high}"
        if low:
            return f"Choose at least {low}"
        if high:
            return f"Choose up to {high}"
        return "Choose any"

    @property
    def range_hint(self) -> str:
        """What a numeric scorer accepts, e.g. "0 to 10, step 0.5"."""
        low, high, step = (self.config.get(k) for k in ("min", "max", "step"))
        parts = []
        if low is not None and high is not None:
            parts.append(f"{_number(low)} to {_number(high)}")
        elif low is not None:
            parts.append(f"at least {_number(low)}")
        elif high is not None:
            parts.append(f"at most {_number(high)}")
        if step is not None:
            parts.append(f"step {_number(step)}")
        return ", ".join(parts) or "any number"

    @property
    def has_rule(self) -> bool:
        return passing.has_rule(self.kind, self.config)

    @property
    def rule_text(self) -> str | None:
        """The passing rule in words ("≥ 4 passes"), None when this scorer's scores stay neutral."""
        return passing.describe(self.kind, self.config)

    @property
    def rule_data(self) -> dict[str, str]:
        """The rule as data- attributes, for review.js to decide pass/fail live exactly as passing.verdict does
        (the rule's data, never its words). Empty when there is no rule."""
        if not self.has_rule:
            return {}
        if self.kind == "boolean":
            return {"data-true-is-failure": "true" if passing.true_is_failure(self.config) else "false"}
        rule = passing.numeric_rule(self.config)
        if rule is not None:
            return {"data-pass-operator": rule[0], "data-pass-threshold": repr(rule[1])}
        return {"data-pass-categories": json.dumps(passing.passing_categories(self.config))}

    @property
    def verdict(self) -> bool | None:
        """Pass/fail of what is filled in: the stored verdict while the saved score is shown unchanged,
        otherwise passing.verdict of the value (None with no rule, nothing chosen, or no number)."""
        if self.saved is not None and self.saved.definition_version_id == self.version.id \
                and self.chosen == saved_values(self.saved):
            return self.saved.passed
        if not self.chosen:
            return None
        if self.kind == "categorical":
            return passing.verdict(self.kind, self.config, categorical_values=self.chosen)
        if self.kind == "boolean":
            return passing.verdict(self.kind, self.config, boolean_value=self.chosen[0] == "true")
        try:
            number = Decimal(self.chosen[0])
        except InvalidOperation:
            return None
        return passing.verdict(self.kind, self.config, numeric_value=number) if number.is_finite() else None

    def entry(self) -> dict[str, Any] | None:
        """The score entry for the review service, or None when the reviewer left this scorer empty."""
        if not self.chosen:
            return None
        base = {"definition_id": str(self.definition.id), "definition_version_id": str(self.version.id)}
        if self.kind == "categorical":
            return {**base, "categorical_values": list(self.chosen)}
        if self.kind == "numeric":
            return {**base, "numeric_value": self.chosen[0]}
        return {**base, "boolean_value": self.chosen[0] == "true"}


def _number(value: Any) -> str:
    return format_decimal(Decimal(str(value)))


def panel_definitions(project_id: int, queue: ReviewQueue | None,
                      review: TraceReview | Judgment | None = None) -> list[ScoreDefinition]:
    """The queue's chosen scorers in their order, or every active scorer by name; plus any scorer the review
    already has a score for (saving replaces the whole set, so none may silently drop out)."""
    everything = _project_scorers(project_id)
    by_id = {d.id: d for d in everything}
    chosen = queues.queue_scorer_ids(queue) if queue is not None else []
    if chosen:
        shown = [by_id[i] for i in chosen if i in by_id]
    else:
        shown = [d for d in everything if not d.archived]
    if review is not None:
        have = {d.id for d in shown}
        shown += [s.definition for s in review.scores if s.definition_id not in have]
    return shown


def _project_scorers(project_id: int) -> list[ScoreDefinition]:
    """The project's scorers, read once per request: save & next builds the saved trace's panel and the next
    one's in the same request."""
    read = g.setdefault("panel_scorers", {})
    if project_id not in read:
        read[project_id] = scorers.definitions_by_name(project_id, archived=None, limit=SCORERS_MAX)
    return read[project_id]


def build_fields(definitions: list[ScoreDefinition],
                 review: TraceReview | Judgment | None = None) -> list[ScorerField]:
    """Fields filled from a saved review (or the reviewer's own judgment). A score saved against an older version
    is shown against that version (it stays pinned unless the reviewer changes scorer versions on purpose
    elsewhere)."""
    saved = {s.definition_id: s for s in (review.scores if review else [])}
    fields = []
    for definition in definitions:
        score = saved.get(definition.id)
        version = definition.live()
        if score is not None and score.definition_version_id != definition.current_version_id:
            version = scorers.load_version(definition.project_id, definition.id, score.definition_version_id)
        fields.append(ScorerField(definition, version, saved_values(score), saved=score))
    return fields


def saved_values(score: TraceReviewScore | JudgmentScore | None) -> list[str]:
    """A saved score's value as the form fields hold it (option keys, a number's text, "true"/"false")."""
    if score is None:
        return []
    if score.categorical_values is not None:
        return list(score.categorical_values)
    if score.numeric_value is not None:
        return [format_decimal(score.numeric_value)]
    if score.boolean_value is not None:
        return ["true" if score.boolean_value else "false"]
    return []


def read_form(fields: list[ScorerField], form: MultiDict, project_id: int) -> list[dict[str, Any]]:
    """Fill the fields from a submitted form (keeping the version each was rendered against) and return the
    score entries to save, in panel order."""
    for f in fields:
        pinned = form.get(f.version_name)
        if pinned and pinned != str(f.version.id):
            try:
                f.version = scorers.load_version(project_id, f.definition.id, pinned)
            except NotFound:
                pass  # a tampered pin: keep the version the page showed
        if f.kind == "categorical":
            values = form.getlist(f.input_name) if f.multiple else form.getlist(f.input_name)[:1]
            f.chosen = [v for v in values if v]
        else:
            raw = (form.get(f.input_name) or "").strip()
            f.chosen = [raw] if raw else []
    return [entry for entry in (f.entry() for f in fields) if entry is not None]


def attach_error(fields: list[ScorerField], entries: list[dict[str, Any]], exc) -> bool:
    """Put a score refusal beside its scorer; False if it names none of them."""
    definition_id = getattr(exc, "definition_id", None)
    index = getattr(exc, "index", None)
    if definition_id is None and index is not None and 0 <= index < len(entries):
        definition_id = uuid.UUID(entries[index]["definition_id"])
    for f in fields:
        if f.definition.id == definition_id:
            f.error = getattr(exc, "message", None) or exc.detail
            return True
    return False


# --- time spent -------------------------------------------------------------------------------------------

def _stamp_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="review-page-rendered")


def started_stamp() -> str:
    """A signed timestamp of when the review page was rendered, carried by the form."""
    return _stamp_serializer().dumps(round(time.time(), 3))


def seconds_since(stamp: str | None) -> float | None:
    """Seconds since the page was rendered, clamped to 0..one day; None if the stamp is missing or forged."""
    if not stamp:
        return None
    try:
        started = float(_stamp_serializer().loads(stamp))
    except (BadSignature, TypeError, ValueError):
        return None
    return round(min(max(time.time() - started, 0.0), DAY_SECONDS), 3)
