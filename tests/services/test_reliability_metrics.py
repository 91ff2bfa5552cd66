"""services.reliability_metrics, checked against reference implementations (the krippendorff package, statsmodels'
fleiss_kappa, scikit-learn's cohen_kappa_score, NLTK's masi_distance and AnnotationTask) on seeded random data, and
against the worked examples of Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability"."""
import math

import krippendorff
import numpy as np
import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import masi_distance as nltk_masi
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from reviewapp.services import reliability_metrics as rm

NAN = float("nan")

# Krippendorff (2011), section C: four observers, twelve units, nominal data with missing values (α = 0.743);
# the same data read as interval values gives α = 0.849 and as ordinal 0.815 (the krippendorff package's tests).
PAPER = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]
# Section A: binary data, two observers, no missing data (α = 0.095).
BINARY = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]


def units_from(matrix, convert=float):
    """Reviewer × item matrix (NaN missing) -> units, reviewer ids 1.."""
    return [{reviewer + 1: convert(row[item]) for reviewer, row in enumerate(matrix) if not math.isnan(row[item])}
            for item in range(len(matrix[0]))]


def as_label(value):
    return f"c{int(value)}"


def random_matrix(seed, reviewers=4, items=30, categories=4, missing=0.2):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, categories, size=items)
    matrix = np.where(rng.random((reviewers, items)) < 0.6, truth, rng.integers(0, categories, size=(reviewers, items)))
    return np.where(rng.random((reviewers, items)) < missing, np.nan, matrix.astype(float))


# --- the worked examples -------------------------------------------------------------------------------------------

def test_the_papers_nominal_example_with_missing_data_gives_0_743():
    assert round(rm.krippendorff_alpha(units_from(PAPER, as_label), "nominal"), 3) == 0.743


def test_the_papers_example_as_interval_and_ordinal_values():
    assert round(rm.krippendorff_alpha(units_from(PAPER), "interval"), 3) == 0.849
    assert round(rm.krippendorff_alpha(units_from(PAPER), "ordinal"), 3) == 0.815


def test_the_papers_binary_two_observer_example_gives_0_095():
    assert round(rm.krippendorff_alpha(units_from(BINARY, as_label), "nominal"), 3) == 0.095


def test_ordinal_ranks_come_from_the_order_given_not_from_the_labels():
    words = {1: "poor", 2: "fair", 3: "good", 4: "great", 5: "superb"}
    labelled = units_from(PAPER, lambda v: words[int(v)])
    order = ["poor", "fair", "good", "great", "superb"]
    assert rm.krippendorff_alpha(labelled, "ordinal", order) == pytest.approx(0.815, abs=5e-4)
    # Alphabetical order would rank them differently, and give a different α.
    assert rm.krippendorff_alpha(labelled, "ordinal", sorted(order)) != pytest.approx(0.815, abs=5e-3)


def test_a_value_outside_the_order_is_refused_with_its_name():
    with pytest.raises(ValueError, match="superb"):
        rm.krippendorff_alpha([{1: "good", 2: "superb"}], "ordinal", ["poor", "good"])


# --- seeded random data against the reference implementations ------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("level", ["nominal", "interval", "ordinal"])
def test_alpha_matches_the_krippendorff_package(seed, level):
    matrix = random_matrix(seed, categories=3 + seed % 4)
    units = units_from(matrix, as_label if level == "nominal" else float)
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
    assert rm.krippendorff_alpha(units, level) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_masi_alpha_matches_nltks_annotation_task(seed):
    rng = np.random.default_rng(seed)
    options = ["a", "b", "c", "d"]
    units = []
    for _ in range(25):
        base = frozenset(o for o in options if rng.random() < 0.5) or frozenset({"a"})
        unit = {}
        for reviewer in range(1, 4):
            if rng.random() < 0.15:
                continue  # missing
            picked = base if rng.random() < 0.5 else frozenset(o for o in options if rng.random() < 0.4)
            unit[reviewer] = picked or frozenset({"b"})
        units.append(unit)
    task = AnnotationTask(data=[(str(r), str(i), v) for i, unit in enumerate(units) for r, v in unit.items()],
                          distance=nltk_masi)
    assert rm.krippendorff_alpha(units, "masi") == pytest.approx(task.alpha(), abs=1e-9)


