"""The evaluations API: the list, an admin's settings (the outcome re-read), a trace's results, the traces list's
filter and the judge against people, each as documented."""
from __future__ import annotations

from reviewapp.services.ingest.posthog import ingest_batch
from tests.ingest.builders import generation
from tests.support import judge_data
from tests.support.judge_data import judge_event


def test_list_patch_and_trace_results(api):
    ingest_batch(api.project_id, [generation("t1", 0), judge_event("t1", 5, True),
                                  generation("t2", 1), judge_event("t2", 6, False)])
    [listed] = api.get("evaluations/").get_json()["results"]
    assert (listed["name"], listed["results"], listed["counts"]["pass"], listed["pass_rate"]) == (
        "Correctness", 2, 1, 0.5)
    failed = api.get("traces/?evaluation_failed=true").get_json()["results"]
    assert [(row["trace_id"], row["evaluation_outcome"]) for row in failed] == [("t2", "fail")]
    changed = api.patch(f"evaluations/{listed['id']}/", {"true_is_failure": True}).get_json()
    assert (changed["true_is_failure"], changed["counts"]["fail"]) == (True, 1)
    assert [row["trace_id"] for row in api.get("traces/?evaluation_failed=true").get_json()["results"]] == ["t1"]
    [result] = api.get("traces/t1/evaluations/").get_json()["results"]
    assert (result["outcome"], result["boolean_result"], result["judge_model"]) == ("fail", True, "gpt-5-mini")


def test_bad_settings_are_refused_with_the_field_named(api):
    ingest_batch(api.project_id, [judge_event("t1", 5, True)])
    evaluation_id = api.get("evaluations/").get_json()["results"][0]["id"]
    for body, attr in (({"true_is_failure": "yes"}, "true_is_failure"),
                       ({"passing_rule": {"operator": "gt", "threshold": 1}}, "operator"),
                       ({"score_definition_id": "00000000-0000-0000-0000-000000000000"}, "score_definition_id"),
                       ({"name": "x"}, "name")):
        response = api.patch(f"evaluations/{evaluation_id}/", body)
        assert response.status_code == 400 and response.get_json()["attr"] == attr, body
    assert api.get("evaluations/999999/").status_code == 404


def test_judge_agreement_answers_the_comparison(api, factory):
    ben = factory.user(project=api.project, role="reviewer", first_name="Ben", last_name="Ode")
    seeded = judge_data.build(api.project, api.user, ben, traces=20)
    [answer] = api.get("judge_agreement/").get_json()["results"]
    final = answer["final"]
    agreed = sum(seeded.judge[t] == seeded.people[t] for t in seeded.people)
    assert final["traces"] == len(seeded.people)
    assert final["accuracy"] == agreed / len(seeded.people)
    assert final["confusion"]["judge_pass_people_pass"] + final["confusion"]["judge_fail_people_fail"] == agreed
    assert {d["trace_id"] for d in answer["disagreements"]} == {
        t for t in seeded.people if seeded.people[t] != seeded.judge[t]}
    assert api.get(f"judge_agreement/?evaluation_id={seeded.evaluation.id}").get_json()["results"] == [answer]
    assert api.get("judge_agreement/?evaluation_id=99999").status_code == 404
    assert api.get("judge_agreement/?other=1").get_json()["attr"] == "other"
