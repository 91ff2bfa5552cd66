"""services.reliability: the units it builds per scorer kind, calibration against final reviews, the items that split
reviewers most, and a fixed number of queries however many judgments."""
from __future__ import annotations

import pytest

from reviewapp.extensions import db
from reviewapp.services import reliability
from tests.support import agreement_data, judgment_rows


@pytest.fixture
def triple(factory):
    return agreement_data.build(factory)


def by_name(answer, name):
    return next(v for v in answer.versions if v.name == name)


def test_units_take_the_form_of_each_scorer_kind(triple):
    answer = reliability.queue_agreement(triple.project.id, triple.queue)
    assert [v.name for v in answer.versions] == ["Quality", "Rating", "Safe", "Tags"]
    ann, bob, cat = triple.ann.id, triple.bob.id, triple.cat.id
    quality = by_name(answer, "Quality")
    assert quality.level == "nominal"
    assert {"t1": {ann: "good", bob: "good", cat: "good"}} == {"t1": quality.units[0]}
    assert sorted(len(u) for u in quality.units) == [2, 3, 3, 3]
    tags = by_name(answer, "Tags")
    assert (tags.level, tags.units) == ("masi", [{ann: frozenset({"rude", "long"}), bob: frozenset({"rude"}),
                                                  cat: frozenset({"rude", "long"})}])
    safe = by_name(answer, "Safe")
    assert (safe.level, safe.units) == ("nominal", [{ann: "true", bob: "false", cat: "true"}])
    rating = by_name(answer, "Rating")
    assert (rating.level, rating.units) == ("interval", [{ann: 7.0, bob: 2.5, cat: 7.0}])


def test_ordinal_on_request_for_numbers_and_single_choice(triple):
    answer = reliability.queue_agreement(triple.project.id, triple.queue, ordinal=True)
    assert by_name(answer, "Rating").level == "ordinal"
    assert by_name(answer, "Quality").level == "ordinal"
    assert by_name(answer, "Safe").level == "nominal"
    assert by_name(answer, "Tags").level == "masi"


def test_percent_agreement_counts_items_and_judgments(triple):
    quality = by_name(reliability.queue_agreement(triple.project.id, triple.queue), "Quality")
    assert (quality.percent.items, quality.percent.judgments) == (4, 11)
    assert quality.percent.value == pytest.approx((1 + 1 / 3 + 0 + 1) / 4)


def test_one_scorer_and_version(triple):
    answer = reliability.queue_agreement(triple.project.id, triple.queue, definition_id=triple.safe.id, version=1)
    assert [(v.name, v.version) for v in answer.versions] == [("Safe", 1)]
    assert reliability.queue_agreement(triple.project.id, triple.queue, definition_id=triple.safe.id,
                                       version=2).versions == []


def test_calibration_against_final_reviews_and_overruled_counts(triple):
    quality = by_name(reliability.queue_agreement(triple.project.id, triple.queue), "Quality")
    rows = {c.reviewer.id: (c.judgments, c.compared, c.agreed, c.adjudicated, c.overruled)
            for c in quality.calibration}
    assert rows == {
        triple.ann.id: (4, 2, 1, 1, 1),  # t1 agrees; overruled on t2
        triple.bob.id: (4, 2, 2, 1, 0),  # the adjudicator took Bob's answer on t2
        triple.cat.id: (3, 2, 1, 1, 1),
    }
    assert [c.reviewer.name for c in quality.calibration] == ["Ann Admin", "Bob Baker", "Cat Cole"]
    assert next(c for c in quality.calibration if c.reviewer.id == triple.bob.id).agreement == 1.0


def test_the_matrix_has_every_pair_with_its_common_items(triple):
    quality = by_name(reliability.queue_agreement(triple.project.id, triple.queue), "Quality")
    ann, bob, cat = triple.ann.id, triple.bob.id, triple.cat.id
    assert quality.pair(ann, bob).items == 4
    assert quality.pair(cat, ann).items == 3
    assert quality.pair(bob, cat).items == 3
    rows = reliability.matrix_rows(quality)
    assert rows[0] == ["reviewer", "kappa Ann Admin", "items Ann Admin", "kappa Bob Baker", "items Bob Baker",
                       "kappa Cat Cole", "items Cat Cole"]
    assert [row[0] for row in rows[1:]] == ["Ann Admin", "Bob Baker", "Cat Cole"]
    assert rows[1][1:3] == ["", ""] and rows[1][4] == "4" and rows[2][6] == "3"


def test_disagreements_most_distinct_first_linked_to_their_decision(triple):
    quality = by_name(reliability.queue_agreement(triple.project.id, triple.queue), "Quality")
    assert [(d.trace_id, d.distinct, d.needs_decision) for d in quality.disagreements] == [
        ("t3", 3, True), ("t2", 2, False)]
    assert quality.disagreements[0].item_id == triple.items["t3"].id
    assert quality.disagreements[0].answers == [("Ann Admin", "ok"), ("Bob Baker", "bad"), ("Cat Cole", "good")]
    rating = by_name(reliability.queue_agreement(triple.project.id, triple.queue), "Rating")
    assert [(d.trace_id, d.spread) for d in rating.disagreements] == [("t1", 4.5)]


def test_a_fixed_number_of_queries_however_many_judgments(triple, factory, count_queries):
    project_id, queue = triple.project.id, triple.queue
    db.session.refresh(queue)
    with count_queries() as small:
        reliability.queues_agreement(project_id, [queue])
    for n in range(12):
        row = judgment_rows.item(triple.queue, f"more-{n}")
        for who in (triple.ann, triple.bob, triple.cat):
            judgment_rows.judge(row, who, [{"definition_id": str(triple.quality.id),
                                            "categorical_values": ["good" if n % 3 else "bad"]}])
    db.session.refresh(queue)
    with count_queries() as large:
        reliability.queues_agreement(project_id, [queue])
    assert len(small) == len(large) == 5


def test_only_queues_with_several_reviewers_are_listed(triple, factory):
    judgment_rows.queue(triple.project.id, "Solo", per_trace=1)
    assert [q.name for q in reliability.several_reviewer_queues(triple.project.id)] == ["Triple"]


def test_the_cycle_collector_is_resumed_as_it_was(triple):
    import gc

    reliability.queue_agreement(triple.project.id, triple.queue)
    assert gc.isenabled()
    gc.disable()
    try:
        reliability.queue_agreement(triple.project.id, triple.queue)
        assert not gc.isenabled()
    finally:
        gc.enable()
