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

Use: `estimate(units, alpha_statistic("nominal"))` gives α, its 95% interval and its number of items in one pass;
`estimate(units, cohen_statistic(a, b))` the same for a pair (FLEISS_KAPPA, PERCENT_AGREEMENT likewise), and
`reading(value, items, metric=..., interval=...)` the words. For MASI a str value counts as a one-option set.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np

Units = Sequence[Mapping[int, Any]]
Level = Literal["nominal", "interval", "ordinal", "masi"]

MIN_ITEMS = 10
"""Below this many items (with at least two judgments) a reading says "Not enough data" instead of a verdict."""

DEFAULT_SEED = 20250301
_MAX_GROUPS = 4000  # above this many distinct item rows the bootstrap draws item indices instead of group counts
# Ordinal α keeps per-item C × C coincidence rows (and resamples × C × C differences) up to these sizes; beyond,
# it is computed on mid-ranks.
_ORDINAL_DENSE_LIMIT = 4_000_000  # items × categories²
_ORDINAL_DENSE_CATEGORIES = 40


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
    return value is not None and value == value  # NaN != NaN: a missing number


@dataclass(frozen=True)
class _Judged:
    """The judgments of the items with at least two: item position (0..items-1), reviewer and value of each."""
    item: np.ndarray
    values: list[Any]
    items: int
    reviewers: list[Any]

    @cached_property
    def nominal(self) -> tuple[np.ndarray, dict[Hashable, int]]:
        """Each value's category number in order of appearance (percent agreement, κ and nominal α share them)."""
        return _coded(self.values)

    @cached_property
    def counts(self) -> np.ndarray:
        codes, index = self.nominal
        return _counts(self, codes, len(index))


def _judged(units: Units, *, present: bool = False) -> _Judged:
    """`present`: the caller vouches that no value is missing (None or NaN), so none is checked."""
    if isinstance(units, Judgments):
        return units.judged
    item: list[int] = []
    values: list[Any] = []
    reviewers: list[Any] = []
    items = 0
    for unit in units:
        if present:
            if len(unit) >= 2:
                item.extend([items] * len(unit))
                reviewers.extend(unit)
                values.extend(unit.values())
                items += 1
            continue
        answered = [r for r, v in unit.items() if v is not None and v == v]  # as _present, inlined: the hot loop
        if len(answered) >= 2:
            item.extend([items] * len(answered))
            reviewers.extend(answered)
            values.extend([unit[r] for r in answered])
            items += 1
    return _Judged(np.array(item, dtype=np.intp), values, items, reviewers)


class Judgments(Sequence[Mapping[int, Any]]):
    """`units` that build the arrays every statistic starts from once: a section computes several statistics of the
    same units, and building those arrays was most of each one's cost. Use it wherever `units` are taken."""

    def __init__(self, units: Iterable[Mapping[int, Any]], *, present: bool = False) -> None:
        """`present`: every value is an answer (no None or NaN), which spares checking each one."""
        self._units = list(units)
        self._present = present

    def __len__(self) -> int:
        return len(self._units)

    def __getitem__(self, index: Any) -> Any:
        return self._units[index]

    def __iter__(self) -> Iterator[Mapping[int, Any]]:
        return iter(self._units)

    def __eq__(self, other: object) -> bool:  # equal to the same units, as a list or as Judgments
        return isinstance(other, Sequence) and self._units == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Judgments({self._units!r})"

    @cached_property
    def judged(self) -> _Judged:
        return _judged(self._units, present=self._present)


def _coded(values: Sequence[Any], index: dict[Hashable, int] | None = None) -> tuple[np.ndarray, dict[Hashable, int]]:
    """Each value's category number, from `index` (a value missing from it is an error) or in order of appearance."""
    if index is None:
        index = {}
        codes = [index.setdefault(value, len(index)) for value in values]
    else:
        unknown = {value for value in values if value not in index}
        if unknown:
            raise ValueError(f"values missing from the order: {sorted(map(str, unknown))}")
        codes = [index[value] for value in values]
    return np.array(codes, dtype=np.intp), index


