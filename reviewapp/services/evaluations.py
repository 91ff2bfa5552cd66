"""Evaluation results in: recording `$ai_evaluation` events as they are stored, their counts by outcome, and the
admin's settings that decide their outcome (polarity, passing rule) and the scorer each evaluation is compared
with."""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update

from reviewapp.extensions import db
from reviewapp.models import Evaluation, EvaluationOutcomeCount, Membership, ScoreDefinition, TraceEvaluation, utcnow
from reviewapp.services import passing, scorers, visibility
from reviewapp.services.common import ID_MAX, insert_ignoring_conflicts
from reviewapp.services.errors import NotFound, ValidationError
from reviewapp.services.evaluation_outcomes import Verdict, outcome, read_verdict
from reviewapp.services.ingest.events import EVALUATION_EVENT, AIEvent
from reviewapp.services.numeric import finite_number

EVALUATIONS = cast(Table, Evaluation.__table__)
TRACE_EVALUATIONS = cast(Table, TraceEvaluation.__table__)
OUTCOME_COUNTS = cast(Table, EvaluationOutcomeCount.__table__)


def record_results(project_id: int, events: Sequence[AIEvent]) -> int:
    """Record the results of newly stored `$ai_evaluation` events, inside the caller's transaction, in at most
    six statements whatever their number: add the evaluations not seen before, read every one named, rename
    those whose latest result carries a new name, insert the results (a result whose run is already stored,
    an OTel replay under another uuid, is skipped by the database) and fold the ones inserted into their
    evaluations' outcome counts (two). The number of results written."""
    if not events:
        return 0
    read = [(event, read_verdict(event.uuid, event.trace_id, event.properties)) for event in events]
    latest: dict[str, tuple[datetime, Verdict]] = {}
    for event, verdict in read:
        if verdict.key not in latest or event.timestamp >= latest[verdict.key][0]:
            latest[verdict.key] = (event.timestamp, verdict)
    keys = sorted(latest)  # sorted: two batches adding the same evaluations wait for each other, not deadlock
    db.session.execute(insert_ignoring_conflicts(EVALUATIONS, ["project_id", "key"]), [
        {"project_id": project_id, "key": key, "name": latest[key][1].name[:255], "name_seen_at": latest[key][0],
         "runtime": latest[key][1].runtime, "result_type": latest[key][1].result_type,
         "true_is_failure": False, "passing_rule": None, "score_definition_id": None,
         "created_at": latest[key][0], "updated_at": latest[key][0]}
        for key in keys])
    known = {row.key: row for row in db.session.execute(
        select(EVALUATIONS.c.id, EVALUATIONS.c.key, EVALUATIONS.c.name, EVALUATIONS.c.name_seen_at,
               EVALUATIONS.c.true_is_failure, EVALUATIONS.c.passing_rule)
        .where(EVALUATIONS.c.project_id == project_id, EVALUATIONS.c.key.in_(keys)))}
    renamed = [{"row_id": known[key].id, "new_name": latest[key][1].name, "seen": latest[key][0]}
               for key in keys if known[key].name != latest[key][1].name
               and latest[key][0] > known[key].name_seen_at]
    if renamed:
        db.session.execute(update(EVALUATIONS).where(EVALUATIONS.c.id == bindparam("row_id"))
                           .values(name=bindparam("new_name"), name_seen_at=bindparam("seen")), renamed)
    rows = []
    for event, verdict in sorted(read, key=lambda pair: pair[1].run_key):
        evaluation = known[verdict.key]
        rows.append({
            "project_id": project_id, "evaluation_id": evaluation.id, "run_key": verdict.run_key,
            "event_uuid": event.uuid, "trace_id": event.trace_id, "target_kind": verdict.target_kind,
            "target_id": verdict.target_id, "timestamp": event.timestamp,
            "outcome": outcome(verdict, evaluation.true_is_failure, evaluation.passing_rule),
            "result_type": verdict.result_type, "skipped": verdict.skipped, "skip_reason": verdict.skip_reason,
            "applicable": verdict.applicable, "bool_result": verdict.bool_result,
            "numeric_result": verdict.numeric_result, "labels": verdict.labels, "reasoning": verdict.reasoning,
            "judge_model": verdict.judge_model, "cost_usd": verdict.cost_usd,
        })
    written = db.session.execute(
        insert_ignoring_conflicts(TRACE_EVALUATIONS, ["project_id", "run_key"])
        .returning(TRACE_EVALUATIONS.c.evaluation_id, TRACE_EVALUATIONS.c.outcome), rows).all()
    _fold_counts(project_id, Counter((row.evaluation_id, row.outcome) for row in written))
    return len(written)


