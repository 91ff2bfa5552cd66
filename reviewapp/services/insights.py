"""The Insights page: score distributions, and over a window of days pass rates, queue progress, reviewer
throughput and skip reasons. Every figure is computed by the database; each function runs a fixed number of
queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import Membership, ReviewQueue, ReviewQueueItem, ReviewSkip, TraceReview, User, utcnow
from reviewapp.services import queues
from reviewapp.services.days import last_days, utc_day
from reviewapp.services.distributions import Bar, ScorerDistribution, scorer_distributions
from reviewapp.services.pass_rates import PassRates, pass_rates

WINDOWS = (7, 30, 90)
DEFAULT_WINDOW = 30
QUEUES_MAX = 50
SKIP_REASONS_MAX = 10
NO_REASON = "(no reason given)"


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
    pass_rates: PassRates
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


def project_insights(project_id: int, days: int = DEFAULT_WINDOW, now: datetime | None = None,
                     visible_to: Membership | None = None) -> Insights:
    """Everything the Insights page shows, in a fixed number of queries. Distributions cover every live
    review and pass rates those in the last `days` days (UTC), both only those blind review lets `visible_to` see,
    if given; queue progress, throughput and skips cover the last `days` days too."""
    since, labels = last_days(days, now or utcnow())
    reasons, skips_total, skips_by_user = skip_summary(project_id, since)
    return Insights(
        days=days, since=since, day_labels=labels,
        scorers=scorer_distributions(project_id, visible_to),
        pass_rates=pass_rates(project_id, since, labels, visible_to),
        queues=queue_progress(project_id, since, labels),
        reviewers=reviewer_throughput(project_id, since, labels, skips_by_user),
        skip_reasons=reasons, skips_total=skips_total,
    )


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
    added_day = utc_day(ReviewQueueItem.created_at)
    added = db.session.execute(
        select(ReviewQueueItem.queue_id, added_day, func.count())
        .where(ReviewQueueItem.project_id == project_id, ReviewQueueItem.queue_id.in_(ids),
               ReviewQueueItem.created_at >= since)
        .group_by(ReviewQueueItem.queue_id, added_day)
    ).all()
    left_day = utc_day(ReviewQueueItem.deleted_at)
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
    day = utc_day(TraceReview.created_at)
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
