"""Score validation: each score entry of a review checked against its scorer version (the current one unless
the entry pins another): the right value field, options, ranges and step grids, one score per scorer."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ScoreDefinition, ScoreDefinitionVersion
from reviewapp.services.common import as_uuid
from reviewapp.services.errors import ValidationError
from reviewapp.services.scorer_config import format_decimal, shown, to_decimal

SCORES_MAX = 200
SIX_PLACES = Decimal("0.000001")
VALUE_FIELDS = {"categorical": "categorical_values", "numeric": "numeric_value", "boolean": "boolean_value"}


class ScoreValidationError(ValidationError):
    """A refused score entry: a 400 on `scores` whose detail names the entry and field (`scores[1].numeric_value:
    …`). `index`, `field`, `definition_id` and the bare `message` let a page show it beside that scorer."""

    def __init__(self, index: int, field: str | None, message: str, definition_id: uuid.UUID | None = None,
                 code: str = "invalid_input"):
        where = f"scores[{index}]" + (f".{field}" if field else "")
        super().__init__(f"{where}: {message}", "scores", code)
        self.index = index
        self.field = field
        self.message = message
        self.definition_id = definition_id


@dataclass
class ValidatedScore:
    index: int
    definition: ScoreDefinition
    version: ScoreDefinitionVersion
    categorical_values: list[str] | None = None
    numeric_value: Decimal | None = None
    boolean_value: bool | None = None


# How a value check refuses (field, message, code) for the entry and scorer it checks.
Refuse = Callable[..., ScoreValidationError]


def validate_scores(project_id: int, entries: Any, *,
                    known: Iterable[tuple[ScoreDefinition, ScoreDefinitionVersion]] = ()) -> list[ValidatedScore]:
    """Check each score entry against its scorer version (the current one unless `definition_version_id` pins
    another) and return them resolved. The first bad entry raises ScoreValidationError.

    `known`, scorers and the versions shown of them that the caller read in this transaction (the review page's
    panel), are not read again; anything else an entry names is."""
    if entries is None:
        raise ValidationError("This field may not be null.", "scores")
    if not isinstance(entries, list):
        raise ValidationError("Expected a list of scores.", "scores")
    if len(entries) > SCORES_MAX:
        raise ValidationError(f"A review can have at most {SCORES_MAX} scores.", "scores")

    definition_ids = {as_uuid(e.get("definition_id")) for e in entries if isinstance(e, dict)} - {None}
    version_ids = {as_uuid(e.get("definition_version_id")) for e in entries if isinstance(e, dict)} - {None}
    mine = [(d, v) for d, v in known if d.project_id == project_id and v.definition_id == d.id]
    definitions = {d.id: d for d, _ in mine}
    versions = {v.id: v for _, v in mine}
    definition_ids -= definitions.keys()
    version_ids -= versions.keys()
    if definition_ids:
        definitions.update((d.id, d) for d in db.session.scalars(select(ScoreDefinition).where(
            ScoreDefinition.project_id == project_id, ScoreDefinition.id.in_(definition_ids))))
    if version_ids:
        versions.update((v.id, v) for v in db.session.scalars(select(ScoreDefinitionVersion).where(
            ScoreDefinitionVersion.project_id == project_id, ScoreDefinitionVersion.id.in_(version_ids))))

    validated: list[ValidatedScore] = []
    seen: set[uuid.UUID] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ScoreValidationError(index, None, "Expected an object with definition_id and a value.")
        raw_id = entry.get("definition_id")
        if raw_id is None or raw_id == "":
            raise ScoreValidationError(index, "definition_id", "This field is required.", code="required")
        definition_id = as_uuid(raw_id)
        if definition_id is None:
            raise ScoreValidationError(index, "definition_id", f"“{shown(raw_id)}” is not a valid UUID.")
        definition = definitions.get(definition_id)
        if definition is None:
            raise ScoreValidationError(index, "definition_id", "Scorer not found.", definition_id)
        if definition_id in seen:
            raise ScoreValidationError(index, "definition_id",
                                       f"Scorer “{definition.name}” is scored more than once; "
                                       "a review has at most one score per scorer.", definition_id)
        seen.add(definition_id)
        version = _chosen_version(index, definition, entry.get("definition_version_id"), versions)
        validated.append(_validated_value(index, definition, version, entry))
    return validated


def _chosen_version(index: int, definition: ScoreDefinition, raw: Any,
                    versions: dict[uuid.UUID, ScoreDefinitionVersion]) -> ScoreDefinitionVersion:
    if raw is None or raw == "":
        return definition.live()
    version_id = as_uuid(raw)
    if version_id is None:
        raise ScoreValidationError(index, "definition_version_id", f"“{shown(raw)}” is not a valid UUID.",
                                   definition.id)
    version = versions.get(version_id)
    if version is None or version.definition_id != definition.id:
        raise ScoreValidationError(index, "definition_version_id",
                                   f"This is not a version of scorer “{definition.name}”.", definition.id)
    return version


def _validated_value(index: int, definition: ScoreDefinition, version: ScoreDefinitionVersion,
                     entry: dict[str, Any]) -> ValidatedScore:
    kind, config = version.kind, version.config
    expected = VALUE_FIELDS[kind]
    given = [name for name in VALUE_FIELDS.values() if entry.get(name) is not None]

    def refuse(field: str | None, message: str, code: str = "invalid_input") -> ScoreValidationError:
        return ScoreValidationError(index, field, message, definition.id, code)

    if not given:
        raise refuse(expected, f"This field is required for the {kind} scorer “{definition.name}”.", "required")
    if len(given) > 1:
        raise refuse(None, f"Give exactly one value; the {kind} scorer “{definition.name}” takes {expected} "
                           f"(got {', '.join(given)}).")
    if given[0] != expected:
        raise refuse(given[0], f"“{definition.name}” is a {kind} scorer: give {expected} instead.")
    raw = entry[expected]
    score = ValidatedScore(index, definition, version)
    if kind == "categorical":
        score.categorical_values = _categorical(raw, config, refuse)
    elif kind == "numeric":
        score.numeric_value = _numeric(raw, config, refuse)
    else:
        if not isinstance(raw, bool):
            raise refuse(expected, "Must be true or false.")
        score.boolean_value = raw
    return score


def _categorical(raw: Any, config: dict[str, Any], refuse: Refuse) -> list[str]:
    field = "categorical_values"
    if not isinstance(raw, list):
        raise refuse(field, "Expected a list of option keys.")
    if not raw:
        raise refuse(field, "Choose at least one option.")
    keys = [option["key"] for option in config.get("options", [])]
    chosen: list[str] = []
    for value in raw:
        if not isinstance(value, str):
            raise refuse(field, f"Option keys are strings; got {shown(value)}.")
        if value not in keys:
            raise refuse(field, f"“{shown(value)}” is not an option of this scorer. Options: {', '.join(keys)}.")
        if value in chosen:
            raise refuse(field, f"Option “{value}” is chosen more than once.")
        chosen.append(value)
    count = len(chosen)
    if config.get("selection_mode", "single") == "single":
        if count != 1:
            raise refuse(field, f"This scorer takes exactly one option (got {count}).")
        return chosen
    low, high = config.get("min_selections"), config.get("max_selections")
    if low is not None and count < low:
        raise refuse(field, f"Choose at least {low} options (got {count}).")
    if high is not None and count > high:
        raise refuse(field, f"Choose at most {high} options (got {count}).")
    return chosen


def _numeric(raw: Any, config: dict[str, Any], refuse: Refuse) -> Decimal:
    field = "numeric_value"
    try:
        value = to_decimal(raw, field, error=ValidationError)
    except ValidationError as exc:
        raise refuse(field, exc.detail) from None
    if value is None:  # an empty string: present, but not a number
        raise refuse(field, "A valid number is required.")
    low = to_decimal(config.get("min"), "min")
    high = to_decimal(config.get("max"), "max")
    step = to_decimal(config.get("step"), "step")
    if low is not None and value < low:
        raise refuse(field, f"Value {format_decimal(value)} is below the minimum {format_decimal(low)}.")
    if high is not None and value > high:
        raise refuse(field, f"Value {format_decimal(value)} is above the maximum {format_decimal(high)}.")
    if step is not None:
        origin = low if low is not None else Decimal(0)
        with localcontext() as context:
            context.prec = 60  # exact for every value and step the storage can hold
            off_grid = (value - origin) % step != 0
        if off_grid:
            raise refuse(field, f"Value {format_decimal(value)} is not on the step grid "
                                f"(step {format_decimal(step)} from {format_decimal(origin)}).")
    return value.quantize(SIX_PLACES)