def _row_keys(counts: np.ndarray) -> np.ndarray | None:
    """One integer per row of category counts, equal exactly when the rows are (None when it would overflow)."""
    if counts.size == 0:
        return None
    base = int(counts.max()) + 1
    if counts.shape[1] * math.log2(base) >= 62:
        return None
    return counts.astype(np.int64) @ (base ** np.arange(counts.shape[1], dtype=np.int64))


def _counts(judged: _Judged, codes: np.ndarray, categories: int) -> np.ndarray:
    """How often each category occurs in each item: shape (items, categories)."""
    flat = np.bincount(judged.item * categories + codes, minlength=judged.items * categories)
    return flat.reshape(judged.items, categories).astype(float)


# --- the vectorised statistic ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Prepared:
    """One row of features per item, and the formula that turns summed rows (shape (r, k)) into r values."""
    features: np.ndarray
    finish: Callable[[np.ndarray], np.ndarray]
    keys: np.ndarray | None = None  # equal for items with equal rows (cheaper to group by than the rows)
    weighted: Callable[[np.ndarray], float] | None = None  # the value under item weights, when rows cannot be summed

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
    judged = _judged(units)
    counts = judged.counts
    m = counts.sum(axis=1)
    share = (counts * (counts - 1)).sum(axis=1) / (m * (m - 1))
    features = np.column_stack([np.ones(judged.items), share])
    return Prepared(features, lambda s: _safe_ratio(s[:, 1], s[:, 0]), _row_keys(counts))


