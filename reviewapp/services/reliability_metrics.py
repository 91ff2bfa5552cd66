"""How far reviewers agree: percent agreement, Cohen's and Fleiss' κ, Krippendorff's α, bootstrap intervals.

Pure functions, no database. The input is `units`: one dict per item, reviewer id -> value, where a value is a str
(nominal: a single-choice option key, or "true"/"false"), a float (interval or ordinal) or a frozenset[str]
(MASI: the options of a multi-select answer). None (or a float NaN) is a missing judgment, the same as no key.

Every statistic is computed the same way: each item contributes a row of numbers (its "features", e.g. its
observed disagreement and how often each value occurs in it), the rows are summed, and a closing formula turns
the sums into the value. The point estimate sums every row once; the bootstrap resamples items with replacement,
which only changes how many times each row is summed, so a thousand resamples are one matrix product. Items with
identical rows are grouped first and resampled as a multinomial over the groups (exactly the same distribution as
drawing items one by one), which is what makes 10,000 items × 1,000 resamples take milliseconds.

Undefined values (no item with two judgments, every judgment the same value, a single reviewer) are None, never an
exception: a division by zero cannot be an agreement figure.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np

Units = Sequence[Mapping[int, Any]]
Level = Literal["nominal", "interval", "ordinal", "masi"]

MIN_ITEMS = 10
"""Below this many items (with at least two judgments) a reading says "Not enough data" instead of a verdict."""

DEFAULT_SEED = 20250301
_MAX_GROUPS = 4000  # above this many distinct item rows the bootstrap draws item indices instead of group counts


@dataclass(frozen=True)
class Agreement:
    value: float | None
    items: int  # items with at least two judgments
    judgments: int  # judgments on those items


@dataclass(frozen=True)
class Pairwise:
    a: int
    b: int
    value: float | None
    items: int  # items both reviewers judged


# --- input -------------------------------------------------------------------------------------------------------

def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _judged(units: Units, minimum: int = 2) -> list[list[Any]]:
    """The values of each item that has at least `minimum` judgments (missing ones dropped)."""
    rows = [[v for v in unit.values() if _present(v)] for unit in units]
    return [row for row in rows if len(row) >= minimum]


def _category_index(rows: list[list[Any]]) -> dict[Hashable, int]:
    index: dict[Hashable, int] = {}
    for row in rows:
        for value in row:
            index.setdefault(value, len(index))
    return index


def _counts(rows: list[list[Any]], index: Mapping[Hashable, int]) -> np.ndarray:
    counts = np.zeros((len(rows), len(index)))
    for i, row in enumerate(rows):
        for value in row:
            counts[i, index[value]] += 1
    return counts


# --- the vectorised statistic ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Prepared:
    """One row of features per item, and the formula that turns summed rows (shape (r, k)) into r values."""
    features: np.ndarray
    finish: Callable[[np.ndarray], np.ndarray]

    def value(self) -> float | None:
        if len(self.features) == 0:
            return None
        result = float(self.finish(self.features.sum(axis=0, keepdims=True))[0])
        return result if math.isfinite(result) else None


class Statistic:
    """A statistic of `units` that bootstrap_interval can resample without recomputing item by item.

    Calling it gives the point estimate, so it can be passed wherever a `Callable[[units], float | None]` is."""

    def __init__(self, prepare: Callable[[Units], Prepared], name: str) -> None:
        self.prepare = prepare
        self.name = name

    def __call__(self, units: Units) -> float | None:
        return self.prepare(units).value()

    def __repr__(self) -> str:
        return f"Statistic({self.name})"


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(denominator) > 1e-12, numerator / np.where(denominator == 0, 1, denominator), np.nan)


# --- percent agreement -------------------------------------------------------------------------------------------

def _prepare_percent(units: Units) -> Prepared:
    rows = _judged(units)
    features = np.zeros((len(rows), 2))
    for i, row in enumerate(rows):
        m = len(row)
        agreeing = sum(c * (c - 1) for c in Counter(row).values())
        features[i] = (1.0, agreeing / (m * (m - 1)))
    return Prepared(features, lambda s: _safe_ratio(s[:, 1], s[:, 0]))


def percent_agreement(units: Units) -> Agreement:
    """The share of agreeing pairs of judgments within an item, averaged over the items with ≥ 2 judgments.

    An item judged by m reviewers has m(m-1)/2 pairs of judgments; its share is the number of pairs with equal values
    (sets: the same set) divided by that. Every item counts once, however many judgments it has. Not corrected for
    chance: with two options, random answers agree half the time. None when no item has two judgments."""
    rows = _judged(units)
    return Agreement(_prepare_percent(units).value(), len(rows), sum(len(row) for row in rows))


PERCENT_AGREEMENT = Statistic(_prepare_percent, "percent agreement")


# --- Cohen's κ -----------------------------------------------------------------------------------------------------

def _kappa_from_sums(s: np.ndarray, categories: int) -> np.ndarray:
    n = s[:, 0]
    observed = _safe_ratio(s[:, 1], n)
    chance = _safe_ratio((s[:, 2:2 + categories] * s[:, 2 + categories:]).sum(axis=1), n * n)
    return _safe_ratio(observed - chance, 1 - chance)


def _prepare_cohen(a: int, b: int) -> Callable[[Units], Prepared]:
    def prepare(units: Units) -> Prepared:
        pairs = [(u[a], u[b]) for u in units if _present(u.get(a)) and _present(u.get(b))]
        index = _category_index([[x, y] for x, y in pairs])
        c = len(index)
        features = np.zeros((len(pairs), 2 + 2 * c))
        for i, (x, y) in enumerate(pairs):
            features[i, 0] = 1.0
            features[i, 1] = float(x == y)
            features[i, 2 + index[x]] = 1.0
            features[i, 2 + c + index[y]] = 1.0
        return Prepared(features, lambda s: _kappa_from_sums(s, c))
    return prepare


def cohen_statistic(a: int, b: int) -> Statistic:
    return Statistic(_prepare_cohen(a, b), f"Cohen's kappa {a}/{b}")


def cohen_kappa(units: Units, a: int, b: int, level: str = "nominal") -> Pairwise:
    """Cohen's κ between reviewers a and b over the items both judged: (p_o − p_e) / (1 − p_e), with p_e from each
    reviewer's own distribution of values. Only nominal (unweighted) κ. None when they share no item or both gave one
    and the same value throughout (p_e = 1: agreement is total but nothing distinguishes it from chance)."""
    if level != "nominal":
        raise ValueError(f"Cohen's kappa is computed for nominal values only, not {level!r}")
    prepared = _prepare_cohen(a, b)(units)
    return Pairwise(a, b, prepared.value(), len(prepared.features))


def pairwise_cohen(units: Units) -> list[Pairwise]:
    """Cohen's κ for every pair of reviewers (a < b) who judged at least one common item, ordered by (a, b)."""
    confusions: dict[tuple[int, int], Counter[tuple[Any, Any]]] = {}
    for unit in units:
        judged = sorted((r, v) for r, v in unit.items() if _present(v))
        for (ra, va), (rb, vb) in combinations(judged, 2):
            confusions.setdefault((ra, rb), Counter())[(va, vb)] += 1
    return [Pairwise(a, b, _kappa_from_confusion(confusion), sum(confusion.values()))
            for (a, b), confusion in sorted(confusions.items())]


