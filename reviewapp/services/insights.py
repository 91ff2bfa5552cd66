"""Read-only aggregates over reviews, queue items and skips: how many reviews use each scorer and version, the
distribution of scores, queue progress per day, reviewer throughput and skip reasons. Every figure is computed
by the database; each function runs a fixed number of queries, whatever the amount of data."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, or_, select, true

from reviewapp.extensions import db
from reviewapp.models import (
    ReviewQueue,
    ReviewQueueItem,
    ReviewSkip,
    ScoreDefinition,
    ScoreDefinitionVersion,
    TraceReview,
    TraceReviewScore,
    User,
    utcnow,
)
from reviewapp.services import queues, scorers


def _live_scores(*columns):
    """A select of `columns` over the scores of live reviews."""
    return (
        select(*columns)
        .select_from(TraceReviewScore)
        .join(TraceReview, TraceReview.id == TraceReviewScore.review_id)
        .where(TraceReview.deleted_at.is_(None))
    )


def review_counts(project_id: int, definition_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many live reviews score each of these scorers (one query)."""
    ids = list(definition_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        _live_scores(TraceReviewScore.definition_id, func.count(TraceReviewScore.id))
        .where(TraceReviewScore.project_id == project_id, TraceReviewScore.definition_id.in_(ids))
        .group_by(TraceReviewScore.definition_id)
    )
    return {definition_id: count for definition_id, count in rows}


def review_counts_by_version(project_id: int, definition_id: uuid.UUID) -> dict[int, int]:
    """How many live reviews scored this scorer against each of its versions (one query)."""
    rows = db.session.execute(
        _live_scores(TraceReviewScore.definition_version, func.count(TraceReviewScore.id))
        .where(TraceReviewScore.project_id == project_id, TraceReviewScore.definition_id == definition_id)
        .group_by(TraceReviewScore.definition_version)
    )
    return {version: count for version, count in rows}


# --- the Insights page -------------------------------------------------------------------------------

WINDOWS = (7, 30, 90)
DEFAULT_WINDOW = 30
EXACT_VALUES_MAX = 12  # a numeric scorer with more distinct values than this is shown in ranges
NUMERIC_BINS = 10
SCORERS_MAX = 100
QUEUES_MAX = 50
SKIP_REASONS_MAX = 10
NO_REASON = "(no reason given)"


@dataclass
class Bar:
    label: str
    count: int
    key: str | None = None  # an option key, when the label is an option's


@dataclass
class VersionDistribution:
    version: int
    reviews: int  # reviews that scored this version (for multiple choice the bars can add up to more)
    bars: list[Bar] = field(default_factory=list)
    mean: float | None = None  # numeric only

    @property
    def top(self) -> int:
        return max((bar.count for bar in self.bars), default=0)


@dataclass
class ScorerDistribution:
    definition: ScoreDefinition
    versions: list[VersionDistribution] = field(default_factory=list)

    @property
    def reviews(self) -> int:
        return sum(v.reviews for v in self.versions)


@dataclass
class DayPoint:
    day: str  # YYYY-MM-DD, UTC
    added: int = 0
    reviewed: int = 0
    left_otherwise: int = 0  # removed, or its queue deleted
    pending: int = 0  # at the end of the day


@dataclass
class QueueProgress:
    queue: ReviewQueue
    pending_now: int
    days: list[DayPoint]

    @property
    def added(self) -> int:
        return sum(d.added for d in self.days)

    @property
    def reviewed(self) -> int:
        return sum(d.reviewed for d in self.days)

    @property
    def top(self) -> int:
        return max([d.added for d in self.days] + [d.reviewed for d in self.days] + [d.pending for d in self.days]
                   + [0])


