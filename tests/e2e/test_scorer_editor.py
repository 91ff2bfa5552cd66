"""The scorer editor's passing rules in Chromium: a numeric rule and a categorical rule set by hand, the preview
following every edit (in services.passing.describe's words), then the saved rules on the scorers list and as
changes in the version history."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reviewapp.services import passing, scorers

pytestmark = pytest.mark.e2e


def shows_rule(page, words: str) -> None:
    expect(page.locator("[data-rule-preview]")).to_have_text(words)


def test_an_admin_sets_a_numeric_and_a_categorical_passing_rule(page, live_server, sign_in, factory, screenshot):
    project = factory.project("Rules")
    admin = factory.user(project=project, role="admin")
    rating = scorers.create_definition(project.id, admin, name="Rating", kind="numeric",
                                       config={"min": 1, "max": 5, "step": 1})
    tone = scorers.create_definition(project.id, admin, name="Tone", kind="categorical", config={"options": [
        {"key": "great", "label": "Great"}, {"key": "good", "label": "Good"}, {"key": "bad", "label": "Bad"}]})
    base = f"/projects/{project.id}/scorers/"

    # Numeric: neutral until an operator and a threshold are given; the preview follows each keystroke.
    sign_in(page, admin, f"{base}{rating.id}/")
    shows_rule(page, "Neutral: no pass or fail")
    assert page.get_by_label("Threshold").is_disabled()
    page.get_by_label("Passes at or above").check()
    page.get_by_label("Threshold").fill("4")
    shows_rule(page, "≥ 4 passes")
    page.get_by_label("Passes at or below").check()
    shows_rule(page, "≤ 4 passes")
    page.get_by_label("Threshold").fill("3.5")
    shows_rule(page, "≤ 3.5 passes")
    page.get_by_label("Passes at or above").check()
    page.get_by_label("Threshold").fill("4")
    shows_rule(page, passing.describe("numeric", {"passing_rule": {"operator": "gte", "threshold": 4}}))
    screenshot(page, "scorer-editor-numeric-rule")
    page.get_by_role("button", name="Save as version 2").click()
    page.wait_for_url(live_server(f"{base}{rating.id}/"))
    assert "Saved as version 2." in page.locator(".flash").inner_text()
    shows_rule(page, "≥ 4 passes")

    # Categorical: tick the options that pass; the preview names them in the scorer's order.
    page.goto(live_server(f"{base}{tone.id}/"))
    shows_rule(page, "Neutral: no pass or fail")
    page.get_by_label("Option 2 passes").check()
    shows_rule(page, "Good passes")
    page.get_by_label("Option 1 passes").check()
    shows_rule(page, "Great and Good pass")
    page.get_by_label("Label of option 1").fill("Superb")
    shows_rule(page, "Superb and Good pass")
    page.get_by_role("button", name="Move option 2 up").click()  # a moved row keeps its tick
    shows_rule(page, "Good and Superb pass")
    page.get_by_role("button", name="Move option 1 down").click()
    shows_rule(page, "Superb and Good pass")
    screenshot(page, "scorer-editor-categorical-rule")
    page.get_by_role("button", name="Save as version 2").click()
    page.wait_for_url(live_server(f"{base}{tone.id}/"))
    assert page.get_by_label("Option 1 passes").is_checked() and page.get_by_label("Option 2 passes").is_checked()
    assert not page.get_by_label("Option 3 passes").is_checked()

    # The list shows each rule; the history shows the change like any other.
    page.goto(live_server(base))
    rules = dict(zip(page.locator(".scorer-link").all_inner_texts(),
                     page.locator("td.scorer-rule").all_inner_texts(), strict=True))
    assert rules == {"Rating": "≥ 4 passes", "Tone": "Superb and Good pass"}
    page.goto(live_server(f"{base}{rating.id}/versions"))
    assert "Passing rule: none (neutral) → ≥ 4 passes." in page.locator("ul.changes").first.inner_text()
    page.goto(live_server(f"{base}{tone.id}/versions"))
    newest = page.locator("ul.changes").first.inner_text()
    assert "Relabelled great: “Great” → “Superb”." in newest
    assert "Passing rule: none (neutral) → Superb and Good pass." in newest
    screenshot(page, "scorer-versions-rule-change")


def test_the_boolean_rule_speaks_in_the_scorers_labels(page, live_server, sign_in, factory):
    project = factory.project("Rules")
    admin = factory.user(project=project, role="admin")
    sign_in(page, admin, f"/projects/{project.id}/scorers/new?kind=boolean")
    shows_rule(page, "Yes means pass")
    page.get_by_label("Label for yes").fill("Broken")
    page.get_by_label("Label for no").fill("Fine")
    assert page.get_by_label("Broken means pass").is_checked()
    page.get_by_label("Fine means pass").check()
    shows_rule(page, "Fine means pass")
    page.get_by_label("Name").fill("Broken?")
    page.get_by_role("button", name="Create scorer").click()
    page.wait_for_url(lambda u: "/new" not in u)
    definition, _ = scorers.list_definitions(project.id)
    assert definition[0].live().config == {"true_is_failure": True, "true_label": "Broken", "false_label": "Fine"}