def _kappa_from_confusion(confusion: Counter[tuple[Any, Any]]) -> float | None:
    n = sum(confusion.values())
    first: Counter[Any] = Counter()
    second: Counter[Any] = Counter()
    for (x, y), count in confusion.items():
        first[x] += count
        second[y] += count
    observed = sum(count for (x, y), count in confusion.items() if x == y) / n
    chance = sum(first[v] * second[v] for v in first) / (n * n)
    if chance >= 1 - 1e-12:
        return None
    return (observed - chance) / (1 - chance)


# --- Fleiss' κ -----------------------------------------------------------------------------------------------------

def _prepare_fleiss(units: Units) -> Prepared:
    rows = _judged(units)
    sizes = {len(row) for row in rows}
    if len(sizes) != 1:
        return Prepared(np.zeros((0, 2)), lambda s: np.full(len(s), np.nan))
    (m,) = sizes
    counts = _counts(rows, _category_index(rows))
    features = np.column_stack([np.ones(len(rows)), (counts * counts).sum(axis=1), counts])

    def finish(s: np.ndarray) -> np.ndarray:
        n = s[:, 0]
        observed = _safe_ratio(s[:, 1] - n * m, n * m * (m - 1))
        shares = s[:, 2:] / (n * m)[:, None]
        chance = (shares * shares).sum(axis=1)
        return _safe_ratio(observed - chance, 1 - chance)
    return Prepared(features, finish)