def test_masi_distance_is_nltks():
    rng = np.random.default_rng(7)
    for _ in range(200):
        first = frozenset(o for o in "abcde" if rng.random() < 0.5) or frozenset("a")
        second = frozenset(o for o in "abcde" if rng.random() < 0.5) or frozenset("e")
        assert rm.masi_distance(first, second) == pytest.approx(nltk_masi(first, second))
    assert rm.masi_distance(frozenset(), frozenset()) == 0.0  # NLTK divides by zero here


@pytest.mark.parametrize("seed", range(8))
def test_cohen_kappa_matches_scikit_learn_for_every_pair(seed):
    matrix = random_matrix(seed, reviewers=3, items=40, categories=2 + seed % 3)
    units = units_from(matrix, as_label)
    pairs = rm.pairwise_cohen(units)
    assert [(p.a, p.b) for p in pairs] == [(1, 2), (1, 3), (2, 3)]
    for pair in pairs:
        both = ~np.isnan(matrix[pair.a - 1]) & ~np.isnan(matrix[pair.b - 1])
        expected = cohen_kappa_score(matrix[pair.a - 1][both], matrix[pair.b - 1][both])
        assert pair.items == int(both.sum())
        assert pair.value == pytest.approx(expected, abs=1e-9)
        single = rm.cohen_kappa(units, pair.a, pair.b)
        assert (single.items, single.value) == (pair.items, pytest.approx(expected, abs=1e-9))


@pytest.mark.parametrize("seed", range(6))
def test_fleiss_kappa_matches_statsmodels(seed):
    matrix = random_matrix(seed, reviewers=3 + seed % 3, items=40, categories=3, missing=0.0)
    table, _ = aggregate_raters(matrix.T.astype(int))
    assert rm.fleiss_kappa(units_from(matrix, as_label)) == pytest.approx(sm_fleiss(table), abs=1e-9)


def test_fleiss_kappa_needs_the_same_number_of_judgments_on_every_item():
    units = [{1: "a", 2: "a", 3: "b"}, {1: "a", 2: "b"}] * 10
    assert rm.fleiss_kappa(units) is None
    # Items judged once are not among the items with two judgments, so they do not make the counts unequal.
    assert rm.fleiss_kappa([{1: "a", 2: "a"}, {1: "b", 2: "b"}, {1: "a", 2: "b"}, {1: "a"}]) is not None


def test_percent_agreement_averages_the_share_of_agreeing_pairs_per_item():
    units = [
        {1: "a", 2: "a", 3: "a"},  # 3 of 3 pairs agree
        {1: "a", 2: "a", 3: "b"},  # 1 of 3
        {1: "a", 2: "b"},          # 0 of 1
        {1: "a"},                  # one judgment: not counted
    ]
    result = rm.percent_agreement(units)
    assert result.value == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert (result.items, result.judgments) == (3, 8)


# --- edge cases: defined answers, never an exception -------------------------------------------------------------

EVERYONE_SAYS_YES = [{1: "true", 2: "true", 3: "true"} for _ in range(20)]


@pytest.mark.parametrize("level", ["nominal", "masi", "interval", "ordinal"])
def test_one_value_used_by_everyone_leaves_alpha_undefined(level):
    value = {"nominal": "true", "masi": frozenset({"x"}), "interval": 3.0, "ordinal": 3.0}[level]
    units = [{1: value, 2: value} for _ in range(20)]
    assert rm.krippendorff_alpha(units, level) is None
    assert rm.bootstrap_interval(units, rm.alpha_statistic(level)) is None


