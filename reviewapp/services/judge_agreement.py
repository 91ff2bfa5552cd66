"""How far an LLM judge can be trusted: for each evaluation mapped to a scorer, its outcome against the people's
verdict on the traces that have both — the final review's pass/fail for that scorer, and each reviewer's own.

A trace's judge outcome: the latest result of each target the evaluation graded on the trace (the trace itself, or
each generation, span or session), then "fail" when any target's latest result failed, else "pass" (the spec's
suggested roll-up for generation-level results). Skipped, N/A and neutral results are left out of the denominator.
A person's outcome is the stored pass/fail of their score (services.passing); a neutral score is left out.

The numbers: the 2×2 confusion matrix (judge × people), accuracy, Cohen's κ with its 95% bootstrap interval
(services.reliability_metrics, the reviewers' agreement code), and precision and recall of "fail" (a failure the
judge reports is the positive: precision = both fail / judge fails, recall = both fail / people fail)."""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import or_, select

from reviewapp.extensions import db
from reviewapp.models import (
    Evaluation,
    Judgment,
    JudgmentScore,
    Membership,
    ScoreDefinition,
    TraceEvaluation,
    TraceReview,
    TraceReviewScore,
    User,
)
from reviewapp.services import reliability_metrics as metrics
from reviewapp.services import visibility

VERDICTS = ("pass", "fail")
JUDGE, PEOPLE = 0, 1  # the two "reviewers" of Cohen's κ
DISAGREEMENTS_SHOWN = 100


@dataclass
class Comparison:
    """The judge against one human source (the final reviews, or one reviewer) over the traces both decided."""

    against: str  # "Final review" or the reviewer's name
    reviewer_id: int | None
    confusion: Counter[tuple[str, str]]  # (judge, people) -> traces
    kappa: float | None
    interval: tuple[float, float] | None

    @property
    def traces(self) -> int:
        return sum(self.confusion.values())

    def cell(self, judge: str, people: str) -> int:
        return self.confusion.get((judge, people), 0)

    @property
    def accuracy(self) -> float | None:
        agreed = self.cell("pass", "pass") + self.cell("fail", "fail")
        return agreed / self.traces if self.traces else None

    @property
    def precision_fail(self) -> float | None:
        judged_fail = self.cell("fail", "pass") + self.cell("fail", "fail")
        return self.cell("fail", "fail") / judged_fail if judged_fail else None

    @property
    def recall_fail(self) -> float | None:
        people_fail = self.cell("pass", "fail") + self.cell("fail", "fail")
        return self.cell("fail", "fail") / people_fail if people_fail else None

    @property
    def reading(self) -> str:
        return metrics.reading(self.kappa, self.traces, metric="kappa", interval=self.interval)


@dataclass(frozen=True)
class Disagreement:
    trace_id: str
    judge: str
    people: str
    judged_at: datetime


@dataclass
class JudgeAgreement:
    evaluation: Evaluation
    scorer_id: uuid.UUID
    scorer_name: str
    judged_traces: int  # traces with a judge verdict (pass or fail) among those people reviewed
    final: Comparison
    reviewers: list[Comparison] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)  # with the final review, newest first


def judge_outcomes(rows: Iterable[Any]) -> dict[str, tuple[str, datetime]]:
    """trace id -> (the rolled-up outcome, the latest result's time), from result rows with trace_id,
    target_kind, target_id, outcome and timestamp: per target its latest result, then any fail is a fail."""
    latest: dict[tuple[str, str, str | None], tuple[datetime, int, str]] = {}
    for row in rows:
        key = (row.trace_id, row.target_kind, row.target_id)
        seen = (row.timestamp, row.id, row.outcome)
        if key not in latest or seen[:2] > latest[key][:2]:
            latest[key] = seen
    rolled: dict[str, tuple[str, datetime]] = {}
    for (trace_id, _, _), (stamp, _, result) in latest.items():
        before = rolled.get(trace_id)
        failed = result == "fail" or (before is not None and before[0] == "fail")
        when = stamp if before is None or stamp > before[1] else before[1]
        rolled[trace_id] = ("fail" if failed else "pass", when)
    return rolled


def compare(against: str, reviewer_id: int | None, judge: dict[str, tuple[str, datetime]],
            people: dict[str, str], *, seed: int = metrics.DEFAULT_SEED) -> Comparison:
    """The judge against one human source, over the traces both decided."""
    common = sorted(set(judge) & set(people))
    confusion: Counter[tuple[str, str]] = Counter((judge[t][0], people[t]) for t in common)
    units = [{JUDGE: judge[t][0], PEOPLE: people[t]} for t in common]
    found = metrics.estimate(units, metrics.cohen_statistic(JUDGE, PEOPLE), seed=seed)
    return Comparison(against, reviewer_id, confusion, found.value, found.interval)