@dataclass
class ReviewerThroughput:
    user: User | None  # None: a deleted user
    per_day: list[tuple[str, int]]
    median_seconds: float | None
    skips: int

    @property
    def reviews(self) -> int:
        return sum(count for _, count in self.per_day)

    @property
    def active_days(self) -> int:
        return sum(1 for _, count in self.per_day if count)

    @property
    def per_active_day(self) -> float:
        return self.reviews / self.active_days if self.active_days else 0.0

    @property
    def top(self) -> int:
        return max((count for _, count in self.per_day), default=0)


@dataclass
class Insights:
    days: int
    since: datetime
    day_labels: list[str]
    scorers: list[ScorerDistribution]
    queues: list[QueueProgress]
    reviewers: list[ReviewerThroughput]
    skip_reasons: list[Bar]
    skips_total: int


def clean_window(raw: Any) -> int:
    try:
        days = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_WINDOW
    return days if days in WINDOWS else DEFAULT_WINDOW


def project_insights(project_id: int, days: int = DEFAULT_WINDOW, now: datetime | None = None) -> Insights:
    """Everything the Insights page shows, in a fixed number of queries. Distributions cover every live
    review; queue progress, throughput and skips cover the last `days` days (UTC)."""
    now = now or utcnow()
    first_day = (now.astimezone(UTC).date() - timedelta(days=days - 1))
    since = datetime.combine(first_day, time(), UTC)
    labels = [(first_day + timedelta(days=i)).isoformat() for i in range(days)]
    reasons, skips_total, skips_by_user = skip_summary(project_id, since)
    return Insights(
        days=days, since=since, day_labels=labels,
        scorers=scorer_distributions(project_id),
        queues=queue_progress(project_id, since, labels),
        reviewers=reviewer_throughput(project_id, since, labels, skips_by_user),
        skip_reasons=reasons, skips_total=skips_total,
    )


# --- scores ------------------------------------------------------------------------------------------

def scorer_distributions(project_id: int) -> list[ScorerDistribution]:
    """Per scorer (active ones, and archived ones that have scores) and per version, how often each value was
    given: option counts for categorical, values or ranges for numeric, yes/no for boolean. Seven queries."""
    has_scores = _live_scores(TraceReviewScore.id).where(
        TraceReviewScore.definition_id == ScoreDefinition.id).exists()
    definitions = db.session.scalars(
        select(ScoreDefinition)
        .where(ScoreDefinition.project_id == project_id, or_(ScoreDefinition.archived.is_(False), has_scores))
        .order_by(ScoreDefinition.archived, ScoreDefinition.name, ScoreDefinition.id)
        .limit(SCORERS_MAX)
    ).unique().all()
    if not definitions:
        return []
    ids = [d.id for d in definitions]
    configs = {(v.definition_id, v.version): v.config for v in db.session.scalars(
        select(ScoreDefinitionVersion).where(ScoreDefinitionVersion.project_id == project_id,
                                             ScoreDefinitionVersion.definition_id.in_(ids)))}
    reviews = db.session.execute(
        _live_scores(TraceReviewScore.definition_id, TraceReviewScore.definition_version,
                     func.count(TraceReviewScore.id))
        .where(TraceReviewScore.project_id == project_id, TraceReviewScore.definition_id.in_(ids))
        .group_by(TraceReviewScore.definition_id, TraceReviewScore.definition_version)
    ).all()
    counts: dict[tuple[uuid.UUID, int], dict[Any, int]] = {}
    for definition_id, version, value, count in (
        _categorical_counts(project_id, ids) + _boolean_counts(project_id, ids)
    ):
        counts.setdefault((definition_id, version), {})[value] = count
    numeric = _numeric_counts(project_id, ids)

    by_definition: dict[uuid.UUID, list[VersionDistribution]] = {}
    for definition_id, version, total in sorted(reviews, key=lambda r: -r[1]):
        by_definition.setdefault(definition_id, []).append(VersionDistribution(version, total))
    result = []
    for definition in definitions:
        versions = by_definition.get(definition.id, [])
        for entry in versions:
            config = configs.get((definition.id, entry.version), {})
            found = counts.get((definition.id, entry.version), {})
            if definition.kind == "categorical":
                known = [o["key"] for o in config.get("options") or []]
                entry.bars = [Bar(o["label"], found.get(o["key"], 0), o["key"]) for o in config.get("options") or []]
                entry.bars += [Bar(key, count, key) for key, count in sorted(found.items()) if key not in known]
            elif definition.kind == "boolean":
                entry.bars = [Bar(config.get("true_label") or "Yes", found.get(True, 0)),
                              Bar(config.get("false_label") or "No", found.get(False, 0))]
            else:
                entry.bars, entry.mean = numeric.get((definition.id, entry.version), ([], None))
        result.append(ScorerDistribution(definition, versions))
    return result