def evaluation_events(events: Iterable[AIEvent]) -> list[AIEvent]:
    return [event for event in events if event.event == EVALUATION_EVENT]


def as_utc(value: datetime) -> datetime:
    """A timestamp read by an aggregate (SQLite gives it back naive) as aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# --- counts by outcome ------------------------------------------------------------------------------------------
# An evaluation's results per outcome are the sum of its evaluation_outcome_counts rows: each writer adds a row of
# what it changed in its own transaction, so the sums are exact under any concurrency and no writer waits for
# another's counter. Ingest folds the rows of the evaluations it wrote into one per outcome.

Changes = Counter[tuple[int, str]]  # (evaluation id, outcome) -> results added (negative: gone)


def _add_counts(project_id: int, changes: Changes) -> None:
    rows = [{"project_id": project_id, "evaluation_id": evaluation_id, "outcome": result, "results": n}
            for (evaluation_id, result), n in sorted(changes.items()) if n]
    if rows:
        db.session.execute(insert(OUTCOME_COUNTS), rows)


def _fold_counts(project_id: int, changes: Changes) -> None:
    """Add `changes` (the results ingest just inserted) to their evaluations' counts, taking those evaluations'
    rows in and writing one row per outcome back. Rows another transaction holds (it is folding them too) are
    skipped, not waited for: they stay as they are, to be folded later, and the sums stay exact."""
    if not changes:
        return
    held = select(OUTCOME_COUNTS.c.id).where(
        OUTCOME_COUNTS.c.project_id == project_id,
        OUTCOME_COUNTS.c.evaluation_id.in_(sorted({evaluation_id for evaluation_id, _ in changes})),
    ).with_for_update(skip_locked=True)
    taken = db.session.execute(
        delete(OUTCOME_COUNTS).where(OUTCOME_COUNTS.c.id.in_(held))
        .returning(OUTCOME_COUNTS.c.evaluation_id, OUTCOME_COUNTS.c.outcome, OUTCOME_COUNTS.c.results)).all()
    folded = Counter(changes)
    for evaluation_id, result, n in taken:
        folded[(evaluation_id, result)] += n
    _add_counts(project_id, folded)


def delete_trace_results(project_id: int, trace_ids: Sequence[str]) -> None:
    """Delete the results of these traces (retention), taking them off their evaluations' counts in the same
    transaction."""
    gone = db.session.execute(
        delete(TRACE_EVALUATIONS)
        .where(TRACE_EVALUATIONS.c.project_id == project_id, TRACE_EVALUATIONS.c.trace_id.in_(trace_ids))
        .returning(TRACE_EVALUATIONS.c.evaluation_id, TRACE_EVALUATIONS.c.outcome)).all()
    _add_counts(project_id, Counter({key: -n for key, n in Counter(
        (row.evaluation_id, row.outcome) for row in gone).items()}))


# --- reading -----------------------------------------------------------------------------------------------------

OUTCOME_LABELS = {"pass": "Pass", "fail": "Fail", "na": "N/A", "skipped": "Skipped", "unknown": "No verdict"}
RECOMPUTE_BATCH = 2000  # results re-read per statement when an evaluation's rule changes


@dataclass
class EvaluationRow:
    """An evaluation with how its results came out, for the Evaluations page and API."""

    evaluation: Evaluation
    counts: dict[str, int]  # by outcome
    last_seen: datetime | None
    scorer_name: str | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def pass_rate(self) -> float | None:
        """Passes among the results with a verdict: skipped, N/A and neutral ones left out, as PostHog's reports."""
        decided = self.counts.get("pass", 0) + self.counts.get("fail", 0)
        return self.counts.get("pass", 0) / decided if decided else None