def fleiss_kappa(units: Units) -> float | None:
    """Fleiss' κ over the items with ≥ 2 judgments, defined only when all of them have the same number of judgments
    (None otherwise, and None when every judgment is the same value). Nominal values."""
    return _prepare_fleiss(units).value()


FLEISS_KAPPA = Statistic(_prepare_fleiss, "Fleiss' kappa")


# --- Krippendorff's α ----------------------------------------------------------------------------------------------

def masi_distance(first: frozenset[str], second: frozenset[str]) -> float:
    """MASI distance (Passonneau 2006) as NLTK defines it: 1 − Jaccard × m, m = 1 for equal sets, 2/3 when one
    contains the other, 1/3 when they overlap, 0 otherwise (older NLTK releases rounded these to .67 and .33). Two equal
    sets (also two empty ones, where NLTK divides by zero) are 0 apart."""
    if first == second:
        return 0.0
    common = len(first & second)
    if common == min(len(first), len(second)):
        monotonicity = 2 / 3
    elif common > 0:
        monotonicity = 1 / 3
    else:
        monotonicity = 0.0
    return 1 - common / len(first | second) * monotonicity


def _alpha_from(observed: np.ndarray, expected: np.ndarray, n: np.ndarray) -> np.ndarray:
    """α = 1 − D_o / D_e = 1 − (n − 1) Σ o_ck δ_ck / Σ n_c n_k δ_ck."""
    return 1 - _safe_ratio((n - 1) * observed, expected)


def _interval_features(rows: list[list[Any]]) -> Prepared:
    features = np.zeros((len(rows), 4))
    for i, row in enumerate(rows):
        values = np.asarray(row, dtype=float)
        m, total, squares = len(values), values.sum(), (values * values).sum()
        features[i] = (2 * (m * squares - total * total) / (m - 1), m, total, squares)

    def finish(s: np.ndarray) -> np.ndarray:
        n = s[:, 1]
        return _alpha_from(s[:, 0], 2 * (n * s[:, 3] - s[:, 2] ** 2), n)
    return Prepared(features, finish)


def _fixed_delta_features(rows: list[list[Any]], delta: np.ndarray, index: Mapping[Hashable, int]) -> Prepared:
    counts = _counts(rows, index)
    m = counts.sum(axis=1)
    observed = ((counts @ delta) * counts).sum(axis=1) - counts @ np.diag(delta)  # pairs of distinct judgments
    features = np.column_stack([observed / (m - 1), m, counts])

    def finish(s: np.ndarray) -> np.ndarray:
        marginals = s[:, 2:]
        return _alpha_from(s[:, 0], ((marginals @ delta) * marginals).sum(axis=1), s[:, 1])
    return Prepared(features, finish)


