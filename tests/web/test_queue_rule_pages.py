"""The rules on a queue's page: an admin writes one in the form (refused beside its field, the input kept), it adds
traces as they arrive, it shows what it added and when, pauses and resumes, and backfills after a preview."""
from __future__ import annotations

import re

import pytest

from reviewapp.services import queue_rules
from tests.rules.helpers import added_by, call, ingest, judged
from tests.web.workbench import build


@pytest.fixture
def wb(factory):
    return build(factory, traces=1)


def text(response) -> str:
    return response.get_data(as_text=True)


def queue_url(wb) -> str:
    return f"/projects/{wb.project.id}/queues/{wb.queue.id}/"


def test_an_admin_writes_a_rule_and_watches_traces_arrive(client, login, wb):
    token = login(wb.admin)
    ingest(wb.project.id, [call("seen-before"), judged("seen-before", False)])  # the judge is now known
    page = text(client.get(queue_url(wb)))
    assert "New rule" in page and "Correctness (correctness)" in page
    response = client.post(queue_url(wb) + "rules/", data={
        "csrf_token": token, "name": "Judge failed", "evaluation": "correctness", "outcome": "fail",
        "sample_percent": "100", "daily_cap": ""})
    assert response.status_code == 302 and response.location.endswith("#rules")
    page = text(client.get(response.location))
    assert ("Rule “Judge failed” added: from now on it sends traces where evaluation correctness is fail to "
            "“Support answers”") in page
    ingest(wb.project.id, [call("new-1"), judged("new-1", False), call("new-2"), judged("new-2", True)])
    page = text(client.get(queue_url(wb)))
    row = re.search(r'<tr data-rule="Judge failed">.*?</tr>', page, re.S).group(0)
    assert re.search(r'data-testid="added">1<', row) and "Active" in row
    assert "new-1" in page and "new-2" not in page
    [rule] = queue_rules.list_rules(wb.project.id)[0]
    detail = text(client.get(f"{queue_url(wb)}rules/{rule.id}/"))
    assert "new-1" in detail and "as it arrived" in detail
    # the stored trace judged before the rule existed is the backfill's: previewed, then added
    assert "2 stored traces match" in detail and "1 not added, queued or reviewed yet" in detail
    assert "A backfill adds 1 now" in detail
    response = client.post(f"{queue_url(wb)}rules/{rule.id}/backfill", data={"csrf_token": token})
    assert "1 stored trace added" in text(client.get(response.location))
    assert added_by(rule) == ["new-1", "seen-before"]


def test_a_refused_rule_keeps_the_input_and_says_why_beside_the_field(client, login, wb):
    token = login(wb.admin)
    response = client.post(queue_url(wb) + "rules/", data={
        "csrf_token": token, "name": "Dear", "min_cost": "lots", "model": "gpt-4o", "sample_percent": "10",
        "daily_cap": "0"})
    assert response.status_code == 400
    page = text(response)
    cost = re.search(r'<div class="field\s*has-error">\s*<label for="min_cost">.*?</div>', page, re.S)
    assert cost and "A cost condition needs a number." in cost.group(0) and 'value="lots"' in cost.group(0)
    assert 'value="gpt-4o"' in page and 'value="10"' in page
    assert queue_rules.list_rules(wb.project.id)[1] == 0
    response = client.post(queue_url(wb) + "rules/", data={"csrf_token": token, "name": "Dear", "daily_cap": "0"})
    cap = re.search(r'<div class="field\s*has-error">\s*<label for="daily_cap">.*?</div>', text(response), re.S)
    assert response.status_code == 400 and "Enter a whole number from 1" in cap.group(0)


def test_pause_and_resume(client, login, wb):
    token = login(wb.admin)
    rule = queue_rules.create_rule(wb.project.id, wb.admin, wb.queue.id, {"name": "All"})
    client.post(f"{queue_url(wb)}rules/{rule.id}/pause", data={"csrf_token": token, "paused": "yes"})
    ingest(wb.project.id, [call("while-paused")])
    page = text(client.get(queue_url(wb)))
    assert "Paused" in page and ">Resume<" in page
    client.post(f"{queue_url(wb)}rules/{rule.id}/pause", data={"csrf_token": token, "paused": "no"})
    ingest(wb.project.id, [call("after")])
    assert added_by(rule) == ["after"]


def test_reviewers_see_the_rules_but_not_the_form_and_cannot_post(client, login, wb):
    rule = queue_rules.create_rule(wb.project.id, wb.admin, wb.queue.id, {"name": "All"})
    token = login(wb.reviewer)
    page = text(client.get(queue_url(wb)))
    assert 'data-rule="All"' in page and "New rule" not in page and ">Pause<" not in page
    assert client.post(queue_url(wb) + "rules/", data={"csrf_token": token, "name": "x"}).status_code == 403
    assert client.post(f"{queue_url(wb)}rules/{rule.id}/delete", data={"csrf_token": token}).status_code == 403
    assert "A backfill adds" not in text(client.get(f"{queue_url(wb)}rules/{rule.id}/"))


def test_without_the_csrf_token_nothing_is_written(client, login, wb):
    login(wb.admin)
    response = client.post(queue_url(wb) + "rules/", data={"name": "Sneaky"})
    assert response.status_code == 400 and queue_rules.list_rules(wb.project.id)[1] == 0


def test_the_queue_page_reads_its_rules_in_a_fixed_number_of_queries(client, login, wb, count_queries):
    login(wb.admin)

    def measure() -> list[str]:
        assert client.get(queue_url(wb)).status_code == 200
        with count_queries() as statements:
            assert client.get(queue_url(wb)).status_code == 200
        return statements

    queue_rules.create_rule(wb.project.id, wb.admin, wb.queue.id, {"name": "R0"})
    one = measure()
    for n in range(1, 6):
        queue_rules.create_rule(wb.project.id, wb.admin, wb.queue.id, {"name": f"R{n}"})
    ingest(wb.project.id, [call("t1")])
    assert len(measure()) == len(one)
