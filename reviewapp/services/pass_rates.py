"""Pass rates over a window of days: per scorer and version, per day, how many decided scores passed; when each
new version (and so each new passing rule) came into use; and per queue and scorer. A rate is always given with
the counts behind it, and kept per version, so a stricter rule is not mistaken for worse answers. Every count is
computed by the database with grouped queries, in a fixed number of statements whatever the data.

A score counts on the day it was last written (its `updated_at`): that is when its version, and so its verdict,
was chosen. Verdicts come from the score rows (`TraceReviewScore.passed`, set by services.passing)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import case, func, or_, select

from reviewapp.extensions import db
from reviewapp.models import (
    Membership,
    ReviewQueue,
    ScoreDefinition,
    ScoreDefinitionVersion,
    TraceReview,
    TraceReviewScore,
)
from reviewapp.services import passing
from reviewapp.services.days import utc_day
from reviewapp.services.visibility import where_visible

SCORERS_MAX = 100
QUEUES_MAX = 50


@dataclass
class Tally:
    passed: int = 0
    decided: int = 0  # scores with a verdict: passed or failed

    def add(self, passed: int, decided: int) -> None:
        self.passed += passed
        self.decided += decided

    @property
    def rate(self) -> float | None:
        return self.passed / self.decided if self.decided else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate:.0%}"

    @property
    def phrase(self) -> str:
        """"12 of 15 passed (80%)"."""
        return f"{self.passed} of {self.decided} passed ({self.percent})"


@dataclass
class DayRate:
    index: int  # the day's position in the window
    day: str  # YYYY-MM-DD, UTC
    tally: Tally


@dataclass
class VersionRate:
    """One version of a scorer over the window: its rule, its verdicts per day and in all."""
    version: int
    rule: str | None  # services.passing.describe: None when its scores stay neutral
    since: datetime  # when the version was created, and so came into use for new scores
    series: int = 0  # which of the chart's series (colours) draws it
    tally: Tally = field(default_factory=Tally)
    neutral: int = 0  # scores in the window without a verdict
    days: list[DayRate] = field(default_factory=list)

    @property
    def label(self) -> str:
        """"v2: ≥ 4 passes", as the chart's marker says it."""
        return f"v{self.version}: {self.rule or 'no rule, scores stay neutral'}"


@dataclass
class VersionMarker:
    version: VersionRate
    index: int  # the day in the window it came into use


@dataclass
class ScorerPassRate:
    definition: ScoreDefinition
    versions: list[VersionRate]  # the versions scored in the window, oldest first
    markers: list[VersionMarker]  # versions after the first that came into use within the window

    @property
    def tally(self) -> Tally:
        total = Tally()
        for version in self.versions:
            total.add(version.tally.passed, version.tally.decided)
        return total

    @property
    def decided_versions(self) -> list[int]:
        return [v.version for v in self.versions if v.tally.decided]

    @property
    def mixes_rules(self) -> bool:
        """Whether verdicts under more than one version are counted together (as the per-queue table does)."""
        return len(self.decided_versions) > 1


@dataclass
class QuietScorer:
    """A scorer with no verdict in the window: why, and what its current version's rule is."""
    definition: ScoreDefinition
    rule: str | None  # the current version's rule; None: its scores stay neutral
    neutral: int  # scores in the window, all without a verdict


@dataclass
class QueueRate:
    queue: ReviewQueue | None  # None: reviews saved outside any queue
    tallies: dict[uuid.UUID, Tally]  # by scorer id

    @property
    def decided(self) -> int:
        return sum(t.decided for t in self.tallies.values())


@dataclass
class PassRates:
    labels: list[str]
    scorers: list[ScorerPassRate]  # scorers with a verdict in the window
    quiet: list[QuietScorer]  # the others: active scorers, and archived ones scored in the window
    queues: list[QueueRate]  # queues (and "no queue") with a verdict in the window, by name


