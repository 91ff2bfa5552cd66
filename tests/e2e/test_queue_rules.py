"""An admin writes "send 10% of traces whose judge failed to the Support queue" on the queue's page in Chromium;
traces and their judges' results then arrive through capture, and the failed ones in the rule's share show up in
the queue, counted beside the rule."""
from __future__ import annotations

import json
import urllib.request

import pytest

from reviewapp.services import queue_rules, queues
from tests.ingest.builders import generation
from tests.rules.helpers import ingest, judged

pytestmark = pytest.mark.e2e


def capture(live_server, token: str, events: list[dict]) -> None:
    """What a PostHog SDK does: POST a batch to /batch/ with the project's token."""
    body = json.dumps({"api_key": token, "batch": events}).encode()
    request = urllib.request.Request(live_server("/batch/"), data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def test_a_rule_written_in_the_ui_fills_the_queue_as_traces_arrive(page, live_server, sign_in, factory, screenshot):
    project = factory.project("Support bot")
    admin = factory.user(email="admin@example.com", project=project, role="admin", first_name="Ada")
    support = queues.create_queue(project.id, admin, "Support")
    ingest(project.id, [generation("earlier"), judged("earlier", True)])  # the judge is known to the form
    sign_in(page, admin, f"/projects/{project.id}/queues/{support.id}/")

    page.get_by_label("Rule name").fill("Judge failed")
    page.get_by_label("Evaluation", exact=True).select_option("correctness")
    page.get_by_label("Outcome").select_option("fail")
    page.get_by_label("Share of matches to add (%)").fill("ten")
    page.get_by_role("button", name="Add rule").click()
    share = page.locator(".field.has-error", has=page.get_by_label("Share of matches to add (%)"))
    assert "Enter a share between 0" in share.inner_text()  # refused beside the field, the rest kept
    assert page.get_by_label("Rule name").input_value() == "Judge failed"
    screenshot(page, "queue-rule-refused")
    page.get_by_label("Share of matches to add (%)").fill("10")
    page.get_by_role("button", name="Add rule").click()
    page.get_by_text("Rule “Judge failed” added").wait_for()
    row = page.locator('tr[data-rule="Judge failed"]')
    assert "10% of traces where evaluation correctness is fail" in row.inner_text()
    assert row.get_by_test_id("added").inner_text() == "0"

    trace_ids = [f"chat-{n:03}" for n in range(120)]
    capture(live_server, project.api_token, [generation(t) for t in trace_ids])
    capture(live_server, project.api_token, [judged(t, passed=n % 2 == 0) for n, t in enumerate(trace_ids)])
    [rule] = queue_rules.list_rules(project.id)[0]
    failed = [t for n, t in enumerate(trace_ids) if n % 2]
    expected = [t for t in failed if queue_rules.sampled_in(rule.id, t, 10)]
    assert 1 <= len(expected) < 20

    page.reload()
    assert row.get_by_test_id("added").inner_text() == str(len(expected))
    for trace_id in expected:
        page.locator(".table-items").get_by_role("link", name=trace_id).wait_for()
    assert page.locator(".table-items tbody tr").count() == len(expected)
    screenshot(page, "queue-rules")
    row.get_by_role("link", name="Judge failed").click()
    page.get_by_test_id("additions").wait_for()
    assert page.get_by_test_id("additions").locator("tbody tr").count() == len(expected)
    assert "as it arrived" in page.get_by_test_id("additions").inner_text()