def test_one_value_used_by_everyone_agrees_fully_but_has_no_kappa():
    assert rm.percent_agreement(EVERYONE_SAYS_YES).value == 1.0
    assert rm.fleiss_kappa(EVERYONE_SAYS_YES) is None
    assert [p.value for p in rm.pairwise_cohen(EVERYONE_SAYS_YES)] == [None, None, None]
    assert rm.cohen_kappa(EVERYONE_SAYS_YES, 1, 2) == rm.Pairwise(1, 2, None, 20)
    assert rm.reading(None, 20).startswith("Not defined")


@pytest.mark.parametrize("units", [
    [],  # no items
    [{1: "a"}, {1: "b"}, {1: "a"}],  # a single reviewer
    [{1: None, 2: None}, {}, {1: NAN}],  # every value missing
], ids=["no items", "single reviewer", "all missing"])
def test_without_two_judgments_on_any_item_everything_is_undefined(units):
    assert rm.percent_agreement(units) == rm.Agreement(None, 0, 0)
    assert rm.pairwise_cohen(units) == []
    assert rm.cohen_kappa(units, 1, 2) == rm.Pairwise(1, 2, None, 0)
    assert rm.fleiss_kappa(units) is None
    for level in ("nominal", "interval", "ordinal", "masi"):
        assert rm.krippendorff_alpha(units, level) is None
        assert rm.bootstrap_interval(units, rm.alpha_statistic(level)) is None
    assert rm.reading(None, 0) == "Not enough data (0 items; at least 10 needed)"


def test_a_single_item_gives_defined_values():
    units = [{1: "a", 2: "b", 3: "a"}]
    assert rm.krippendorff_alpha(units, "nominal") == pytest.approx(0.0)  # one unit: observed = expected
    assert rm.fleiss_kappa(units) is not None
    assert rm.bootstrap_interval(units, rm.alpha_statistic("nominal")) == (pytest.approx(0.0), pytest.approx(0.0))
    assert rm.reading(0.0, 1) == "Not enough data (1 item; at least 10 needed)"


# --- the bootstrap -------------------------------------------------------------------------------------------------

def typical_units(seed=3, items=200):
    return units_from(random_matrix(seed, reviewers=3, items=items, categories=4, missing=0.1), as_label)


@pytest.mark.parametrize("statistic", [
    rm.alpha_statistic("nominal"), rm.PERCENT_AGREEMENT, rm.cohen_statistic(1, 2),
], ids=repr)
def test_the_interval_is_reproducible_and_contains_the_estimate(statistic):
    units = typical_units()
    first = rm.bootstrap_interval(units, statistic)
    assert first == rm.bootstrap_interval(units, statistic, seed=rm.DEFAULT_SEED)
    assert first != rm.bootstrap_interval(units, statistic, seed=1)
    low, high = first
    assert low < statistic(units) < high
    assert 0.02 < high - low < 0.4  # 200 items: neither a point nor the whole scale


def test_fleiss_kappa_bootstraps_on_complete_data():
    units = units_from(random_matrix(5, reviewers=3, items=150, categories=3, missing=0.0), as_label)
    low, high = rm.bootstrap_interval(units, rm.FLEISS_KAPPA)
    assert low < rm.fleiss_kappa(units) < high


def test_a_wider_level_gives_a_wider_interval():
    units = typical_units()
    narrow = rm.bootstrap_interval(units, rm.alpha_statistic("nominal"), level=0.8)
    wide = rm.bootstrap_interval(units, rm.alpha_statistic("nominal"), level=0.99)
    assert wide[0] < narrow[0] and narrow[1] < wide[1]


