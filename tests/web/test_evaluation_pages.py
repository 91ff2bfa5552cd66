"""The Evaluations page, an admin's settings on an evaluation, the trace page's Evaluations section and the traces
list's column and "evaluation failed" filter, as a signed-in user sees them."""
from __future__ import annotations

import pytest

from reviewapp.services import evaluations
from reviewapp.services.ingest.posthog import ingest_batch
from tests.ingest.builders import generation
from tests.support.judge_data import judge_event


@pytest.fixture
def project(factory):
    return factory.project()


@pytest.fixture
def judged(project):
    ingest_batch(project.id, [
        generation("good", 0), judge_event("good", 10, True),
        generation("bad", 1), judge_event("bad", 11, False, **{
            "$ai_evaluation_reasoning": "Cites an order status the tool never returned.",
            "$ai_total_cost_usd": 0.0042}),
        generation("skipped", 2), judge_event("skipped", 12, False, skipped=True,
                                              **{"$ai_evaluation_skip_reason": "trace_too_large"}),
        generation("plain", 3),
    ])
    return evaluations.list_evaluations(project.id)[0].evaluation


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_evaluations_page_counts_each_outcome(client, token, project, judged):
    html = text(client.get(f"/projects/{project.id}/evaluations/"))
    assert "Correctness" in html and "llm_judge · boolean" in html
    assert "50%" in html  # one pass, one fail; the skipped run is left out of the rate


def test_the_trace_page_shows_the_result_reasoning_model_and_cost_and_a_skip_as_skipped(client, token, project,
                                                                                         judged):
    html = text(client.get(f"/projects/{project.id}/traces/bad"))
    assert 'id="evaluations"' in html and "Cites an order status the tool never returned." in html
    assert "judge gpt-5-mini" in html and "$0.0042" in html and "✗</span> Fail" in html
    skipped = text(client.get(f"/projects/{project.id}/traces/skipped"))
    assert "Skipped</span>" in skipped and "skipped: trace too large" in skipped and "Fail</span>" not in skipped
    assert 'id="evaluations"' not in text(client.get(f"/projects/{project.id}/traces/plain"))


def test_the_traces_list_has_an_evaluations_column_and_a_failed_filter(client, token, project, judged):
    html = text(client.get(f"/projects/{project.id}/traces/"))
    assert 'title="1 failed, 0 passed"' in html and 'title="1 passed"' in html
    failed = text(client.get(f"/projects/{project.id}/traces/?evaluation_failed=y"))
    assert "/traces/bad" in failed and "/traces/good" not in failed and "/traces/skipped" not in failed


def test_an_admin_makes_the_judge_a_detector_and_maps_it_to_a_scorer(client, token, project, judged, factory,
                                                                     admin):
    from reviewapp.services import scorers

    scorer = scorers.create_definition(project.id, admin, name="Correct", kind="boolean", config={})
    response = client.post(f"/projects/{project.id}/evaluations/{judged.id}", data={
        "csrf_token": token, "polarity": "true_fails", "operator": "", "threshold": "", "passing_labels": "",
        "scorer": str(scorer.id)})
    assert response.status_code == 302
    html = text(client.get(f"/projects/{project.id}/evaluations/{judged.id}"))
    assert "reads: true is a failure" in html and "Judge against people" in html
    # The stored results are read again: the false verdict passes now.
    failed = text(client.get(f"/projects/{project.id}/traces/?evaluation_failed=y"))
    assert "/traces/good" in failed and "/traces/bad" not in failed


def test_a_bad_rule_is_refused_beside_its_field(client, token, project, judged):
    response = client.post(f"/projects/{project.id}/evaluations/{judged.id}", data={
        "csrf_token": token, "polarity": "true_passes", "operator": "gte", "threshold": "high"})
    assert response.status_code == 400
    assert "Enter a number for the threshold." in response.get_data(as_text=True)


def test_a_viewer_sees_the_settings_but_cannot_change_them(client, login, factory, project, judged):
    token = login(factory.member(project, "viewer"))
    html = text(client.get(f"/projects/{project.id}/evaluations/{judged.id}"))
    assert 'data-testid="evaluation-settings"' not in html
    assert client.post(f"/projects/{project.id}/evaluations/{judged.id}",
                       data={"csrf_token": token, "polarity": "true_fails"}).status_code == 403
