"""Score rows, of a final review or of a judgment, made exactly the validated scores: an unchanged score keeps its
row and timestamps, a changed one is updated, a new one added and a dropped one removed; each carries a copy of
its scorer version's config and its pass/fail verdict (services.passing)."""
from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, TypeVar

from reviewapp.models import ScoreValues
from reviewapp.services import passing
from reviewapp.services.score_validation import ValidatedScore

Row = TypeVar("Row", bound=ScoreValues)


def _values(item: ValidatedScore) -> dict[str, Any]:
    return {
        "definition_version_id": item.version.id,
        "definition_version": item.version.version,
        "definition_config": copy.deepcopy(item.version.config),
        "categorical_values": item.categorical_values,
        "numeric_value": item.numeric_value,
        "boolean_value": item.boolean_value,
        "passed": passing.verdict(item.version.kind, item.version.config,
                                  categorical_values=item.categorical_values, numeric_value=item.numeric_value,
                                  boolean_value=item.boolean_value),
    }


def replace_scores(rows: list[Row], row_type: type[Row], project_id: int, validated: list[ValidatedScore],
                   now: datetime) -> None:
    """Make `rows` (a review's or a judgment's scores relationship) exactly `validated`."""
    existing = {score.definition_id: score for score in rows}
    for item in validated:
        values = _values(item)
        score = existing.pop(item.definition.id, None)
        if score is None:
            row = row_type()
            for name, value in {"project_id": project_id, "definition_id": item.definition.id,
                                "definition": item.definition, "created_at": now, "updated_at": now,
                                **values}.items():
                setattr(row, name, value)
            rows.append(row)
        elif any(getattr(score, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(score, name, value)
            score.updated_at = now
    for score in existing.values():
        rows.remove(score)
