"""The queue rules API: admins write rules, everyone reads them with what they added; refusals in the error shape."""
from __future__ import annotations

from tests.rules.helpers import call, ingest, judged
from tests.support.api import ApiClient

RULES = "queue_rules/"


def support_queue(api):
    return api.post("review_queues/", {"name": "Support"}).get_json()


def test_send_ten_percent_of_judge_failures_to_support(api):
    queue = support_queue(api)
    created = api.post(RULES, {"queue_id": queue["id"], "name": "Judge failed", "sample_percent": 10,
                               "daily_cap": 50,
                               "conditions": [{"field": "evaluation", "key": "correctness", "value": "fail"}]})
    assert created.status_code == 201, created.get_json()
    rule = created.get_json()
    assert rule["description"] == "10% of traces where evaluation correctness is fail, at most 50 a day"
    assert rule["conditions"] == [{"field": "evaluation", "op": "is", "key": "correctness", "value": "fail"}]
    ids = [f"t{n:03}" for n in range(100)]
    ingest(api.project_id, [call(t) for t in ids])
    ingest(api.project_id, [judged(t, passed=False) for t in ids])
    rule = api.get(f"{RULES}{rule['id']}/").get_json()
    assert 3 <= rule["added_count"] <= 20 and rule["added_today"] == rule["added_count"]
    additions = api.get(f"{RULES}{rule['id']}/additions/?limit=100").get_json()
    assert additions["count"] == rule["added_count"]
    pending = api.get(f"review_queue_items/?queue_id={queue['id']}&limit=100").get_json()
    assert sorted(a["trace_id"] for a in additions["results"]) == sorted(i["trace_id"] for i in pending["results"])


def test_preview_then_backfill(api):
    queue = support_queue(api)
    ingest(api.project_id, [call(f"t{n}", input_cost=n) for n in range(6)])
    rule = api.post(RULES, {"queue_id": queue["id"], "name": "Dear",
                            "conditions": [{"field": "cost", "op": "gte", "value": 3}]}).get_json()
    preview = api.get(f"{RULES}{rule['id']}/preview/").get_json()
    assert preview == {"matching": 3, "matching_is_capped": False, "sampled": 3, "addable": 3, "would_add": 3}
    assert api.post(f"{RULES}{rule['id']}/backfill/").get_json() == {"added": 3}
    assert api.get(f"{RULES}{rule['id']}/preview/").get_json()["would_add"] == 0
    sources = {a["source"] for a in api.get(f"{RULES}{rule['id']}/additions/").get_json()["results"]}
    assert sources == {"backfill"}


def test_pause_resume_and_delete(api):
    queue = support_queue(api)
    rule = api.post(RULES, {"queue_id": queue["id"], "name": "All"}).get_json()
    assert api.patch(f"{RULES}{rule['id']}/", {"paused": True}).get_json()["paused"] is True
    ingest(api.project_id, [call("while-paused")])
    assert api.patch(f"{RULES}{rule['id']}/", {"paused": False}).get_json()["added_count"] == 0
    assert api.get(f"{RULES}?queue_id={queue['id']}").get_json()["count"] == 1
    assert api.delete(f"{RULES}{rule['id']}/").status_code == 204
    assert api.get(f"{RULES}{rule['id']}/").status_code == 404


def test_refusals_name_the_field(api):
    queue = support_queue(api)
    cases = [
        ({"name": "x", "conditions": [{"field": "colour", "value": "red"}]}, "conditions[0]"),
        ({"name": "x", "conditions": [{"field": "error", "value": True}, {"field": "cost", "op": "gt", "value": 1}]},
         "conditions[1]"),
        ({"name": "x", "conditions": [{"field": "evaluation", "value": "fail"}]}, "conditions[0]"),
        ({"name": "x", "conditions": {"field": "error"}}, "conditions"),
        ({"name": "x", "sample_percent": 0}, "sample_percent"),
        ({"name": "x", "sample_percent": 101}, "sample_percent"),
        ({"name": "x", "daily_cap": 0}, "daily_cap"),
        ({"name": "x", "paused": "yes"}, "paused"),
        ({"name": " "}, "name"),
        ({"name": "x", "queue_id": "not-a-uuid"}, "queue_id"),
    ]
    for body, attr in cases:
        response = api.post(RULES, {"queue_id": queue["id"], **body})
        assert (response.status_code, response.get_json()["attr"]) == (400, attr), body


def test_only_admins_write_and_other_projects_see_nothing(api, app, factory):
    queue = support_queue(api)
    rule = api.post(RULES, {"queue_id": queue["id"], "name": "All"}).get_json()
    reviewer = ApiClient(app.test_client(), api.project_id, factory.api_key(factory.member(api.project, "reviewer")))
    assert reviewer.get(f"{RULES}{rule['id']}/").status_code == 200
    assert reviewer.patch(f"{RULES}{rule['id']}/", {"paused": True}).status_code == 403
    assert reviewer.post(f"{RULES}{rule['id']}/backfill/").status_code == 403
    other = factory.project()
    stranger = ApiClient(app.test_client(), other.id, factory.api_key(factory.user(project=other)))
    assert stranger.get(f"{RULES}{rule['id']}/").status_code == 404
    assert stranger.post(RULES, {"queue_id": queue["id"], "name": "Mine"}).get_json()["attr"] == "queue_id"


def test_the_rules_list_is_a_fixed_number_of_queries(api, count_queries):
    queue = support_queue(api)
    api.post(RULES, {"queue_id": queue["id"], "name": "First"})
    api.get(RULES)
    with count_queries() as one:
        api.get(RULES)
    for n in range(5):
        api.post(RULES, {"queue_id": queue["id"], "name": f"R{n}"})
    ingest(api.project_id, [call("t1")])
    api.get(RULES)
    with count_queries() as six:
        assert api.get(RULES).get_json()["count"] == 6
    assert len(one) == len(six)
