"""An admin sets a project up in Chromium: creates a multiple-choice and a numeric scorer with the config editor
(keys made from labels, rows added, moved and removed, a refused config fixed in place), edits the config into
version 2, archives one; adds traces from the traces list to a new queue and reads the per-trace report; creates
an API key and uses it over HTTP like curl; then a reviewer's review shows in Insights and in the CSV export."""
from __future__ import annotations

import csv
import io
import json
import re
import urllib.request

import pytest

from reviewapp.services import queue_items, queues
from tests.traces.helpers import chat_trace

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin_page(browser):
    """A page that accepts the confirmations destructive buttons ask for (and records them)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    confirmations: list[str] = []

    def on_dialog(dialog) -> None:
        assert dialog.type == "confirm", f"unexpected {dialog.type}: {dialog.message}"
        confirmations.append(dialog.message)
        dialog.accept()

    page.on("dialog", on_dialog)
    page.confirmations = confirmations
    yield page
    context.close()


def http(live_server, key: str, method: str, path: str, body: dict | None = None):
    """What `curl -H "Authorization: Bearer $KEY"` does."""
    request = urllib.request.Request(live_server(path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.load(response)


def option_rows(page) -> list[tuple[str, str]]:
    pairs = page.locator("[data-option-row]").evaluate_all(
        "rows => rows.map(r => [r.querySelector('[data-option-label]').value,"
        " r.querySelector('[data-option-key]').value])")
    return [tuple(pair) for pair in pairs]


def test_an_admin_sets_up_scorers_queues_and_keys_and_reads_the_results(admin_page, live_server, sign_in, factory,
                                                                       screenshot):
    page = admin_page
    project = factory.project("Support bot")
    admin = factory.user(email="admin@example.com", project=project, role="admin", first_name="Ada")
    reviewer = factory.user(email="rita@example.com", project=project, role="reviewer", first_name="Rita")
    for i in range(1, 5):
        chat_trace(project.id, f"chat-{i}", minutes=i, question=f"Question {i}: where is my parcel?")
    backlog = queues.create_queue(project.id, admin, "Backlog")
    queue_items.add_item(project.id, admin, backlog.id, "chat-3")
    pid = project.id

    # --- a multiple-choice scorer, built with the editor ---------------------------------------------
    sign_in(page, admin, f"/projects/{pid}/scorers/")
    page.get_by_text("No scorers yet.").wait_for()
    page.get_by_role("link", name="New scorer").click()
    page.get_by_role("link", name="Categorical").click()
    page.get_by_label("Name").fill("Issues")
    page.get_by_label("Description").fill("What is wrong with the answer, if anything.")
    page.get_by_label("Label of option 1").fill("Wrong facts")
    page.get_by_label("Label of option 2").fill("Too long!")
    page.get_by_label("Label of option 3").fill("Rude tone")
    assert option_rows(page)[:3] == [("Wrong facts", "wrong_facts"), ("Too long!", "too_long"),
                                     ("Rude tone", "rude_tone")]  # keys follow the labels
    page.get_by_role("button", name="+ Add rows").click()
    page.get_by_label("Label of option 4").fill("Off topic")
    page.get_by_role("button", name="Move option 4 up").click()
    page.get_by_role("button", name="Remove option 2").click()
    assert option_rows(page) == [("Wrong facts", "wrong_facts"), ("Off topic", "off_topic"),
                                 ("Rude tone", "rude_tone")]
    page.get_by_label("Multiple choice: one or more options").check()
    page.get_by_label("At least").fill("3")
    page.get_by_label("At most").fill("2")
    screenshot(page, "admin_scorer_new")
    page.get_by_role("button", name="Create scorer").click()
    # Refused beside the field, in the form's own words; everything typed is still there.
    page.get_by_text("“At most” cannot be less than “At least”.").wait_for()
    assert page.get_by_label("Name").input_value() == "Issues"
    assert option_rows(page)[:3] == [("Wrong facts", "wrong_facts"), ("Off topic", "off_topic"),
                                     ("Rude tone", "rude_tone")]
    screenshot(page, "admin_scorer_error")
    page.get_by_label("At least").fill("1")
    page.get_by_role("button", name="Create scorer").click()
    page.get_by_text("Scorer “Issues” created (version 1).").wait_for()

    # --- a numeric scorer ----------------------------------------------------------------------------
    page.goto(live_server(f"/projects/{pid}/scorers/new?kind=numeric"))
    page.get_by_label("Name").fill("Helpfulness")
    page.get_by_label("Minimum").fill("1")
    page.get_by_label("Maximum").fill("5")
    page.get_by_label("Step").fill("1")
    page.get_by_role("button", name="Create scorer").click()
    page.get_by_text("Scorer “Helpfulness” created (version 1).").wait_for()

    # --- edit the multiple-choice config: version 2 ---------------------------------------------------
    page.goto(live_server(f"/projects/{pid}/scorers/"))
    page.get_by_role("link", name="Issues").click()
    page.get_by_label("Label of option 1").fill("Wrong or made-up facts")  # its key stays: scores refer to it
    page.get_by_label("Label of option 4").fill("Unsafe")
    assert option_rows(page)[0] == ("Wrong or made-up facts", "wrong_facts")
    page.get_by_role("button", name="Save as version 2").click()
    page.get_by_text("Saved as version 2.").wait_for()
    screenshot(page, "admin_scorer_edit")
    page.get_by_role("link", name="Version history").click()
    page.get_by_text("Relabelled wrong_facts: “Wrong facts” → “Wrong or made-up facts”.").wait_for()
    assert page.get_by_text("Added option “Unsafe” (unsafe).").is_visible()
    screenshot(page, "admin_scorer_versions")

    # --- archive the numeric one ---------------------------------------------------------------------
    page.goto(live_server(f"/projects/{pid}/scorers/"))
    page.get_by_role("link", name="Helpfulness").click()
    page.get_by_role("button", name="Archive").click()
    page.get_by_text("“Helpfulness” is archived.").wait_for()
    assert page.confirmations and "Archive “Helpfulness”?" in page.confirmations[0]
    page.goto(live_server(f"/projects/{pid}/scorers/"))
    assert page.get_by_role("link", name="Issues").is_visible()
    assert page.get_by_role("link", name="Helpfulness").count() == 0
    screenshot(page, "admin_scorers_list")

    # --- traces into a new queue, with the per-trace report ------------------------------------------
    page.goto(live_server(f"/projects/{pid}/traces/"))
    for trace_id in ("chat-1", "chat-2", "chat-3"):
        page.locator(f'input[name="trace_ids"][value="{trace_id}"]').check()
    page.get_by_label("or a new queue").fill("Week 12")
    screenshot(page, "admin_traces_add_to_queue")
    page.locator(".add-to-queue").get_by_role("button", name="Add to queue").click()
    page.get_by_role("heading", name="Added 2 of 3 traces to “Week 12”").wait_for()
    rows = page.locator("table.table-curation tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))")
    assert sorted(rows) == [["chat-1", "Added", ""], ["chat-2", "Added", ""],
                            ["chat-3", "Skipped", "Pending in “Backlog” · open that queue"]]
    screenshot(page, "admin_curation_report")
    week12 = next(q for q, _ in queues.list_queues(pid)[0] if q.name == "Week 12")

    # --- an API key, used like curl ------------------------------------------------------------------
    page.goto(live_server(f"/projects/{pid}/settings/"))
    page.get_by_label("Label").fill("CI script")
    page.get_by_role("button", name="Create key").click()
    page.get_by_text("Copy it now: it is shown only this once.").wait_for()
    secret = page.locator("#api-key-secret").inner_text().strip()
    assert secret.startswith("phx_")
    screenshot(page, "admin_api_key_created")
    status, body = http(live_server, secret, "GET", f"/api/projects/{pid}/llm_analytics/review_queues/")
    assert status == 200
    assert {q["name"]: q["pending_item_count"] for q in body["results"]} == {"Backlog": 1, "Week 12": 2}
    page.get_by_role("link", name="back to settings").click()
    key_row = page.locator("table.table-keys tbody tr", has_text="CI script")
    assert "Never" not in key_row.inner_text() and "llm_analytics:read" in key_row.inner_text()
    screenshot(page, "admin_settings")

    # --- a reviewer reviews through the API; Insights and the CSV export show it ----------------------
    reviewer_key = factory.api_key(reviewer, "llm_analytics:read,llm_analytics:write")
    status, issues = http(live_server, reviewer_key, "GET",
                          f"/api/projects/{pid}/llm_analytics/score_definitions/?search=Issues")
    issues_id = issues["results"][0]["id"]
    status, saved = http(live_server, reviewer_key, "POST", f"/api/projects/{pid}/llm_analytics/trace_reviews/", {
        "trace_id": "chat-1", "queue_id": str(week12.id), "comment": "Invented a tracking number.",
        "scores": [{"definition_id": issues_id, "categorical_values": ["wrong_facts", "unsafe"]}]})
    assert status == 201 and saved["scores"][0]["definition_version"] == 2

    page.goto(live_server(f"/projects/{pid}/insights/"))
    scorer_card = page.locator("article.insight-scorer", has=page.get_by_role("heading", name="Issues"))
    assert "1 review" in scorer_card.inner_text()
    chart = scorer_card.locator(".chart-hbars")
    assert "Wrong or made-up facts 1" in chart.get_attribute("aria-label")
    assert "Unsafe 1" in chart.get_attribute("aria-label")
    queue_card = page.locator("article.insight-queue", has=page.get_by_role("link", name="Week 12"))
    assert re.search(r"Pending now\s+1\s+Added\s+2\s+Reviewed\s+1", queue_card.locator("dl.stats").inner_text(), re.I)
    reviewer_row = page.locator("table.table-reviewers tbody tr", has_text="Rita")
    assert reviewer_row.locator("td.num").first.inner_text() == "1"
    screenshot(page, "admin_insights")

    page.goto(live_server(f"/projects/{pid}/reviews/"))
    export = page.get_by_role("link", name="Export CSV")
    response = page.request.get(live_server(export.get_attribute("href")))  # the signed-in session's cookies
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text())))
    assert len(rows) == 1
    assert (rows[0]["trace_id"], rows[0]["reviewed_by"], rows[0]["comment"]) == (
        "chat-1", "rita@example.com", "Invented a tracking number.")
    assert rows[0]["Issues"] == "wrong_facts|unsafe"
