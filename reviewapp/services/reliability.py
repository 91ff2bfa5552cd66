"""How far the labels of a queue with several reviewers per trace can be trusted: per scorer version, the agreement
between its reviewers (services.reliability_metrics computes the numbers), each reviewer's calibration against the
final reviews, and the items that split reviewers most.

A scorer version is its own measurement (a changed rubric measures something else), so judgments are grouped per
(scorer, version). Each item becomes a unit: reviewer id -> value, in the form the metrics take: an option key for
a single-choice categorical, "true"/"false" for a boolean, a float for a numeric and a frozenset of option keys for
a multi-select categorical. The level of measurement follows the version: nominal (single choice, boolean),
interval (numeric), MASI (multi-select); ordinal on request, for numeric scorers and single-choice categoricals
(whose options are then taken in the order the scorer lists them).

Reading queues costs at most five queries whatever their size: the judgments' scores (columns only), the scorer
versions they name, the final reviews' scores, the reviewers' names and which of the few disagreements shown still
wait for a decision; the work is linear in judgments."""
from __future__ import annotations

import functools
import gc
import heapq
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Float, Text, cast, select

from reviewapp.extensions import db
from reviewapp.models import (
    Judgment,
    JudgmentScore,
    Membership,
    ReviewQueue,
    ReviewQueueItem,
    ScoreDefinition,
    ScoreDefinitionVersion,
    TraceReview,
    TraceReviewScore,
    User,
)
from reviewapp.services import judgments, visibility
from reviewapp.services import reliability_metrics as metrics
from reviewapp.services.export import FORMULA_STARTS

Value = Any  # str | float | frozenset[str], as reliability_metrics takes them
Units = list[dict[int, Value]]
SETTLED = ("consensus", "adjudicated")
DISAGREEMENTS_SHOWN = 10
_UNREAD = object()


@dataclass
class Reviewer:
    id: int
    name: str


@dataclass
class Calibration:
    """One reviewer against the final reviews of the items they judged (those settled so far)."""

    reviewer: Reviewer
    judgments: int  # their judgments of this scorer version
    compared: int  # of those, on items with a final review that answers this scorer
    agreed: int  # … where their value is the final one
    adjudicated: int  # of `compared`, items an adjudicator settled
    overruled: int  # … where the adjudicator's final value is not theirs

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


@dataclass
class Disagreement:
    item_id: uuid.UUID
    trace_id: str
    distinct: int  # different answers among its judgments
    spread: float | None  # numeric scorers: highest minus lowest
    answers: list[tuple[str, str]]  # (reviewer name, answer as text)
    needs_decision: bool  # the item is live and waiting for an admin's decision


@dataclass
class VersionAgreement:
    definition_id: uuid.UUID
    name: str
    kind: str
    version: int
    level: str
    units: metrics.Judgments = field(repr=False)
    percent: metrics.Agreement
    pairs: list[metrics.Pairwise]
    fleiss: float | None  # nominal levels only, where every item has the same number of judgments
    fleiss_interval: tuple[float, float] | None
    alpha: float | None
    interval: tuple[float, float] | None
    reading: str
    reviewers: list[Reviewer]
    calibration: list[Calibration]
    disagreements: list[Disagreement]

    @property
    def items(self) -> int:
        return self.percent.items

    def pair(self, a: int, b: int) -> metrics.Pairwise | None:
        for pair in self.pairs:
            if {pair.a, pair.b} == {a, b}:
                return pair
        return None


@dataclass
class QueueAgreement:
    queue: ReviewQueue
    versions: list[VersionAgreement]


@dataclass
class _Scorer:
    definition_id: uuid.UUID
    name: str
    kind: str
    version: int
    config: dict

    @property
    def multiple(self) -> bool:
        return self.kind == "categorical" and (self.config or {}).get("selection_mode", "single") == "multiple"

    def level(self, ordinal: bool) -> tuple[metrics.Level, list | None]:
        if self.multiple:
            return "masi", None
        if self.kind == "numeric":
            return ("ordinal" if ordinal else "interval"), None
        if self.kind == "categorical" and ordinal:
            options = (self.config or {}).get("options", [])
            return "ordinal", [option.get("key") for option in options if isinstance(option, dict)]
        return "nominal", None