@pytest.mark.parametrize("level", ["nominal", "interval", "ordinal", "masi"])
def test_resampling_by_item_weights_is_the_statistic_of_the_resampled_items(level):
    """The vectorised bootstrap sums weighted item rows; that must equal α recomputed on the resampled items."""
    convert = (lambda v: frozenset({as_label(v)})) if level == "masi" else as_label if level == "nominal" else float
    units = units_from(random_matrix(11, reviewers=3, items=40, categories=5), convert)
    pairable = [u for u in units if len(u) >= 2]
    prepared = rm.alpha_statistic(level).prepare(units)
    rng = np.random.default_rng(0)
    for _ in range(5):
        drawn = rng.integers(0, len(pairable), size=len(pairable))
        weights = np.bincount(drawn, minlength=len(pairable))
        vectorised = prepared.finish(weights[None, :] @ prepared.features)[0]
        assert vectorised == pytest.approx(rm.krippendorff_alpha([pairable[i] for i in drawn], level), abs=1e-9)


def test_any_callable_can_be_bootstrapped_item_by_item():
    units = typical_units(items=40)
    interval = rm.bootstrap_interval(units, lambda u: rm.krippendorff_alpha(u, "nominal"), resamples=200)
    assert interval == rm.bootstrap_interval(units, lambda u: rm.krippendorff_alpha(u, "nominal"), resamples=200)
    assert interval[0] < rm.krippendorff_alpha(units, "nominal") < interval[1]


def test_many_distinct_item_rows_fall_back_to_drawing_items():
    rng = np.random.default_rng(2)
    truth = rng.normal(size=5000)
    units = [{r: float(t + rng.normal(scale=0.5)) for r in (1, 2)} for t in truth]  # every row distinct
    low, high = rm.bootstrap_interval(units, rm.alpha_statistic("interval"), resamples=200)
    assert low < rm.krippendorff_alpha(units, "interval") < high


def test_estimate_gives_the_value_its_interval_and_items_at_once():
    units = typical_units()
    statistic = rm.cohen_statistic(1, 3)
    result = rm.estimate(units, statistic)
    assert result == rm.Estimate(statistic(units), rm.bootstrap_interval(units, statistic),
                                 rm.cohen_kappa(units, 1, 3).items)
    assert rm.estimate(EVERYONE_SAYS_YES, rm.alpha_statistic("nominal")) == rm.Estimate(None, None, 20)


@pytest.mark.parametrize("level", ["nominal", "interval", "ordinal", "masi"])
def test_alpha_and_its_interval_on_ten_thousand_items(level):
    """The resampling path for a large queue gives an interval around the estimate (how fast it runs is measured
    by benchmarks/agreement.py, not here)."""
    rng = np.random.default_rng(4)
    truth = rng.integers(1, 6, size=10_000)
    convert = {"nominal": str, "interval": float, "ordinal": float, "masi": lambda v: frozenset({str(v)})}[level]
    units = [{r: convert(int(t if rng.random() < 0.8 else rng.integers(1, 6))) for r in (1, 2, 3)} for t in truth]
    result = rm.estimate(units, rm.alpha_statistic(level))
    assert result.interval[0] < result.value < result.interval[1]
    assert result.items == 10_000


# --- reading -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,words", [
    (0.95, "Reliable enough to rely on"),
    (0.8, "Reliable enough to rely on"),
    (0.72, "Tentative conclusions only"),
    (0.5, "Not reliable"),
    (0.0, "Not reliable: no better than chance"),
    (-0.4, "Not reliable: reviewers systematically differ"),
])
def test_alpha_readings_follow_krippendorffs_thresholds(value, words):
    assert rm.reading(value, 50) == words


def test_kappa_readings_do_not_oversell():
    assert rm.reading(0.85, 50, metric="kappa") == "Strong agreement beyond chance"
    assert rm.reading(0.7, 50, metric="kappa") == "Moderate agreement beyond chance: tentative conclusions only"
    # Landis & Koch would call .65 "substantial"; here it is not enough to rely on.
    assert rm.reading(0.65, 50, metric="kappa") == "Weak agreement beyond chance: not reliable"
    assert rm.reading(-0.1, 50, metric="kappa") == "No agreement beyond chance"


