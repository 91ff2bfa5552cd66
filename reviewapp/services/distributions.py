"""Score distributions over live reviews: how many reviews use each scorer and version, and how often each value
was given. Every figure is computed by the database, in a fixed number of queries."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, or_, select, true

from reviewapp.extensions import db
from reviewapp.models import Membership, ScoreDefinition, ScoreDefinitionVersion, TraceReview, TraceReviewScore
from reviewapp.services.scorer_config import format_decimal
from reviewapp.services.visibility import where_visible

EXACT_VALUES_MAX = 12  # a numeric scorer with more distinct values than this is shown in ranges
NUMERIC_BINS = 10
SCORERS_MAX = 100


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


def _live_scores(*columns, visible_to: Membership | None = None):
    """A select of `columns` over the scores of live reviews (those blind review lets `visible_to` see, if given)."""
    return (
        select(*columns)
        .select_from(TraceReviewScore)
        .join(TraceReview, TraceReview.id == TraceReviewScore.review_id)
        .where(TraceReview.deleted_at.is_(None),
               *([] if visible_to is None else where_visible(visible_to, TraceReview.trace_id)))
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


def scorer_distributions(project_id: int, visible_to: Membership | None = None) -> list[ScorerDistribution]:
    """Per scorer (active ones, and archived ones that have scores) and per version, how often each value was
    given: option counts for categorical, values or ranges for numeric, yes/no for boolean. Seven queries.

    visible_to: count only the reviews blind review lets this member see (a count of one can tell a hidden
    review's answer); None counts every review, as an admin sees them."""
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
                     func.count(TraceReviewScore.id), visible_to=visible_to)
        .where(TraceReviewScore.project_id == project_id, TraceReviewScore.definition_id.in_(ids))
        .group_by(TraceReviewScore.definition_id, TraceReviewScore.definition_version)
    ).all()
    counts: dict[tuple[uuid.UUID, int], dict[Any, int]] = {}
    for definition_id, version, value, count in (
        _categorical_counts(project_id, ids, visible_to) + _boolean_counts(project_id, ids, visible_to)
    ):
        counts.setdefault((definition_id, version), {})[value] = count
    numeric = _numeric_counts(project_id, ids, visible_to)

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


def _categorical_counts(project_id: int, ids: list[uuid.UUID], visible_to: Membership | None) -> list[tuple]:
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
                     func.count(), visible_to=visible_to)
        .join(values, true())
        .where(TraceReviewScore.project_id == project_id, TraceReviewScore.definition_id.in_(ids), is_list)
        .group_by(TraceReviewScore.definition_id, TraceReviewScore.definition_version, values.c.value)
    )]


def _boolean_counts(project_id: int, ids: list[uuid.UUID], visible_to: Membership | None) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        _live_scores(TraceReviewScore.definition_id, TraceReviewScore.definition_version,
                     TraceReviewScore.boolean_value, func.count(), visible_to=visible_to)
        .where(TraceReviewScore.project_id == project_id, TraceReviewScore.definition_id.in_(ids),
               TraceReviewScore.boolean_value.is_not(None))
        .group_by(TraceReviewScore.definition_id, TraceReviewScore.definition_version,
                  TraceReviewScore.boolean_value)
    )]


def _numeric_counts(project_id: int, ids: list[uuid.UUID],
                    visible_to: Membership | None) -> dict[tuple[uuid.UUID, int], tuple[list[Bar], float]]:
    """Per version: the count of each value when there are few distinct values, else of ten equal ranges
    between the lowest and highest value given; and the mean. Two queries: the ranges, then the counts."""
    value = TraceReviewScore.numeric_value
    scope = (TraceReviewScore.project_id == project_id, TraceReviewScore.definition_id.in_(ids),
             value.is_not(None))
    stats = (
        _live_scores(TraceReviewScore.definition_id.label("definition_id"),
                     TraceReviewScore.definition_version.label("version"),
                     func.min(value).label("low"), func.max(value).label("high"), func.avg(value).label("mean"),
                     func.count(func.distinct(value)).label("distinct"), visible_to=visible_to)
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
                     func.count(), stats.c.low, stats.c.high, stats.c.mean, visible_to=visible_to)
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
            bars[value_] = Bar(format_decimal(value_), count)
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
    return format_decimal(value.quantize(Decimal(1).scaleb(-places)))