def encode(kind: str, multiple: bool, categorical: list[str] | None, number: Decimal | float | None,
           boolean: bool | None) -> Value | None:
    """One answer as the metrics take it (None: no answer of this kind)."""
    if kind == "categorical":
        if not categorical:
            return None
        return frozenset(categorical) if multiple else categorical[0]
    if kind == "boolean":
        return None if boolean is None else ("true" if boolean else "false")
    return None if number is None else float(number)


@functools.lru_cache(maxsize=4096)
def _options(stored: str | None) -> list[str] | None:
    """A categorical answer's option keys from the column read as text: answers repeat (a scorer has a few options),
    so each distinct one is decoded once instead of once per row. Callers must not change the list."""
    return None if stored is None else json.loads(stored)


def as_text(value: Value) -> str:
    if isinstance(value, frozenset):
        return ", ".join(sorted(value)) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def queue_agreement(project_id: int, queue: ReviewQueue, *, visible_to: Membership | None = None,
                    definition_id: uuid.UUID | None = None, version: int | None = None, ordinal: bool = False,
                    alpha_only: bool = False) -> QueueAgreement:
    """Agreement in one queue, per scorer version (optionally one scorer, and one version of it)."""
    return queues_agreement(project_id, [queue], visible_to=visible_to, definition_id=definition_id,
                            version=version, ordinal=ordinal, alpha_only=alpha_only)[0]


def queues_agreement(project_id: int, queues: list[ReviewQueue], *, visible_to: Membership | None = None,
                     definition_id: uuid.UUID | None = None, version: int | None = None, ordinal: bool = False,
                     alpha_only: bool = False) -> list[QueueAgreement]:
    """Agreement in each of these queues, in at most five queries however many queues, items and judgments.

    visible_to: blind review applies to this member (the judgments and final reviews hidden from them are left
    out, as everywhere else); None counts every judgment, as an admin sees them.

    alpha_only: what the queue page shows (α, its interval and reading, and percent agreement) in two queries; the
    versions' pairs, κ, reviewers, calibration and disagreements are left empty."""
    if not queues:
        return []
    with _without_cycle_collection():
        return _queues_agreement(project_id, queues, visible_to, definition_id, version, ordinal, alpha_only)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Reading 30,000 judgments allocates some 100,000 small rows, tuples and dicts, none of them in a reference
    cycle; the cyclic collector's passes over them took a third of the time (120 of 360 ms in the benchmark). It is
    paused for the computation and resumed after, as it was (reference counting frees everything as usual)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _queues_agreement(project_id: int, queues: list[ReviewQueue], visible_to: Membership | None,
                      definition_id: uuid.UUID | None, version: int | None, ordinal: bool,
                      alpha_only: bool) -> list[QueueAgreement]:
    queue_ids = [queue.id for queue in queues]
    conditions = [Judgment.project_id == project_id, Judgment.queue_id.in_(queue_ids)]
    if visible_to is not None:
        conditions += judgments.visible_to(visible_to)
    if definition_id is not None:
        conditions.append(JudgmentScore.definition_id == definition_id)
    if version is not None:
        conditions.append(JudgmentScore.definition_version == version)
    # Ids as text: a text key hashes in C, a UUID's in Python (this loop runs once per judgment).
    rows = db.session.connection().execute(
        select(cast(Judgment.queue_id, Text), cast(JudgmentScore.definition_version_id, Text),
               cast(Judgment.item_id, Text), Judgment.trace_id, Judgment.reviewer_id,
               cast(JudgmentScore.categorical_values, Text), cast(JudgmentScore.numeric_value, Float),
               JudgmentScore.boolean_value)
        .join(Judgment, JudgmentScore.judgment_id == Judgment.id)
        .where(*conditions)
    ).all()
    grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in rows:
        if row[4] is not None:  # a removed reviewer's judgments can no longer be told apart
            grouped[(row[0], row[1])].append(row)
    scorers = _scorers({uuid.UUID(version_id) for _, version_id in grouped})
    finals = {} if alpha_only else _finals(project_id, queue_ids, definition_id, visible_to)
    names = {} if alpha_only else _names({row[4] for row in rows} - {None})
    answers: dict[uuid.UUID, QueueAgreement] = {queue.id: QueueAgreement(queue, []) for queue in queues}
    for (queue_text, version_text), group in grouped.items():
        queue_id = uuid.UUID(queue_text)
        tolerance = float(answers[queue_id].queue.numeric_tolerance or 0)
        answers[queue_id].versions.append(_version(scorers[uuid.UUID(version_text)], group,
                                                   finals.get(queue_text, {}), names, tolerance, ordinal, alpha_only))
    if not alpha_only:
        _mark_waiting([d for answer in answers.values() for v in answer.versions for d in v.disagreements])
    for answer in answers.values():
        answer.versions.sort(key=lambda v: (v.name.lower(), str(v.definition_id), -v.version))
    return [answers[queue.id] for queue in queues]