def _categorical_counts(project_id: int, ids: list[uuid.UUID]) -> list[tuple]:
    """(definition, version, option key, count): each chosen option counted once per score, in SQL."""
    column = TraceReviewScore.categorical_values
    # Scores of other kinds hold a JSON null here (not SQL NULL): only arrays are expanded.
    if db.session.get_bind().dialect.name == "postgresql":
        is_list = func.jsonb_typeof(column) == "array"
        # Guarded inside the call too: PostgreSQL refuses to expand a scalar, whatever the WHERE says.
        values = func.jsonb_array_elements_text(case((is_list, column), else_=func.jsonb_build_array())
                                                ).table_valued("value")
    else:
        values = func.json_each(column).table_valued("value")
        is_list = func.json_type(column) == "array"
    return [tuple(row) for row in db.session.execute(
        _live_scores(TraceReviewScore.definition_id, TraceReviewScore.definition_version, values.c.value,
                     func.count())
        .join(values, true())
        .where(TraceReviewScore.project_id == project_id, TraceReviewScore.definition_id.in_(ids), is_list)
        .group_by(TraceReviewScore.definition_id, TraceReviewScore.definition_version, values.c.value)
    )]


def _boolean_counts(project_id: int, ids: list[uuid.UUID]) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        _live_scores(TraceReviewScore.definition_id, TraceReviewScore.definition_version,
                     TraceReviewScore.boolean_value, func.count())
        .where(TraceReviewScore.project_id == project_id, TraceReviewScore.definition_id.in_(ids),
               TraceReviewScore.boolean_value.is_not(None))
        .group_by(TraceReviewScore.definition_id, TraceReviewScore.definition_version,
                  TraceReviewScore.boolean_value)
    )]


def _numeric_counts(project_id: int, ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, int], tuple[list[Bar], float]]:
    """Per version: the count of each value when there are few distinct values, else of ten equal ranges
    between the lowest and highest value given; and the mean. Two queries: the ranges, then the counts."""
    value = TraceReviewScore.numeric_value
    scope = (TraceReviewScore.project_id == project_id, TraceReviewScore.definition_id.in_(ids),
             value.is_not(None))
    stats = (
        _live_scores(TraceReviewScore.definition_id.label("definition_id"),
                     TraceReviewScore.definition_version.label("version"),
                     func.min(value).label("low"), func.max(value).label("high"), func.avg(value).label("mean"),
                     func.count(func.distinct(value)).label("distinct"))
        .where(*scope)
        .group_by(TraceReviewScore.definition_id, TraceReviewScore.definition_version)
        .subquery("stats")
    )
    spread = stats.c.high - stats.c.low
    binned = stats.c.distinct > EXACT_VALUES_MAX
    raw_bin = _floor((value - stats.c.low) * NUMERIC_BINS / case((spread == 0, 1), else_=spread))
    bin_index = case((binned, case((raw_bin >= NUMERIC_BINS, NUMERIC_BINS - 1), else_=raw_bin)), else_=None)
    exact = case((binned, None), else_=value)
    rows = db.session.execute(
        _live_scores(TraceReviewScore.definition_id, TraceReviewScore.definition_version, exact, bin_index,
                     func.count(), stats.c.low, stats.c.high, stats.c.mean)
        .join(stats, and_(stats.c.definition_id == TraceReviewScore.definition_id,
                          stats.c.version == TraceReviewScore.definition_version))
        .where(*scope)
        .group_by(TraceReviewScore.definition_id, TraceReviewScore.definition_version, exact, bin_index,
                  stats.c.low, stats.c.high, stats.c.mean)
    ).all()
    positions: dict[tuple[uuid.UUID, int], dict[Decimal, Bar]] = {}
    means: dict[tuple[uuid.UUID, int], float] = {}
    for definition_id, version, exact_value, index, count, low, high, mean in rows:
        key = (definition_id, version)
        means[key] = float(mean)
        bars = positions.setdefault(key, {})
        if exact_value is not None:
            value_ = Decimal(str(exact_value))
            bars[value_] = Bar(scorers.format_decimal(value_), count)
            continue
        low_, high_ = Decimal(str(low)), Decimal(str(high))
        width = (high_ - low_) / NUMERIC_BINS
        if not bars:  # every range is shown, the empty ones too
            for i in range(NUMERIC_BINS):
                start = low_ + width * i
                bars[start] = Bar(f"{_edge(start, width)} – {_edge(start + width, width)}", 0)
        bars[low_ + width * int(index)].count += count
    return {key: ([bars[p] for p in sorted(bars)], means[key]) for key, bars in positions.items()}


