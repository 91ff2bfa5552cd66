"""Read-only aggregates over reviews, queue items and skips: how many reviews use each scorer and version, the
distribution of scores, queue progress per day, reviewer throughput and skip reasons. Every figure is computed
by the database; each function runs a fixed number of queries, whatever the amount of data."""
from __future__ import annotations

import uuid
from typing import Iterable

from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import TraceReview, TraceReviewScore


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
