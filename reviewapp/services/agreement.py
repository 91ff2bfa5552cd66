"""Whether the judgments of one item agree, and the values a consensus review takes from them.

Per scorer: categorical answers agree when they chose the same set of options; boolean answers when they are the
same; numeric answers when every pair is at most the queue's `numeric_tolerance` apart (None: they must be equal).
A scorer answered by some judges and not by others is a disagreement; comments are never compared. The consensus
review takes the earliest judgment's values (each pinned to the scorer version it was given under)."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import Judgment, JudgmentScore, ScoreDefinitionVersion
from reviewapp.services.score_validation import ValidatedScore


def _earliest_first(judgments: Sequence[Judgment]) -> list[Judgment]:
    return sorted(judgments, key=lambda j: (j.created_at, j.id))


def _scorer_agrees(scores: list[JudgmentScore | None], tolerance: Decimal | None) -> bool:
    if any(score is None for score in scores):
        return False  # answered by some judges, not by others
    answered = [score for score in scores if score is not None]
    kinds = {_kind(score) for score in answered}
    if len(kinds) != 1:
        return False
    kind = kinds.pop()
    if kind == "categorical":
        return len({frozenset(score.categorical_values or []) for score in answered}) == 1
    if kind == "boolean":
        return len({score.boolean_value for score in answered}) == 1
    numbers = [Decimal(score.numeric_value) for score in answered if score.numeric_value is not None]
    return max(numbers) - min(numbers) <= (tolerance if tolerance is not None else Decimal(0))


def _kind(score: JudgmentScore) -> str:
    if score.categorical_values is not None:
        return "categorical"
    if score.boolean_value is not None:
        return "boolean"
    return "numeric"


def agree(judgments: Sequence[Judgment], tolerance: Decimal | None) -> bool:
    """Whether these judgments (at least one) agree on every scorer any of them answered."""
    if not judgments:
        return False
    by_judge = [{score.definition_id: score for score in judgment.scores} for judgment in judgments]
    scorers: set[uuid.UUID] = set().union(*(answers.keys() for answers in by_judge))
    return all(_scorer_agrees([answers.get(scorer) for answers in by_judge], tolerance) for scorer in scorers)


def consensus_scores(judgments: Sequence[Judgment]) -> list[ValidatedScore]:
    """The agreed values, as the review service takes them: the earliest judgment's scores, each under the
    scorer version it was given (one query)."""
    earliest = _earliest_first(judgments)[0]
    version_ids = [score.definition_version_id for score in earliest.scores]
    versions = {v.id: v for v in db.session.scalars(
        select(ScoreDefinitionVersion).where(ScoreDefinitionVersion.id.in_(version_ids)))} if version_ids else {}
    return [
        ValidatedScore(index=index, definition=score.definition, version=versions[score.definition_version_id],
                       categorical_values=None if score.categorical_values is None else list(score.categorical_values),
                       numeric_value=score.numeric_value, boolean_value=score.boolean_value)
        for index, score in enumerate(earliest.scores)
    ]