def project_judge_agreement(project_id: int, evaluation_id: int | None = None, *,
                            visible_to: Membership | None = None) -> list[JudgeAgreement]:
    """Every evaluation of the project mapped to a scorer (or only `evaluation_id`), by name: five queries. With
    `visible_to`, people's reviews and judgments that blind review hides from that member are left out."""
    query = (select(Evaluation, ScoreDefinition.name)
             .join(ScoreDefinition, ScoreDefinition.id == Evaluation.score_definition_id)
             .where(Evaluation.project_id == project_id))
    if evaluation_id is not None:
        query = query.where(Evaluation.id == evaluation_id)
    mapped = db.session.execute(query.order_by(Evaluation.name, Evaluation.id)).all()
    if not mapped:
        return []
    scorer_ids = {evaluation.score_definition_id for evaluation, _ in mapped}
    finals, own = _people(project_id, scorer_ids, visible_to)
    reviewed = {trace_id for by_trace in finals.values() for trace_id in by_trace} | {
        trace_id for by_reviewer in own.values() for by_trace in by_reviewer.values() for trace_id in by_trace}
    results = db.session.execute(
        select(TraceEvaluation.id, TraceEvaluation.evaluation_id, TraceEvaluation.trace_id,
               TraceEvaluation.target_kind, TraceEvaluation.target_id, TraceEvaluation.outcome,
               TraceEvaluation.timestamp)
        .where(TraceEvaluation.project_id == project_id,
               TraceEvaluation.evaluation_id.in_([evaluation.id for evaluation, _ in mapped]),
               TraceEvaluation.outcome.in_(VERDICTS),
               _reviewed_trace(project_id, scorer_ids))).all()
    by_evaluation: dict[int, list[Any]] = {}
    for row in results:
        if row.trace_id in reviewed:
            by_evaluation.setdefault(row.evaluation_id, []).append(row)
    names = _names({reviewer for by_reviewer in own.values() for reviewer in by_reviewer})
    answers = []
    for evaluation, scorer_name in mapped:
        scorer_id = cast(uuid.UUID, evaluation.score_definition_id)  # the join keeps mapped evaluations only
        judge = judge_outcomes(by_evaluation.get(evaluation.id, []))
        final_people = finals.get(scorer_id, {})
        final = compare("Final review", None, judge, final_people)
        reviewers = [compare(names.get(reviewer_id, "A former user"), reviewer_id, judge, verdicts)
                     for reviewer_id, verdicts in own.get(scorer_id, {}).items()]
        reviewers = sorted((c for c in reviewers if c.traces), key=lambda c: (c.against.lower(), c.reviewer_id))
        split = sorted((Disagreement(t, judge[t][0], final_people[t], judge[t][1])
                        for t in set(judge) & set(final_people) if judge[t][0] != final_people[t]),
                       key=lambda d: (d.judged_at, d.trace_id), reverse=True)
        answers.append(JudgeAgreement(evaluation, scorer_id, scorer_name, len(judge), final, reviewers,
                                      split[:DISAGREEMENTS_SHOWN]))
    return answers


def _reviewed_trace(project_id: int, scorer_ids: set[Any]) -> Any:
    """Results on traces someone scored with one of the scorers: the database leaves the rest behind."""
    finals = (select(TraceReview.trace_id).join(TraceReviewScore, TraceReviewScore.review_id == TraceReview.id)
              .where(TraceReview.project_id == project_id, TraceReview.deleted_at.is_(None),
                     TraceReviewScore.definition_id.in_(scorer_ids)))
    judged = (select(Judgment.trace_id).join(JudgmentScore, JudgmentScore.judgment_id == Judgment.id)
              .where(Judgment.project_id == project_id, JudgmentScore.definition_id.in_(scorer_ids)))
    return or_(TraceEvaluation.trace_id.in_(finals), TraceEvaluation.trace_id.in_(judged))


def _people(project_id: int, scorer_ids: set[Any], visible_to: Membership | None) -> tuple[dict, dict]:
    """scorer -> trace -> the final review's outcome; scorer -> reviewer -> trace -> their own outcome (their
    judgment, or the review they saved alone). Two queries."""
    finals: dict[Any, dict[str, str]] = {}
    own: dict[Any, dict[int, dict[str, str]]] = {}
    reviews = (select(TraceReview.trace_id, TraceReviewScore.definition_id, TraceReviewScore.passed,
                      TraceReview.resolution, TraceReview.reviewed_by_id)
               .join(TraceReviewScore, TraceReviewScore.review_id == TraceReview.id)
               .where(TraceReview.project_id == project_id, TraceReview.deleted_at.is_(None),
                      TraceReviewScore.definition_id.in_(scorer_ids), TraceReviewScore.passed.is_not(None)))
    judged = (select(Judgment.trace_id, JudgmentScore.definition_id, JudgmentScore.passed, Judgment.reviewer_id)
              .join(JudgmentScore, JudgmentScore.judgment_id == Judgment.id)
              .where(Judgment.project_id == project_id, JudgmentScore.definition_id.in_(scorer_ids),
                     JudgmentScore.passed.is_not(None), Judgment.reviewer_id.is_not(None))
              .order_by(Judgment.created_at, Judgment.id))
    if visible_to is not None and (review_seen := visibility.visible(visible_to, TraceReview.trace_id)) is not None:
        reviews = reviews.where(review_seen)
        judged = judged.where(cast(Any, visibility.visible(visible_to, Judgment.trace_id)))
    for trace_id, scorer_id, passed, resolution, reviewer_id in db.session.execute(reviews):
        verdict = "pass" if passed else "fail"
        finals.setdefault(scorer_id, {})[trace_id] = verdict
        if resolution == "single" and reviewer_id is not None:
            own.setdefault(scorer_id, {}).setdefault(reviewer_id, {})[trace_id] = verdict
    for trace_id, scorer_id, passed, reviewer_id in db.session.execute(judged):
        own.setdefault(scorer_id, {}).setdefault(cast(int, reviewer_id), {})[trace_id] = "pass" if passed else "fail"
    return finals, own


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return {user.id: user.display_name for user in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