def pass_rates(project_id: int, since: datetime, labels: list[str],
               visible_to: Membership | None = None) -> PassRates:
    """Pass rates since `since` (the first of the days `labels`). Five statements at most: the counts per version
    and day, the counts per queue, the scorers, their versions and the queues. visible_to: count only the reviews
    blind review lets this member see (a verdict is a review's answer as much as its value is)."""
    scope = (TraceReviewScore.project_id == project_id, TraceReview.deleted_at.is_(None),
             TraceReviewScore.updated_at >= since,
             *([] if visible_to is None else where_visible(visible_to, TraceReview.trace_id)))
    day = utc_day(TraceReviewScore.updated_at)
    per_day = db.session.execute(
        _live_scores(TraceReviewScore.definition_id, TraceReviewScore.definition_version, day,
                     *_counts(), func.count(TraceReviewScore.id))
        .where(*scope)
        .group_by(TraceReviewScore.definition_id, TraceReviewScore.definition_version, day)
    ).all()
    per_queue = db.session.execute(
        _live_scores(TraceReview.queue_id, TraceReviewScore.definition_id, *_counts())
        .where(*scope, TraceReviewScore.passed.is_not(None))
        .group_by(TraceReview.queue_id, TraceReviewScore.definition_id)
    ).all()
    scored = sorted({row[0] for row in per_day})
    definitions = db.session.scalars(
        select(ScoreDefinition)
        .where(ScoreDefinition.project_id == project_id,
               or_(ScoreDefinition.archived.is_(False), ScoreDefinition.id.in_(scored)))
        .order_by(ScoreDefinition.archived, ScoreDefinition.name, ScoreDefinition.id)
        .limit(SCORERS_MAX)
    ).unique().all()
    versions = _versions(project_id, [d.id for d in definitions])
    scorers, quiet = _per_scorer(definitions, versions, per_day, since, labels)
    shown = {s.definition.id for s in scorers}
    return PassRates(labels, scorers, quiet, _per_queue(project_id, per_queue, shown))


def _live_scores(*columns):
    return (select(*columns).select_from(TraceReviewScore)
            .join(TraceReview, TraceReview.id == TraceReviewScore.review_id))


def _counts():
    """Passed, and decided (passed or failed), counted by the database."""
    return func.sum(case((TraceReviewScore.passed.is_(True), 1), else_=0)), func.count(TraceReviewScore.passed)


def _versions(project_id: int, ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, int], ScoreDefinitionVersion]:
    if not ids:
        return {}
    return {(v.definition_id, v.version): v for v in db.session.scalars(
        select(ScoreDefinitionVersion).where(ScoreDefinitionVersion.project_id == project_id,
                                             ScoreDefinitionVersion.definition_id.in_(ids)))}


def _per_scorer(definitions, versions, per_day, since: datetime, labels: list[str]
                ) -> tuple[list[ScorerPassRate], list[QuietScorer]]:
    positions = {label: i for i, label in enumerate(labels)}
    found: dict[uuid.UUID, dict[int, VersionRate]] = {}
    kinds = {d.id: d.kind for d in definitions}
    for definition_id, number, day, passed, decided, total in per_day:
        if definition_id not in kinds or day not in positions:
            continue
        entry = found.setdefault(definition_id, {}).get(number)
        if entry is None:
            version = versions.get((definition_id, number))
            config = version.config if version else {}
            entry = VersionRate(number, passing.describe(kinds[definition_id], config),
                                version.created_at if version else since)
            found[definition_id][number] = entry
        entry.tally.add(passed, decided)
        entry.neutral += total - decided
        if decided:
            entry.days.append(DayRate(positions[day], day, Tally(passed, decided)))
    scorers, quiet = [], []
    for definition in definitions:
        scored = sorted(found.get(definition.id, {}).values(), key=lambda v: v.version)
        if not any(v.tally.decided for v in scored):
            current = versions.get((definition.id, definition.current_version))
            quiet.append(QuietScorer(definition, passing.describe(definition.kind, current.config if current else {}),
                                     sum(v.neutral for v in scored)))
            continue
        for series, entry in enumerate(scored):
            entry.series = series
            entry.days.sort(key=lambda d: d.index)
        scorers.append(ScorerPassRate(definition, scored, _markers(scored, since, positions)))
    return scorers, quiet


def _markers(scored: list[VersionRate], since: datetime, positions: dict[str, int]) -> list[VersionMarker]:
    """The versions (after a scorer's first) that came into use within the window, at the day they did."""
    markers = []
    for entry in scored:
        day = entry.since.astimezone(UTC).date().isoformat()
        if entry.version > 1 and entry.since >= since and day in positions:
            markers.append(VersionMarker(entry, positions[day]))
    return markers


def _per_queue(project_id: int, rows, shown: set[uuid.UUID]) -> list[QueueRate]:
    by_queue: dict[uuid.UUID | None, dict[uuid.UUID, Tally]] = {}
    for queue_id, definition_id, passed, decided in rows:
        if definition_id in shown:
            by_queue.setdefault(queue_id, {})[definition_id] = Tally(passed, decided)
    ids = [queue_id for queue_id in by_queue if queue_id is not None]
    named = {queue.id: queue for queue in db.session.scalars(
        select(ReviewQueue).where(ReviewQueue.project_id == project_id, ReviewQueue.id.in_(ids)))} if ids else {}
    in_order = sorted(named.values(), key=lambda queue: (queue.name.lower(), str(queue.id)))[:QUEUES_MAX]
    result = [QueueRate(queue, by_queue[queue.id]) for queue in in_order]
    if None in by_queue:  # reviews saved outside any queue, or whose queue is gone
        result.append(QueueRate(None, by_queue[None]))
    return result