def list_evaluations(project_id: int, evaluation_id: int | None = None) -> list[EvaluationRow]:
    """Every evaluation the project has seen (or the one asked for), by name, with its results counted by outcome
    and its last one: two queries, whose cost grows with the evaluations, not their results."""
    last_seen = (select(func.max(TraceEvaluation.timestamp))
                 .where(TraceEvaluation.evaluation_id == Evaluation.id)
                 .correlate(Evaluation).scalar_subquery())
    found = db.session.execute(
        select(Evaluation, ScoreDefinition.name, last_seen)
        .outerjoin(ScoreDefinition, ScoreDefinition.id == Evaluation.score_definition_id)
        .where(Evaluation.project_id == project_id,
               *([] if evaluation_id is None else [Evaluation.id == evaluation_id]))
        .order_by(func.lower(Evaluation.name), Evaluation.id)).all()
    counts: dict[int, dict[str, int]] = {}
    for counted_id, result, n in db.session.execute(
            select(OUTCOME_COUNTS.c.evaluation_id, OUTCOME_COUNTS.c.outcome, func.sum(OUTCOME_COUNTS.c.results))
            .where(OUTCOME_COUNTS.c.project_id == project_id,
                   *([] if evaluation_id is None else [OUTCOME_COUNTS.c.evaluation_id == evaluation_id]))
            .group_by(OUTCOME_COUNTS.c.evaluation_id, OUTCOME_COUNTS.c.outcome)):
        if n:
            counts.setdefault(counted_id, {})[result] = int(n)
    return [EvaluationRow(evaluation, counts.get(evaluation.id, {}), as_utc(latest) if latest else None, scorer_name)
            for evaluation, scorer_name, latest in found]


def load_evaluation(project_id: int, evaluation_id: int | str) -> Evaluation:
    """An evaluation of this project, or NotFound."""
    try:
        wanted = int(evaluation_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    evaluation = db.session.scalar(select(Evaluation).where(
        Evaluation.project_id == project_id, Evaluation.id == wanted)) if 0 < wanted <= ID_MAX else None
    if evaluation is None:
        raise NotFound()
    return evaluation


@dataclass
class TraceResult:
    """One result as the trace page shows it."""

    result: TraceEvaluation
    name: str
    runtime: str | None

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.result.outcome, self.result.outcome)

    @property
    def value(self) -> str | None:
        """The raw verdict in a few words: "true", "0.62", "rude, off-topic"."""
        row = self.result
        if row.labels:
            return ", ".join(str(label) for label in row.labels)
        if row.numeric_result is not None:
            return f"{row.numeric_result:g}"
        if row.bool_result is not None:
            return "true" if row.bool_result else "false"
        return None


def results_for_trace(project_id: int, trace_id: str) -> list[TraceResult]:
    """The trace's evaluation results, oldest first, with their evaluations' names: one query."""
    return [TraceResult(result, name, runtime) for result, name, runtime in db.session.execute(
        select(TraceEvaluation, Evaluation.name, Evaluation.runtime)
        .join(Evaluation, Evaluation.id == TraceEvaluation.evaluation_id)
        .where(TraceEvaluation.project_id == project_id, TraceEvaluation.trace_id == trace_id)
        .order_by(TraceEvaluation.timestamp, TraceEvaluation.id))]