def _ordinal_delta(marginals: np.ndarray) -> np.ndarray:
    """δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k) / 2)² for categories in rank order, per row of marginals: (r, C, C)."""
    cumulative = np.cumsum(marginals, axis=1)
    between = cumulative[:, None, :] - cumulative[:, :, None] + marginals[:, :, None]  # Σ_{g=c..k} n_g for c ≤ k
    between = np.where(np.triu(np.ones(marginals.shape[1], dtype=bool)), between, np.swapaxes(between, 1, 2))
    return (between - (marginals[:, :, None] + marginals[:, None, :]) / 2) ** 2


def _ordinal_features(rows: list[list[Any]], order: Sequence[Any] | None) -> Prepared:
    ranked = list(order) if order is not None else sorted({float(v) for row in rows for v in row})
    index: dict[Hashable, int] = {value: i for i, value in enumerate(ranked)}
    if order is None:
        rows = [[float(v) for v in row] for row in rows]
    unknown = {v for row in rows for v in row if v not in index}
    if unknown:
        raise ValueError(f"values missing from the order: {sorted(map(str, unknown))}")
    counts = _counts(rows, index)
    c = len(ranked)
    m = counts.sum(axis=1)
    pairs = (counts[:, :, None] * counts[:, None, :] - np.eye(c)[None] * counts[:, :, None]) / (m - 1)[:, None, None]
    features = np.column_stack([m, counts, pairs.reshape(len(rows), c * c)])

    def finish(s: np.ndarray) -> np.ndarray:
        marginals = s[:, 1:1 + c]
        delta = _ordinal_delta(marginals)
        observed = (s[:, 1 + c:].reshape(-1, c, c) * delta).sum(axis=(1, 2))
        expected = (marginals[:, :, None] * marginals[:, None, :] * delta).sum(axis=(1, 2))
        return _alpha_from(observed, expected, s[:, 0])
    return Prepared(features, finish)


def _prepare_alpha(units: Units, level: Level, order: Sequence[Any] | None) -> Prepared:
    rows = _judged(units)
    if level == "interval":
        return _interval_features(rows)
    if level == "ordinal":
        return _ordinal_features(rows, order)
    if level == "masi":
        rows = [[frozenset(v) if not isinstance(v, str) else frozenset([v]) for v in row] for row in rows]
        index = _category_index(rows)
        sets = [frozenset(value) for value in index if isinstance(value, frozenset)]
        delta = np.array([[masi_distance(x, y) for y in sets] for x in sets]).reshape(len(sets), len(sets))
        return _fixed_delta_features(rows, delta, index)
    if level == "nominal":
        index = _category_index(rows)
        return _fixed_delta_features(rows, 1 - np.eye(len(index)), index)
    raise ValueError(f"unknown level of measurement {level!r}")


def alpha_statistic(level: Level, order: Sequence[Any] | None = None) -> Statistic:
    return Statistic(lambda units: _prepare_alpha(units, level, order), f"Krippendorff's alpha ({level})")


def krippendorff_alpha(units: Units, level: Level, order: Sequence[Any] | None = None) -> float | None:
    """Krippendorff's α through the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's Alpha-
    Reliability"), for any number of reviewers and missing judgments; items with fewer than two judgments carry no
    pairable values and are left out.

    Difference functions δ²: nominal 0/1; interval (c − k)²; ordinal (Σ_{g=c..k} n_g − (n_c + n_k)/2)², ranks from
    `order` (values not in it are an error) or else the sorted numeric values; masi the MASI distance between sets
    (NLTK's, unsquared, as NLTK's AnnotationTask uses it). None when no item has two judgments or the expected
    disagreement is zero (every judgment the same value: there is no variation to agree on)."""
    return _prepare_alpha(units, level, order).value()


# --- bootstrap -----------------------------------------------------------------------------------------------------