def percent_agreement(units: Units) -> Agreement:
    """The share of agreeing pairs of judgments within an item, averaged over the items with ≥ 2 judgments.

    An item judged by m reviewers has m(m-1)/2 pairs of judgments; its share is the number of pairs with equal values
    (sets: the same set) divided by that. Every item counts once, however many judgments it has. Not corrected for
    chance: with two options, random answers agree half the time. None when no item has two judgments."""
    units = units if isinstance(units, Judgments) else Judgments(units)
    judged = _judged(units)
    return Agreement(_prepare_percent(units).value(), judged.items, len(judged.values))


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
        _, index = _coded([value for pair in pairs for value in pair])
        c = len(index)
        features = np.zeros((len(pairs), 2 + 2 * c))
        keys = np.zeros(len(pairs), dtype=np.int64)
        for i, (x, y) in enumerate(pairs):
            features[i, 0] = 1.0
            features[i, 1] = float(x == y)
            features[i, 2 + index[x]] = 1.0
            features[i, 2 + c + index[y]] = 1.0
            keys[i] = index[x] * c + index[y]
        return Prepared(features, lambda s: _kappa_from_sums(s, c), keys)
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
    """Cohen's κ for every pair of reviewers (a < b) who judged at least one common item, ordered by (a, b).

    Vectorised over the pairs of judgments within items: with the judgments sorted by item then reviewer, the k-th
    next judgment of the same item is the other half of a pair, for k up to the most judgments an item has."""
    judged = _judged(units)
    if not judged.items:
        return []
    people = sorted(set(judged.reviewers))
    who = {reviewer: i for i, reviewer in enumerate(people)}
    codes, index = judged.nominal
    reviewer = np.array([who[r] for r in judged.reviewers], dtype=np.int64)
    order = np.lexsort((reviewer, judged.item))
    item, reviewer, codes = judged.item[order], reviewer[order], codes[order].astype(np.int64)
    most = int(np.bincount(item).max())
    firsts = [np.flatnonzero(item[:-k] == item[k:]) for k in range(1, most)]
    first = np.concatenate(firsts)
    second = np.concatenate([found + k for k, found in enumerate(firsts, start=1)])
    p, c = len(people), len(index)
    pair = reviewer[first] * p + reviewer[second]  # reviewer[first] < reviewer[second]: sorted within an item
    x, y = codes[first], codes[second]
    n = np.bincount(pair, minlength=p * p)
    agreeing = np.bincount(pair[x == y], minlength=p * p)
    # Σ_v first[v]·second[v] per pair, over the (pair, value) cells both reviewers used
    a_cells, a_counts = np.unique(pair * c + x, return_counts=True)
    b_cells, b_counts = np.unique(pair * c + y, return_counts=True)
    _, in_a, in_b = np.intersect1d(a_cells, b_cells, assume_unique=True, return_indices=True)
    chance = np.bincount(a_cells[in_a] // c, a_counts[in_a] * b_counts[in_b], minlength=p * p)
    found = []
    for cell in np.flatnonzero(n).tolist():
        items = int(n[cell])
        found.append(Pairwise(people[cell // p], people[cell % p],
                              _kappa(int(agreeing[cell]), round(float(chance[cell])), items), items))
    return found


def _kappa(agreeing: int, chance_pairs: int, n: int) -> float | None:
    """κ from the number of agreeing items, Σ_v (a's count of v)·(b's count of v) and the items both judged."""
    observed = agreeing / n
    chance = chance_pairs / (n * n)
    if chance >= 1 - 1e-12:
        return None
    return (observed - chance) / (1 - chance)


# --- Fleiss' κ -----------------------------------------------------------------------------------------------------

def _prepare_fleiss(units: Units) -> Prepared:
    judged = _judged(units)
    sizes = set(np.bincount(judged.item).tolist())
    if len(sizes) != 1:
        return Prepared(np.zeros((0, 2)), lambda s: np.full(len(s), np.nan))
    (m,) = sizes
    counts = judged.counts
    features = np.column_stack([np.ones(judged.items), (counts * counts).sum(axis=1), counts])

    def finish(s: np.ndarray) -> np.ndarray:
        n = s[:, 0]
        observed = _safe_ratio(s[:, 1] - n * m, n * m * (m - 1))
        shares = s[:, 2:] / (n * m)[:, None]
        chance = (shares * shares).sum(axis=1)
        return _safe_ratio(observed - chance, 1 - chance)
    return Prepared(features, finish, _row_keys(counts))


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


def _interval_rows(item: np.ndarray, values: np.ndarray, items: int) -> np.ndarray:
    """Per item: Σ over ordered pairs of distinct judgments of (v_i − v_j)² / (m − 1) (its share of the coincidence
    matrix's observed disagreement), m, Σ v and Σ v², on values centred first (α depends on differences only, and
    centring keeps the sums of squares precise)."""
    if len(values):
        values = values - values.mean()
    m = np.bincount(item, minlength=items).astype(float)
    total = np.bincount(item, values, minlength=items)
    squares = np.bincount(item, values * values, minlength=items)
    spread = np.bincount(item, (values - (total / np.maximum(m, 1))[item]) ** 2, minlength=items)
    return np.column_stack([2 * m * spread / (m - 1), m, total, squares])  # Σ_{i≠j} (v_i − v_j)² = 2m Σ (v_i − v̄)²


def _interval_finish(s: np.ndarray) -> np.ndarray:
    n = s[:, 1]
    return _alpha_from(s[:, 0], 2 * (n * s[:, 3] - s[:, 2] ** 2), n)


def _interval_features(judged: _Judged) -> Prepared:
    return Prepared(_interval_rows(judged.item, np.array(judged.values, dtype=float), judged.items), _interval_finish)


def _fixed_delta_features(counts: np.ndarray, delta: np.ndarray) -> Prepared:
    m = counts.sum(axis=1)
    observed = ((counts @ delta) * counts).sum(axis=1) - counts @ np.diag(delta)  # pairs of distinct judgments
    features = np.column_stack([observed / (m - 1), m, counts])

    def finish(s: np.ndarray) -> np.ndarray:
        marginals = s[:, 2:]
        return _alpha_from(s[:, 0], ((marginals @ delta) * marginals).sum(axis=1), s[:, 1])
    return Prepared(features, finish, _row_keys(counts))


def _ordinal_delta(marginals: np.ndarray) -> np.ndarray:
    """δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k) / 2)² for categories in rank order, per row of marginals: (r, C, C)."""
    cumulative = np.cumsum(marginals, axis=1)
    between = cumulative[:, None, :] - cumulative[:, :, None] + marginals[:, :, None]  # Σ_{g=c..k} n_g for c ≤ k
    between = np.where(np.triu(np.ones(marginals.shape[1], dtype=bool)), between, np.swapaxes(between, 1, 2))
    return (between - (marginals[:, :, None] + marginals[:, None, :]) / 2) ** 2


def _ordinal_features(judged: _Judged, order: Sequence[Any] | None) -> Prepared:
    values = judged.values if order is not None else [float(v) for v in judged.values]
    ranked = list(order) if order is not None else sorted(set(values))
    codes, _ = _coded(values, {value: i for i, value in enumerate(ranked)})
    c = len(ranked)
    if c > _ORDINAL_DENSE_CATEGORIES or c * c * judged.items > _ORDINAL_DENSE_LIMIT:
        return _ordinal_by_midranks(judged, codes, c)
    counts = _counts(judged, codes, c)
    m = counts.sum(axis=1)
    pairs = (counts[:, :, None] * counts[:, None, :] - np.eye(c)[None] * counts[:, :, None]) / (m - 1)[:, None, None]
    features = np.column_stack([m, counts, pairs.reshape(judged.items, c * c)])

    def finish(s: np.ndarray) -> np.ndarray:
        marginals = s[:, 1:1 + c]
        delta = _ordinal_delta(marginals)
        observed = (s[:, 1 + c:].reshape(-1, c, c) * delta).sum(axis=(1, 2))
        expected = (marginals[:, :, None] * marginals[:, None, :] * delta).sum(axis=(1, 2))
        return _alpha_from(observed, expected, s[:, 0])
    return Prepared(features, finish, _row_keys(counts))


def _ordinal_by_midranks(judged: _Judged, codes: np.ndarray, categories: int) -> Prepared:
    """Ordinal α is interval α on mid-ranks: δ²_ck = (t_k − t_c)² with t_c = Σ_{g<c} n_g + n_c/2. Used when there are
    too many distinct values for per-item coincidence rows; the mid-ranks move with each resample's marginals, so
    the bootstrap recomputes them resample by resample (one pass over the judgments each)."""
    def rows(weights: np.ndarray) -> np.ndarray:
        marginals = np.bincount(codes, weights[judged.item], minlength=categories)
        midranks = np.cumsum(marginals) - marginals / 2
        return _interval_rows(judged.item, midranks[codes], judged.items)

    def weighted(weights: np.ndarray) -> float:
        return float(_interval_finish((weights @ rows(weights))[None, :])[0])
    return Prepared(rows(np.ones(judged.items)), _interval_finish, weighted=weighted)


def _prepare_alpha(units: Units, level: Level, order: Sequence[Any] | None) -> Prepared:
    judged = _judged(units)
    if level == "interval":
        return _interval_features(judged)
    if level == "ordinal":
        return _ordinal_features(judged, order)
    if level == "masi":
        sets = [frozenset([v]) if isinstance(v, str) else frozenset(v) for v in judged.values]
        codes, index = _coded(sets)
        distinct = [value for value in index if isinstance(value, frozenset)]
        delta = np.array([[masi_distance(x, y) for y in distinct] for x in distinct]).reshape(len(index), len(index))
        return _fixed_delta_features(_counts(judged, codes, len(index)), delta)
    if level == "nominal":
        counts = judged.counts
        return _fixed_delta_features(counts, 1 - np.eye(counts.shape[1]))
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

def _resampled_sums(prepared: Prepared, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """The summed rows of `resamples` resamples of the items (with replacement): shape (resamples, k)."""
    features = prepared.features
    items = len(features)
    if prepared.keys is not None:
        _, first, counts = np.unique(prepared.keys, return_index=True, return_counts=True)
        groups = features[first]
    else:
        groups, counts = np.unique(features, axis=0, return_counts=True)
    if len(groups) <= _MAX_GROUPS:
        # Drawing items uniformly is drawing groups of identical rows in proportion to their sizes.
        return rng.multinomial(items, counts / items, size=resamples) @ groups
    sums = np.empty((resamples, features.shape[1]))
    chunk = max(1, 2_000_000 // items)
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        drawn = rng.integers(0, items, size=(size, items)) + (np.arange(size) * items)[:, None]
        weights = np.bincount(drawn.ravel(), minlength=size * items).reshape(size, items)
        sums[start:start + size] = weights @ features
    return sums


def _generic_values(units: Units, statistic: Callable[[Units], float | None], resamples: int,
                    rng: np.random.Generator) -> np.ndarray:
    items = [unit for unit in units if sum(1 for v in unit.values() if _present(v)) >= 2]
    values = np.full(resamples, np.nan)
    for r in range(resamples if items else 0):
        value = statistic([items[i] for i in rng.integers(0, len(items), size=len(items))])
        values[r] = np.nan if value is None else value
    return values


def _percentile_interval(values: np.ndarray, resamples: int, level: float) -> tuple[float, float] | None:
    values = values[np.isfinite(values)]
    if len(values) < resamples / 2:
        return None
    low, high = np.quantile(values, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(low), float(high)


def bootstrap_interval(units: Units, statistic: Callable[[Units], float | None], *, seed: int = DEFAULT_SEED,
                       resamples: int = 1000, level: float = 0.95) -> tuple[float, float] | None:
    """A percentile bootstrap interval for `statistic`, resampling items with replacement (the same seed and data
    give the same interval). A `Statistic` (alpha_statistic, cohen_statistic, FLEISS_KAPPA, PERCENT_AGREEMENT) is
    resampled in one vectorised step over the items it uses; any other callable is recomputed on each resample of the
    items with ≥ 2 judgments (slow: for small data). Resamples where the statistic is undefined are skipped; None when
    the point estimate is undefined or fewer than half the resamples give a value."""
    if isinstance(statistic, Statistic):
        return estimate(units, statistic, seed=seed, resamples=resamples, level=level).interval
    rng = np.random.default_rng(seed)
    if statistic(units) is None:
        return None
    return _percentile_interval(_generic_values(units, statistic, resamples, rng), resamples, level)


@dataclass(frozen=True)
class Estimate:
    value: float | None
    interval: tuple[float, float] | None
    items: int  # the items the statistic is computed over (for Cohen's κ: the items both reviewers judged)


def estimate(units: Units, statistic: Statistic, *, seed: int = DEFAULT_SEED, resamples: int = 1000,
             level: float = 0.95) -> Estimate:
    """The statistic, its bootstrap interval (as bootstrap_interval gives it) and its number of items, preparing the
    per-item rows once."""
    prepared = statistic.prepare(units)
    value = prepared.value()
    if value is None:
        return Estimate(None, None, len(prepared.features))
    rng = np.random.default_rng(seed)
    if prepared.weighted is not None:
        items = len(prepared.features)
        values = np.array([prepared.weighted(np.bincount(rng.integers(0, items, items), minlength=items).astype(float))
                           for _ in range(resamples)])
    else:
        values = prepared.finish(_resampled_sums(prepared, resamples, rng))
    return Estimate(value, _percentile_interval(values, resamples, level), len(prepared.features))


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
    if value >= 0.667:
        return "Moderate agreement beyond chance: tentative conclusions only"
    if value > 0:
        return "Weak agreement beyond chance: not reliable"
    return "No agreement beyond chance"


def reading(value: float | None, items: int, minimum: int = MIN_ITEMS, *,
            metric: Literal["alpha", "kappa", "percent"] = "alpha",
            interval: tuple[float, float] | None = None) -> str:
    """A plain-words reading that does not oversell the value.

    α follows Krippendorff (2004, Content Analysis, §11.4.4; 2011): rely on data with α ≥ .800, draw only tentative
    conclusions from .667 ≤ α < .800, and do not rely on data below .667; α near 0 (above −.05) is no better than
    chance, clearly below it reviewers differ systematically. κ uses the same cut-offs, worded as agreement beyond
    chance (Landis & Koch's more generous labels, "substantial" from .61, are avoided on purpose). Percent agreement
    is only described, since it ignores chance. With an `interval` whose lower end falls in a lower band, the reading
    says so. Below `minimum` items: "Not enough data (n items; at least 10 needed)"."""
    if items < minimum:
        return f"Not enough data ({items} item{'' if items == 1 else 's'}; at least {minimum} needed)"
    if value is None:
        return "Not defined for these judgments (for example, every judgment is the same value)"
    if metric == "percent":
        return f"{value:.0%} of pairs of judgments agree (not corrected for chance)"
    words = _kappa_words if metric == "kappa" else _alpha_words
    text = words(value)
    if interval is not None and words(interval[0]) != text:
        text += f", but the interval reaches down to {interval[0]:.3f}"
    return text