def results_shown_to(membership: Membership, trace_id: str, blind: bool | None = None) -> list[TraceResult]:
    """The trace's results as `membership` may read them: none while blind review hides others' work on the trace
    from them (the judge is one more reviewer, and a reviewer who saw its verdict first is no independent check
    of it). `blind`, when the caller knows it already, saves the query that finds it out."""
    if blind is None:
        blind = not visibility.can_see_others_work(membership, trace_id)
    return [] if blind else results_for_trace(membership.project_id, trace_id)


# --- an admin's settings ---------------------------------------------------------------------------------------------

@dataclass
class Settings:
    """What an admin sets on an evaluation, since the event does not say it."""

    true_is_failure: bool = False
    operator: str | None = None  # gte | lte, with threshold: a numeric result's passing rule
    threshold: Any = None
    passing_labels: list[str] | None = None  # the labels or categories that pass
    score_definition_id: uuid.UUID | str | None = None


def clean_rule(settings: Settings) -> dict[str, Any] | None:
    """The passing rule as stored ({"operator", "threshold"} or {"categories"}); None for none."""
    if settings.operator:
        if settings.operator not in passing.OPERATORS:
            raise ValidationError('Choose "gte" or "lte".', "operator", "invalid_choice")
        threshold = finite_number(settings.threshold)
        if threshold is None or isinstance(settings.threshold, bool):
            raise ValidationError("Enter a number for the threshold.", "threshold")
        if settings.passing_labels:
            raise ValidationError("Give either a threshold or passing labels, not both.", "passing_labels")
        return {"operator": settings.operator, "threshold": threshold}
    if settings.threshold not in (None, ""):
        raise ValidationError("Choose whether a score passes at or above (gte) or at or below (lte) it.", "operator")
    if settings.passing_labels is not None:
        labels = [str(label).strip()[:255] for label in settings.passing_labels if str(label).strip()]
        if not labels:
            return None
        return {"categories": sorted(set(labels), key=labels.index)}
    return None


def update_evaluation(project_id: int, evaluation_id: int | str, settings: Settings) -> Evaluation:
    """Set an evaluation's polarity, passing rule and scorer, then re-read every one of its results' outcome under
    them, in batches; commits."""
    evaluation = load_evaluation(project_id, evaluation_id)
    rule = clean_rule(settings)
    scorer = None
    if settings.score_definition_id not in (None, ""):
        try:
            scorer = scorers.load_definition(project_id, settings.score_definition_id)
        except NotFound:
            raise ValidationError("Select a scorer of this project.", "score_definition_id") from None
    evaluation.true_is_failure = bool(settings.true_is_failure)
    evaluation.passing_rule = rule
    evaluation.score_definition_id = scorer.id if scorer else None
    evaluation.updated_at = utcnow()
    db.session.flush()
    recompute_outcomes(evaluation)
    db.session.commit()
    return evaluation


def recompute_outcomes(evaluation: Evaluation) -> int:
    """Re-read the outcome of each of the evaluation's results under its current settings, RECOMPUTE_BATCH at a
    time by id; the number whose outcome changed. Inside the caller's transaction."""
    changed, after = 0, 0
    while True:
        batch = db.session.execute(
            select(TRACE_EVALUATIONS.c.id, TRACE_EVALUATIONS.c.outcome, TRACE_EVALUATIONS.c.skipped,
                   TRACE_EVALUATIONS.c.applicable, TRACE_EVALUATIONS.c.result_type, TRACE_EVALUATIONS.c.bool_result,
                   TRACE_EVALUATIONS.c.numeric_result, TRACE_EVALUATIONS.c.labels)
            .where(TRACE_EVALUATIONS.c.evaluation_id == evaluation.id, TRACE_EVALUATIONS.c.id > after)
            .order_by(TRACE_EVALUATIONS.c.id).limit(RECOMPUTE_BATCH)).all()
        if not batch:
            return changed
        after = batch[-1].id
        updates = [{"row_id": row.id, "old_outcome": row.outcome, "new_outcome": new} for row in batch
                   if (new := outcome(row, evaluation.true_is_failure, evaluation.passing_rule)) != row.outcome]
        if updates:
            db.session.execute(update(TRACE_EVALUATIONS).where(TRACE_EVALUATIONS.c.id == bindparam("row_id"))
                               .values(outcome=bindparam("new_outcome")), updates)
            moved: Changes = Counter()
            for entry in updates:
                moved[(evaluation.id, entry["old_outcome"])] -= 1
                moved[(evaluation.id, entry["new_outcome"])] += 1
            _add_counts(evaluation.project_id, moved)
            changed += len(updates)