def _resampled_sums(features: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    groups, counts = np.unique(features, axis=0, return_counts=True)
    items = len(features)
    if len(groups) <= _MAX_GROUPS:
        weights = rng.multinomial(items, counts / items, size=resamples)
        return weights @ groups
    sums = np.empty((resamples, features.shape[1]))
    chunk = max(1, 2_000_000 // items)
    for start in range(0, resamples, chunk):
        drawn = rng.integers(0, items, size=(min(chunk, resamples - start), items))
        sums[start:start + len(drawn)] = features[drawn].sum(axis=1)
    return sums


def _generic_values(units: Units, statistic: Callable[[Units], float | None], resamples: int,
                    rng: np.random.Generator) -> np.ndarray:
    items = [unit for unit in units if sum(1 for v in unit.values() if _present(v)) >= 2]
    values = np.full(resamples, np.nan)
    for r in range(resamples):
        value = statistic([items[i] for i in rng.integers(0, len(items), size=len(items))])
        values[r] = np.nan if value is None else value
    return values


def bootstrap_interval(units: Units, statistic: Callable[[Units], float | None], *, seed: int = DEFAULT_SEED,
                       resamples: int = 1000, level: float = 0.95) -> tuple[float, float] | None:
    """A percentile bootstrap interval for `statistic`, resampling items with replacement (the same seed and data
    give the same interval). A `Statistic` (alpha_statistic, cohen_statistic, FLEISS_KAPPA, PERCENT_AGREEMENT) is
    resampled in one vectorised step over the items it uses; any other callable is recomputed on each resample of the
    items with ≥ 2 judgments (slow: for small data). Resamples where the statistic is undefined are skipped; None when
    the point estimate is undefined or fewer than half the resamples give a value."""
    rng = np.random.default_rng(seed)
    if isinstance(statistic, Statistic):
        prepared = statistic.prepare(units)
        if prepared.value() is None:
            return None
        values = prepared.finish(_resampled_sums(prepared.features, resamples, rng))
    else:
        if statistic(units) is None:
            return None
        values = _generic_values(units, statistic, resamples, rng)
    values = values[np.isfinite(values)]
    if len(values) < resamples / 2:
        return None
    low, high = np.quantile(values, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(low), float(high)


# --- reading -------------------------------------------------------------------------------------------------------

def _alpha_words(value: float) -> str:
    if value >= 0.8:
        return "Reliable enough to rely on"
    if value >= 0.667:
        return "Tentative conclusions only"
    if value > 0:
        return "Not reliable"
    return "Not reliable: no better than chance" if value > -0.05 else "Not reliable: reviewers systematically differ"


def _kappa_words(value: float) -> str:
    if value >= 0.8:
        return "Strong agreement beyond chance"
    if value >= 0.6:
        return "Moderate agreement: tentative conclusions only"
    if value >= 0.4:
        return "Weak agreement"
    if value > 0:
        return "Little agreement beyond chance"
    return "No agreement beyond chance"


def reading(value: float | None, items: int, minimum: int = MIN_ITEMS, *,
            metric: Literal["alpha", "kappa", "percent"] = "alpha",
            interval: tuple[float, float] | None = None) -> str:
    """A plain-words reading that does not oversell the value.

    α follows Krippendorff (2004, Content Analysis, §11.4.4; 2011): rely on data with α ≥ .800, draw only tentative
    conclusions from .667 ≤ α < .800, and do not rely on data below .667. κ uses the same cut-offs, worded as
    agreement beyond chance (the more generous Landis & Koch labels are avoided on purpose). Percent agreement is
    only described, since it ignores chance. With an `interval` whose lower end falls in a lower band, the reading
    says so. Below `minimum` items: "Not enough data (n items; at least 10 needed)"."""
    if items < minimum:
        return f"Not enough data ({items} item{'' if items == 1 else 's'}; at least {minimum} needed)"
    if value is None:
        return "Not defined: every judgment is the same value, or no item has two judgments"
    if metric == "percent":
        return f"{value:.0%} of pairs of judgments agree (not corrected for chance)"
    words = _kappa_words if metric == "kappa" else _alpha_words
    text = words(value)
    if interval is not None and words(interval[0]) != text:
        text += f", but the interval reaches down to {interval[0]:.3f}"
    return text