def _scorers(version_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, _Scorer]:
    ids = list(version_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ScoreDefinitionVersion.id, ScoreDefinitionVersion.definition_id, ScoreDefinition.name,
               ScoreDefinitionVersion.kind, ScoreDefinitionVersion.version, ScoreDefinitionVersion.config)
        .join(ScoreDefinition, ScoreDefinition.id == ScoreDefinitionVersion.definition_id)
        .where(ScoreDefinitionVersion.id.in_(ids))
    ).all()
    return {row.id: _Scorer(row.definition_id, row.name, row.kind, row.version, row.config) for row in rows}


def _finals(project_id: int, queue_ids: list[uuid.UUID], definition_id: uuid.UUID | None,
            visible_to: Membership | None) -> dict:
    """queue id (as the database casts it to text) -> (trace id, scorer id as uuid.hex) -> (resolution, categorical
    values, number, boolean) of the live final review that settled a trace of the queue (consensus or adjudicated)."""
    conditions = [TraceReview.project_id == project_id, TraceReview.queue_id.in_(queue_ids),
                  TraceReview.deleted_at.is_(None), TraceReview.resolution.in_(SETTLED)]
    if definition_id is not None:
        conditions.append(TraceReviewScore.definition_id == definition_id)
    if visible_to is not None:
        conditions += visibility.where_visible(visible_to, TraceReview.trace_id)
    rows = db.session.connection().execute(  # ids as text and numbers as floats, as the judgments are read
        select(cast(TraceReview.queue_id, Text), TraceReview.trace_id, TraceReview.resolution,
               cast(TraceReviewScore.definition_id, Text), cast(TraceReviewScore.categorical_values, Text),
               cast(TraceReviewScore.numeric_value, Float), TraceReviewScore.boolean_value)
        .join(TraceReview, TraceReviewScore.review_id == TraceReview.id)
        .where(*conditions)
    ).all()
    finals: dict[str, dict] = defaultdict(dict)
    for queue_id, trace_id, resolution, scorer_id, categorical, number, boolean in rows:
        # a scorer id as uuid.hex: the text of a UUID column has dashes on PostgreSQL, none on SQLite
        finals[queue_id][(trace_id, scorer_id.replace("-", ""))] = (resolution, _options(categorical), number, boolean)
    return finals


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(user_ids)))
    return {user.id: user.display_name for user in users}