RECENT_SHOWN = 50


def recent_results(membership: Membership, evaluation_id: int, limit: int = RECENT_SHOWN) -> list[TraceEvaluation]:
    """The evaluation's latest results the member may see, newest first: one query. Blind review hides a trace's
    verdicts from a member as long as it hides the trace's other work from them (see `results_shown_to`)."""
    return list(db.session.scalars(
        select(TraceEvaluation)
        .where(TraceEvaluation.project_id == membership.project_id, TraceEvaluation.evaluation_id == evaluation_id,
               *visibility.where_visible(membership, TraceEvaluation.trace_id))
        .order_by(TraceEvaluation.timestamp.desc(), TraceEvaluation.id.desc()).limit(limit)))


def describe_rule(evaluation: Evaluation) -> str:
    """The evaluation's reading in a few words, as the list shows it."""
    rule = evaluation.passing_rule or {}
    if "operator" in rule:
        return f"score {passing.OPERATORS.get(rule['operator'], rule['operator'])} {rule['threshold']:g} passes"
    if "categories" in rule:
        return ", ".join(rule["categories"]) + (" passes" if len(rule["categories"]) == 1 else " pass")
    return "true is a failure" if evaluation.true_is_failure else "true passes"


def settings_of(evaluation: Evaluation) -> Settings:
    """The evaluation's current settings, for a change that gives only some of them."""
    rule = evaluation.passing_rule or {}
    return Settings(true_is_failure=evaluation.true_is_failure, operator=rule.get("operator"),
                    threshold=rule.get("threshold"), passing_labels=rule.get("categories"),
                    score_definition_id=evaluation.score_definition_id)


def patch_settings(project_id: int, evaluation_id: int | str, body: dict[str, Any]) -> Evaluation:
    """Change what the API body gives (true_is_failure, passing_rule, score_definition_id); the rest stays."""
    evaluation = load_evaluation(project_id, evaluation_id)
    settings = settings_of(evaluation)
    for name in body:
        if name not in ("true_is_failure", "passing_rule", "score_definition_id"):
            raise ValidationError("This field is not supported.", name)
    if "true_is_failure" in body:
        if not isinstance(body["true_is_failure"], bool):
            raise ValidationError("Must be a valid boolean.", "true_is_failure")
        settings.true_is_failure = body["true_is_failure"]
    if "passing_rule" in body:
        rule = body["passing_rule"]
        if rule is not None and not isinstance(rule, dict):
            raise ValidationError("Provide a JSON object or null.", "passing_rule")
        rule = rule or {}
        unknown = set(rule) - {"operator", "threshold", "categories"}
        if unknown:
            raise ValidationError("This field is not supported.", f"passing_rule.{sorted(unknown)[0]}")
        categories = rule.get("categories")
        if categories is not None and (not isinstance(categories, list)
                                       or not all(isinstance(c, str) for c in categories)):
            raise ValidationError("Provide a list of labels.", "passing_labels")
        settings.operator, settings.threshold = rule.get("operator"), rule.get("threshold")
        settings.passing_labels = categories
    if "score_definition_id" in body:
        settings.score_definition_id = body["score_definition_id"]
    return update_evaluation(project_id, evaluation.id, settings)


def evaluation_page(project_id: int, *, order: str | None = None, limit: int = 100,
                    offset: int = 0) -> tuple[list[EvaluationRow], int]:
    """A page of list_evaluations (by name) and their number, for the API's list envelope."""
    rows = list_evaluations(project_id)
    return rows[offset:offset + limit], len(rows)
