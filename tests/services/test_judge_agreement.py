"""The judge against people: on seeded data, the confusion matrix, accuracy, Cohen's κ, and precision and recall of
"fail" are scikit-learn's, against the final reviews and each reviewer; generation results roll up to the trace."""
from __future__ import annotations

import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, precision_score, recall_score

from reviewapp.services import accounts, evaluations, judge_agreement, reviews
from reviewapp.services.ingest.posthog import ingest_batch
from tests.support import judge_data, judgment_rows
from tests.support.judge_data import judge_event


@pytest.fixture
def people(factory):
    project = factory.project()
    ann = factory.user(project=project, role="admin", first_name="Ann", last_name="Lee")
    ben = factory.user(project=project, role="reviewer", first_name="Ben", last_name="Ode")
    return project, ann, ben


def assert_matches_sklearn(comparison: judge_agreement.Comparison, judge: dict, people: dict) -> None:
    traces = sorted(people)
    y_judge, y_people = [judge[t] for t in traces], [people[t] for t in traces]
    matrix = confusion_matrix(y_judge, y_people, labels=["pass", "fail"])  # rows: judge, columns: people
    assert [[comparison.cell(j, p) for p in ("pass", "fail")] for j in ("pass", "fail")] == matrix.tolist()
    assert comparison.traces == len(traces)
    assert comparison.accuracy == pytest.approx(accuracy_score(y_people, y_judge))
    assert comparison.kappa == pytest.approx(cohen_kappa_score(y_judge, y_people))
    assert comparison.precision_fail == pytest.approx(precision_score(y_people, y_judge, pos_label="fail"))
    assert comparison.recall_fail == pytest.approx(recall_score(y_people, y_judge, pos_label="fail"))
    low, high = comparison.interval
    assert low <= comparison.kappa <= high


def test_the_judge_against_the_final_reviews_and_each_reviewer_is_what_scikit_learn_computes(people):
    project, ann, ben = people
    seeded = judge_data.build(project, ann, ben)
    [answer] = judge_agreement.project_judge_agreement(project.id)
    assert (answer.scorer_name, answer.evaluation.name) == ("Correct", "Correctness")
    assert_matches_sklearn(answer.final, seeded.judge, seeded.people)
    assert 0.5 < answer.final.accuracy < 1  # the seeded judge is right about 80% of the time
    assert [c.against for c in answer.reviewers] == ["Ann Lee", "Ben Ode"]
    for comparison in answer.reviewers:
        own = seeded.by_reviewer[comparison.reviewer_id]
        assert_matches_sklearn(comparison, seeded.judge, own)
    # The disagreements are exactly the traces where judge and final review differ.
    assert {d.trace_id for d in answer.disagreements} == {
        t for t in seeded.people if seeded.people[t] != seeded.judge[t]}
    assert all(d.judge != d.people for d in answer.disagreements)


def test_a_skipped_or_unreviewed_result_is_left_out_and_an_unmapped_evaluation_not_compared(people):
    project, ann, ben = people
    seeded = judge_data.build(project, ann, ben, traces=10)
    ingest_batch(project.id, [judge_event("seeded-000", 900, True, name="Unmapped", key="other-judge")])
    [answer] = judge_agreement.project_judge_agreement(project.id)
    assert answer.final.traces == len(seeded.people)  # not seeded-skip, nor the 2 traces nobody reviewed
    assert "seeded-skip" not in {d.trace_id for d in answer.disagreements}


def test_generation_results_roll_up_to_the_trace_latest_per_generation_then_any_fail(people):
    project, ann, _ = people
    scorer = judge_data.build(project, ann, people[2], traces=0).scorer
    g1, g2 = judge_data.generation_uuid(), judge_data.generation_uuid()

    def on(generation: str, seconds: float, result: bool) -> dict:
        return judge_event("agent", seconds, result, **{"$ai_target_type": "generation_uuid",
                                                        "$ai_target_id": generation,
                                                        "$ai_target_event_id": generation})

    reviews.save_review(project.id, ann, trace_id="agent",
                        scores=[{"definition_id": str(scorer.id), "boolean_value": True}])
    ingest_batch(project.id, [on(g1, 1, True), on(g2, 2, False)])
    [answer] = judge_agreement.project_judge_agreement(project.id)
    assert answer.final.cell("fail", "pass") == 1  # one generation failed: the trace failed
    ingest_batch(project.id, [on(g2, 3, True)])  # that generation re-run, and passed
    [answer] = judge_agreement.project_judge_agreement(project.id)
    assert answer.final.cell("pass", "pass") == 1 and answer.final.traces == 1


def test_polarity_set_by_an_admin_rereads_the_stored_results(people):
    project, ann, ben = people
    seeded = judge_data.build(project, ann, ben, traces=20)
    before = judge_agreement.project_judge_agreement(project.id)[0].final
    evaluations.update_evaluation(project.id, seeded.evaluation.id, evaluations.Settings(
        true_is_failure=True, score_definition_id=seeded.scorer.id))
    after = judge_agreement.project_judge_agreement(project.id)[0].final
    # A detector: every verdict flips, so the matrix's rows swap.
    assert after.cell("pass", "pass") == before.cell("fail", "pass")
    assert after.cell("fail", "fail") == before.cell("pass", "fail")
    assert after.accuracy == pytest.approx(1 - before.accuracy)


def test_the_comparison_takes_a_fixed_number_of_queries(people, count_queries):
    project, ann, ben = people
    seeded = judge_data.build(project, ann, ben, traces=10)
    project_id = project.id
    with count_queries() as few:
        judge_agreement.project_judge_agreement(project_id)
    ingest_batch(project.id, [judge_event(f"more-{n}", n, n % 2 == 0) for n in range(30)])
    for n in range(10):
        reviews.save_review(project.id, ben, trace_id=f"more-{n}",
                            scores=[{"definition_id": str(seeded.scorer.id), "boolean_value": n % 3 == 0}])
    project_id = project.id
    with count_queries() as many:
        [answer] = judge_agreement.project_judge_agreement(project_id)
    assert answer.final.traces == len(seeded.people) + 10
    assert len(few) == len(many)



def test_blind_review_hides_from_a_member_the_people_side_of_a_trace_still_pending_for_them(people, factory):
    project, ann, ben = people
    seeded = judge_data.build(project, ann, ben)
    cleo = factory.user(project=project, role="reviewer", first_name="Cleo", last_name="Ray")
    blind = judgment_rows.queue(project.id, "Blind panel", per_trace=2, blind=True)
    pending = sorted(seeded.people)[:3]
    for trace_id in pending:  # back in a blind queue, Cleo has not judged them: their reviews are hidden from her
        judgment_rows.item(blind, trace_id)

    def compared(member=None) -> int:
        return judge_agreement.project_judge_agreement(project.id, visible_to=member)[0].final.traces

    everyone = compared()
    assert compared(accounts.membership_for(ann.id, project.id)) == everyone  # an admin sees everything
    assert compared(accounts.membership_for(cleo.id, project.id)) == everyone - len(pending)
