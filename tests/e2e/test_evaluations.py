"""Evaluations in the browser: an admin finds the judge on the Evaluations page, maps it to the scorer people use,
reads how often it was right, and opens a trace where judge and people disagree in one click, where the trace page
shows the judge's verdict and reasoning. Insights shows the same comparison."""
from __future__ import annotations

import pytest

from reviewapp.services import evaluations
from tests.support import judge_data

pytestmark = pytest.mark.e2e


def test_an_admin_maps_a_judge_to_a_scorer_and_reads_how_often_it_was_right(page, live_server, sign_in, screenshot,
                                                                            factory):
    project = factory.project("Judged")
    ann = factory.user(email="ann@example.com", project=project, role="admin", first_name="Ann", last_name="Lee")
    ben = factory.user(email="ben@example.com", project=project, role="reviewer", first_name="Ben", last_name="Ode")
    seeded = judge_data.build(project, ann, ben, traces=30, mapped=False)
    agreed = sum(seeded.judge[t] == seeded.people[t] for t in seeded.people)

    sign_in(page, ann, f"/projects/{project.id}/evaluations/")
    table = page.get_by_test_id("evaluations")
    cells = table.get_by_role("row").nth(1).locator("td")
    assert cells.nth(7).inner_text() == "1"  # the skipped run shows as skipped, not as a fail
    table.get_by_role("link", name="Correctness").click()
    page.get_by_label("Compare with scorer").select_option(label="Correct")
    page.get_by_role("button", name="Save").click()
    assert "Evaluation settings saved" in page.locator(".flash, [role=status], .alert").first.inner_text()

    card = page.get_by_test_id("judge-agreement")
    assert card.get_by_test_id("judge-accuracy").inner_text() == f"{agreed / len(seeded.people):.0%}"
    confusion = card.get_by_test_id("confusion")
    cells = [int(c) for c in confusion.locator("td").all_inner_texts()]
    assert sum(cells) == len(seeded.people) and cells[0] + cells[3] == agreed
    screenshot(page, "evaluation-judge-against-people")

    disagreement = card.get_by_test_id("judge-disagreements").get_by_role("link").first
    trace_id = disagreement.inner_text()
    disagreement.click()
    page.wait_for_url(f"**/traces/{trace_id}#evaluations")
    section = page.get_by_test_id("trace-evaluations")
    assert section.is_visible() and f"Judged {trace_id}." in section.inner_text()
    assert section.locator(".passfail").first.inner_text().strip().endswith(seeded.judge[trace_id].capitalize())

    page.goto(live_server(f"/projects/{project.id}/insights/"))
    insight = page.locator("#judges").get_by_test_id("judge-agreement")
    insight.scroll_into_view_if_needed()
    assert insight.get_by_test_id("judge-accuracy").inner_text() == f"{agreed / len(seeded.people):.0%}"
    screenshot(page, "insights-judges")


def test_the_traces_list_filters_to_failed_evaluations(page, live_server, sign_in, factory):
    project = factory.project("Filtered")
    ann = factory.user(email="ann2@example.com", project=project, role="admin")
    ben = factory.user(email="ben2@example.com", project=project, role="reviewer")
    judge_data.build(project, ann, ben, traces=10)
    failed = evaluations.list_evaluations(project.id)[0].counts["fail"]
    sign_in(page, ann, f"/projects/{project.id}/traces/")
    page.get_by_label("Evaluation failed").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**evaluation_failed=y**")
    cells = page.get_by_test_id("evaluation-cell").locator("a").all()
    assert len(cells) == failed > 0
    assert all(c.get_attribute("title") == "1 failed, 0 passed" and c.inner_text().startswith("✗") for c in cells)