def test_an_interval_reaching_a_lower_band_is_mentioned():
    assert rm.reading(0.82, 30, interval=(0.61, 0.93)) == (
        "Reliable enough to rely on, but the interval reaches down to 0.610")
    assert rm.reading(0.9, 30, interval=(0.85, 0.95)) == "Reliable enough to rely on"


def test_below_the_minimum_the_reading_says_how_many_items_there_are():
    assert rm.reading(0.99, 9) == "Not enough data (9 items; at least 10 needed)"
    assert rm.reading(0.99, 3, minimum=5) == "Not enough data (3 items; at least 5 needed)"
    assert rm.reading(0.5, 10, metric="percent") == "50% of pairs of judgments agree (not corrected for chance)"


def test_constant_decimals_are_no_variation_even_on_many_items():
    """Summing squares of 0.1 ten thousand times must not leave a rounding residue that passes for variation."""
    units = [{1: 0.1, 2: 0.1, 3: 0.1} for _ in range(10_000)]
    assert rm.krippendorff_alpha(units, "interval") is None
    shifted = units_from(random_matrix(2), lambda v: v / 10 + 1e6)  # far from zero, small differences
    assert rm.krippendorff_alpha(shifted, "interval") == pytest.approx(
        rm.krippendorff_alpha(units_from(random_matrix(2)), "interval"), abs=1e-6)


def test_ordinal_alpha_with_many_distinct_values_uses_mid_ranks_and_still_matches(monkeypatch):
    matrix = random_matrix(9, reviewers=3, items=60, categories=6)
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal")
    dense = rm.estimate(units_from(matrix), rm.alpha_statistic("ordinal"), resamples=300)
    monkeypatch.setattr(rm, "_ORDINAL_DENSE_LIMIT", 0)
    by_midranks = rm.estimate(units_from(matrix), rm.alpha_statistic("ordinal"), resamples=300)
    assert by_midranks.value == pytest.approx(expected, abs=1e-9) and dense.value == pytest.approx(expected, abs=1e-9)
    assert by_midranks.interval[0] < expected < by_midranks.interval[1]
    assert by_midranks.interval == pytest.approx(dense.interval, abs=0.08)  # other draws, same distribution
    rng = np.random.default_rng(0)
    continuous = [{r: float(rng.normal()) for r in (1, 2)} for _ in range(3000)]  # 6,000 distinct values
    assert rm.krippendorff_alpha(continuous, "ordinal") is not None


@pytest.mark.parametrize("name", ["percent", "fleiss", "cohen"])
def test_resampling_by_item_weights_matches_recomputing_the_other_statistics(name):
    missing = 0.0 if name == "fleiss" else 0.2
    units = units_from(random_matrix(12, reviewers=3, items=40, categories=3, missing=missing), as_label)
    statistic, used = {
        "percent": (rm.PERCENT_AGREEMENT, [u for u in units if len(u) >= 2]),
        "fleiss": (rm.FLEISS_KAPPA, units),
        "cohen": (rm.cohen_statistic(1, 2), [u for u in units if 1 in u and 2 in u]),
    }[name]
    prepared = statistic.prepare(units)
    assert len(prepared.features) == len(used)
    rng = np.random.default_rng(1)
    for _ in range(5):
        drawn = rng.integers(0, len(used), size=len(used))
        weights = np.bincount(drawn, minlength=len(used))
        assert prepared.finish(weights[None, :] @ prepared.features)[0] == pytest.approx(
            statistic([used[i] for i in drawn]), abs=1e-9)


def test_ordinal_alpha_on_a_fine_scale_with_few_items_matches_the_package():
    rng = np.random.default_rng(13)
    truth = rng.integers(0, 100, size=50)
    matrix = np.array([truth + rng.integers(-8, 9, size=50) for _ in range(3)], dtype=float)  # ~100 distinct values
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal")
    result = rm.estimate(units_from(matrix), rm.alpha_statistic("ordinal"), resamples=200)
    assert result.value == pytest.approx(expected, abs=1e-9)
    assert result.interval[0] < expected < result.interval[1]