def _floor(expression):
    # SQLite has no floor() without its math extension; the values here are never negative, so a cast
    # (which truncates) is the floor there. PostgreSQL's cast rounds, so it gets floor().
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(expression), Integer)
    return cast(expression, Integer)


def _edge(value: Decimal, width: Decimal) -> str:
    """A range's edge to two decimals, or finer when the ranges are narrower (0.0001 – 0.0002, not 0 – 0)."""
    places = max(2, 1 - width.adjusted()) if width else 2
    return scorers.format_decimal(value.quantize(Decimal(1).scaleb(-places)))


def _day(column):
    """The UTC calendar day of a timestamp column, as YYYY-MM-DD text, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)  # SQLite keeps these columns as naive UTC text


# --- queues ------------------------------------------------------------------------------------------

def queue_progress(project_id: int, since: datetime, labels: list[str]) -> list[QueueProgress]:
    """Per live queue and day: items added, reviewed and otherwise removed, and how many were pending at the
    end of the day (walked back from the pending count now). Three queries."""
    rows = db.session.execute(
        select(ReviewQueue, queues.pending_count_column())
        .where(ReviewQueue.project_id == project_id, ReviewQueue.deleted_at.is_(None))
        .order_by(ReviewQueue.name, ReviewQueue.id)
        .limit(QUEUES_MAX)
    ).all()
    if not rows:
        return []
    ids = [queue.id for queue, _ in rows]
    added_day = _day(ReviewQueueItem.created_at)
    added = db.session.execute(
        select(ReviewQueueItem.queue_id, added_day, func.count())
        .where(ReviewQueueItem.project_id == project_id, ReviewQueueItem.queue_id.in_(ids),
               ReviewQueueItem.created_at >= since)
        .group_by(ReviewQueueItem.queue_id, added_day)
    ).all()
    left_day = _day(ReviewQueueItem.deleted_at)
    left = db.session.execute(
        select(ReviewQueueItem.queue_id, left_day, ReviewQueueItem.deleted_reason, func.count())
        .where(ReviewQueueItem.project_id == project_id, ReviewQueueItem.queue_id.in_(ids),
               ReviewQueueItem.deleted_at >= since)
        .group_by(ReviewQueueItem.queue_id, left_day, ReviewQueueItem.deleted_reason)
    ).all()
    points = {queue.id: {label: DayPoint(label) for label in labels} for queue, _ in rows}
    for queue_id, day, count in added:
        if day in points[queue_id]:
            points[queue_id][day].added += count
    for queue_id, day, reason, count in left:
        if day in points[queue_id]:
            point = points[queue_id][day]
            if reason == "reviewed":
                point.reviewed += count
            else:
                point.left_otherwise += count
    progress = []
    for queue, pending_now in rows:
        days = list(points[queue.id].values())
        pending = pending_now
        for point in reversed(days):
            point.pending = pending
            pending = pending - point.added + point.reviewed + point.left_otherwise
        progress.append(QueueProgress(queue, pending_now, days))
    return progress


# --- reviewers and skips -----------------------------------------------------------------------------

def reviewer_throughput(project_id: int, since: datetime, labels: list[str],
                        skips_by_user: dict[int | None, int]) -> list[ReviewerThroughput]:
    """Per reviewer (who last saved each review): reviews per day since `since`, the median time spent per
    review (over reviews that recorded it) and their skips, busiest first. Three queries."""
    window = (TraceReview.project_id == project_id, TraceReview.deleted_at.is_(None),
              TraceReview.created_at >= since)
    day = _day(TraceReview.created_at)
    per_day = db.session.execute(
        select(TraceReview.reviewed_by_id, day, func.count()).where(*window)
        .group_by(TraceReview.reviewed_by_id, day)
    ).all()
    medians = median_seconds(window)
    user_ids = {user_id for user_id, _, _ in per_day} | set(skips_by_user)
    users = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_([i for i in user_ids if i is not None])))} if user_ids else {}
    counts: dict[int | None, dict[str, int]] = {user_id: {} for user_id in user_ids}
    for user_id, label, count in per_day:
        counts[user_id][label] = count
    result = [
        ReviewerThroughput(users.get(user_id) if user_id is not None else None,
                           [(label, counts[user_id].get(label, 0)) for label in labels],
                           medians.get(user_id), skips_by_user.get(user_id, 0))
        for user_id in user_ids
    ]
    result.sort(key=lambda r: (-r.reviews, r.user.email if r.user else "~"))
    return result


def median_seconds(conditions: tuple) -> dict[int | None, float]:
    """The median time_spent_seconds per reviewer over the reviews matching `conditions`, in one query: the
    middle row (or the mean of the two middle rows) of each reviewer's reviews ordered by time spent."""
    ranked = (
        select(
            TraceReview.reviewed_by_id.label("user_id"),
            TraceReview.time_spent_seconds.label("seconds"),
            func.row_number().over(partition_by=TraceReview.reviewed_by_id,
                                   order_by=TraceReview.time_spent_seconds).label("position"),
            func.count().over(partition_by=TraceReview.reviewed_by_id).label("total"),
        )
        .where(*conditions, TraceReview.time_spent_seconds.is_not(None))
        .subquery("ranked")
    )
    rows = db.session.execute(
        select(ranked.c.user_id, func.avg(ranked.c.seconds))
        .where(ranked.c.position.in_([(ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2]))
        .group_by(ranked.c.user_id)
    ).all()
    return {user_id: float(seconds) for user_id, seconds in rows}


def skip_summary(project_id: int, since: datetime) -> tuple[list[Bar], int, dict[int | None, int]]:
    """Skips since `since`: the most given reasons (blank ones together), the total, and per reviewer.
    Two queries."""
    window = (ReviewSkip.project_id == project_id, ReviewSkip.created_at >= since)
    reason = func.coalesce(func.nullif(func.trim(ReviewSkip.reason), ""), NO_REASON)
    reasons = db.session.execute(
        select(reason, func.count()).where(*window).group_by(reason)
        .order_by(func.count().desc(), reason).limit(SKIP_REASONS_MAX)
    ).all()
    by_user = dict(db.session.execute(
        select(ReviewSkip.user_id, func.count()).where(*window).group_by(ReviewSkip.user_id)).all())
    return [Bar(text, count) for text, count in reasons], sum(by_user.values()), by_user