def _version(scorer: _Scorer, rows: list[Any], finals: dict, names: dict[int, str], tolerance: float,
             ordinal: bool, alpha_only: bool) -> VersionAgreement:
    level, order = scorer.level(ordinal)
    by_item: dict[str, dict[int, Value]] = defaultdict(dict)
    facts: dict[str, str] = {}  # item id -> trace id
    kind, multiple = scorer.kind, scorer.multiple
    decoded: dict[tuple, Value | None] = {}  # a scorer has few distinct answers: each is decoded once
    for _, _, item_id, trace_id, reviewer_id, categorical, number, boolean in rows:
        stored = (categorical, number, boolean)
        value = decoded.get(stored, _UNREAD)
        if value is _UNREAD:
            value = decoded[stored] = encode(kind, multiple, _options(categorical), number, boolean)
        if value is None:
            continue
        by_item[item_id][reviewer_id] = value
        facts[item_id] = trace_id
    # The statistics below share its arrays. Only a number can be missing yet stored (NaN); other answers are present.
    units = metrics.Judgments(by_item.values(), present=kind != "numeric")
    found = metrics.estimate(units, metrics.alpha_statistic(level, order))  # α and its interval in one pass
    alpha, interval = found.value, found.interval
    percent = metrics.percent_agreement(units)
    answer = VersionAgreement(
        definition_id=scorer.definition_id, name=scorer.name, kind=scorer.kind, version=scorer.version, level=level,
        units=units, percent=percent, pairs=[], fleiss=None, fleiss_interval=None, alpha=alpha, interval=interval,
        reading=metrics.reading(alpha, percent.items, interval=interval), reviewers=[], calibration=[],
        disagreements=[])
    if alpha_only:
        return answer
    answer.reviewers = sorted((Reviewer(i, names.get(i, f"User {i}")) for i in {r for u in units for r in u}),
                              key=lambda r: (r.name.lower(), r.id))
    if level == "nominal":  # κ compares answers as equal or not: only where α does too.
        kappa = metrics.estimate(units, metrics.FLEISS_KAPPA)
        answer.fleiss, answer.fleiss_interval = kappa.value, kappa.interval
    answer.pairs = metrics.pairwise_cohen(units)
    answer.calibration = _calibration(scorer, by_item, facts, finals, answer.reviewers, tolerance)
    answer.disagreements = _disagreements(by_item, facts, names, tolerance)
    return answer


def _calibration(scorer: _Scorer, by_item: dict[str, dict[int, Value]], facts: dict, finals: dict,
                 reviewers: list[Reviewer], tolerance: float) -> list[Calibration]:
    """Counted over arrays with one entry per judgment (and per item for the final values), not item by item: this
    runs over every judgment of the queue."""
    units = list(by_item.values())
    people = {reviewer.id: i for i, reviewer in enumerate(reviewers)}
    who = np.array([people[r] for unit in units for r in unit], dtype=np.intp)
    item = np.repeat(np.arange(len(units)), [len(unit) for unit in units])
    scorer_id = scorer.definition_id.hex
    found = [finals.get((facts[item_id], scorer_id)) for item_id in by_item]
    kind, multiple = scorer.kind, scorer.multiple
    settled = [None if final is None else encode(kind, multiple, *final[1:]) for final in found]
    has_final = np.array([value is not None for value in settled], dtype=bool)  # settled, and answers this scorer
    adjudicated = has_final & np.array([final is not None and final[0] == "adjudicated" for final in found], dtype=bool)
    values = [value for unit in units for value in unit.values()]
    if kind == "numeric":
        final_numbers = np.array([0.0 if value is None else value for value in settled], dtype=float)
        same = np.abs(np.array(values, dtype=float) - final_numbers[item]) <= tolerance
    else:
        codes: dict[Value, int] = {}
        coded = np.array([codes.setdefault(value, len(codes)) for value in values], dtype=np.intp)
        final_codes = np.array([-1 if value is None else codes.get(value, -1) for value in settled], dtype=np.intp)
        same = coded == final_codes[item]
    compared, adjudicated_here = has_final[item], adjudicated[item]

    def per_reviewer(where: np.ndarray | None = None) -> list[int]:
        return np.bincount(who if where is None else who[where], minlength=len(reviewers)).tolist()

    counts = zip(per_reviewer(), per_reviewer(compared), per_reviewer(compared & same),
                 per_reviewer(adjudicated_here), per_reviewer(adjudicated_here & ~same), strict=True)
    return [Calibration(reviewer, *numbers) for reviewer, numbers in zip(reviewers, counts, strict=True)]


def _disagreements(by_item: dict[str, dict[int, Value]], facts: dict, names: dict[int, str],
                   tolerance: float) -> list[Disagreement]:
    """The items whose reviewers split most: the most distinct answers first, then the widest numeric spread."""
    candidates = []
    for item_id, unit in by_item.items():
        if len(unit) < 2:
            continue
        values = unit.values()
        distinct = len(set(values))
        if distinct < 2:
            continue
        spread = None
        if isinstance(next(iter(values)), float):
            spread = max(values) - min(values)
            if spread <= tolerance:
                continue
        candidates.append((-distinct, -(spread or 0.0), facts[item_id], item_id, spread))
    found = []
    for minus_distinct, _, trace_id, item_id, spread in heapq.nsmallest(DISAGREEMENTS_SHOWN, candidates):
        answers = sorted(((names.get(r, f"User {r}"), as_text(v)) for r, v in by_item[item_id].items()),
                         key=lambda a: a[0].lower())
        found.append(Disagreement(uuid.UUID(item_id), trace_id, -minus_distinct, spread, answers, False))
    return found


def _mark_waiting(disagreements: list[Disagreement]) -> None:
    """Which of the shown disagreements still wait for a decision (one query for all of them)."""
    ids = {d.item_id for d in disagreements}
    if not ids:
        return
    waiting = set(db.session.scalars(select(ReviewQueueItem.id).where(
        ReviewQueueItem.id.in_(ids), ReviewQueueItem.deleted_at.is_(None), ReviewQueueItem.state == "needs_decision")))
    for disagreement in disagreements:
        disagreement.needs_decision = disagreement.item_id in waiting


def several_reviewer_queues(project_id: int) -> list[ReviewQueue]:
    """The live queues with several reviewers per trace, or with judgments from a time they had (one query)."""
    judged = select(Judgment.queue_id).where(Judgment.project_id == project_id).distinct()
    return list(db.session.scalars(
        select(ReviewQueue).where(ReviewQueue.project_id == project_id, ReviewQueue.deleted_at.is_(None),
                                  (ReviewQueue.reviews_per_trace > 1) | ReviewQueue.id.in_(judged))
        .order_by(ReviewQueue.name, ReviewQueue.id)))


def matrix_rows(version: VersionAgreement) -> list[list[str]]:
    """The reviewer × reviewer matrix as CSV rows: a header of reviewer names, then per reviewer their Cohen's κ
    with each other reviewer and the number of items both judged ("" where they share none, or κ is undefined)."""
    def cell(name: str) -> str:  # a spreadsheet runs a cell starting like a formula: names get a leading quote
        return "'" + name if name.startswith(FORMULA_STARTS) else name

    header = ["reviewer"]
    for other in version.reviewers:
        header += [cell(f"kappa {other.name}"), cell(f"items {other.name}")]
    rows = [header]
    for reviewer in version.reviewers:
        row = [cell(reviewer.name)]
        for other in version.reviewers:
            pair = None if other.id == reviewer.id else version.pair(reviewer.id, other.id)
            if pair is None:
                row += ["", ""]
            else:
                row += ["" if pair.value is None else f"{pair.value:.4f}", str(pair.items)]
        rows.append(row)
    return rows


def latest_per_scorer(answer: QueueAgreement) -> list[VersionAgreement]:
    """Each scorer's newest version judged in the queue (the queue page's one number per scorer)."""
    seen: set[uuid.UUID] = set()
    latest = []
    for version in answer.versions:  # sorted by scorer, newest version first
        if version.definition_id not in seen:
            seen.add(version.definition_id)
            latest.append(version)
    return latest
