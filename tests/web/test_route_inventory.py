"""Every route of the app, checked for protection. A route missing from the inventory below fails the suite:
whoever adds a page must say who may use it, and these tests then prove that nobody else can.

- anonymous: HTML pages redirect to the sign-in form, the JSON API answers 401 (capture is token-authenticated
  and has its own tests);
- a member of another project: 404 on every project page and API route, as if the project did not exist;
- a viewer: 403 on every page action (POST) and admin page, except the personal API key actions;
- a reviewer: 403 on every admin page and action;
- a member with the required role gets past the checks (so the inventory cannot claim more than the code)."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from reviewapp.services import accounts, evaluations, judgments, queue_items, queue_rules, queues, reviews, traces
from reviewapp.services.ingest.posthog import ingest_batch
from tests.conftest import csrf_token_from
from tests.support.judge_data import judge_event
from tests.web.workbench import build, signed_in

VIEWER, REVIEWER, ADMIN = "viewer", "reviewer", "admin"
RANK = {VIEWER: 0, REVIEWER: 1, ADMIN: 2}

# endpoint -> the least role, by method, of every project-scoped HTML page.
PROJECT_PAGES: dict[str, dict[str, str]] = {
    "queues.index": {"GET": VIEWER},
    "queues.detail": {"GET": VIEWER},
    "queues.create": {"GET": ADMIN, "POST": ADMIN},
    "queues.edit": {"GET": ADMIN, "POST": ADMIN},
    "queues.delete": {"GET": ADMIN, "POST": ADMIN},
    "queues.move_item": {"POST": REVIEWER},
    "queues.remove_item": {"GET": REVIEWER, "POST": REVIEWER},
    "queues.add_rule": {"POST": ADMIN},
    "queues.rule_detail": {"GET": VIEWER},
    "queues.pause_rule": {"POST": ADMIN},
    "queues.delete_rule": {"POST": ADMIN},
    "queues.backfill_rule": {"POST": ADMIN},
    "review.next": {"POST": REVIEWER},
    "review.next_queue": {"POST": REVIEWER},
    "review.done": {"GET": REVIEWER},
    "review.previous": {"GET": REVIEWER},
    "review.item": {"GET": REVIEWER},
    "review.save": {"POST": REVIEWER},
    "review.skip": {"POST": REVIEWER},
    "review.edit_trace": {"GET": REVIEWER, "POST": REVIEWER},
    "review.take_over": {"GET": REVIEWER, "POST": REVIEWER},
    "review.reviews": {"GET": VIEWER},
    "decisions.index": {"GET": ADMIN},
    "decisions.decide_page": {"GET": ADMIN},
    "decisions.decide": {"POST": ADMIN},
    "review.export_reviews": {"GET": VIEWER},
    "traces.index": {"GET": VIEWER},
    "traces.detail": {"GET": VIEWER},
    "traces.event": {"GET": VIEWER},
    "traces.event_body": {"GET": VIEWER},
    "traces.messages": {"GET": VIEWER},
    "traces.spans": {"GET": VIEWER},
    "traces.generation_io": {"GET": VIEWER},
    "traces.message_part": {"GET": VIEWER},
    "traces.posthog_trace_link": {"GET": VIEWER},
    "curation.add_to_queue": {"POST": REVIEWER},
    "insights.index": {"GET": VIEWER},
    "evaluations.index": {"GET": VIEWER},
    "evaluations.detail": {"GET": VIEWER},
    "evaluations.save": {"POST": ADMIN},
    "insights.agreement_matrix": {"GET": VIEWER},
    "scorers.index": {"GET": VIEWER},
    "scorers.create": {"GET": ADMIN, "POST": ADMIN},
    "scorers.edit": {"GET": VIEWER},
    "scorers.versions": {"GET": VIEWER},
    "scorers.update_details": {"POST": ADMIN},
    "scorers.update_config": {"POST": ADMIN},
    "scorers.duplicate": {"POST": ADMIN},
    "scorers.archive": {"POST": ADMIN},
    "scorers.unarchive": {"POST": ADMIN},
    "settings.index": {"GET": VIEWER},
    "settings.rename": {"POST": ADMIN},
    "settings.invite": {"POST": ADMIN},
    "settings.change_role": {"POST": ADMIN},
    "settings.remove": {"POST": ADMIN},
    "settings.create_api_key": {"POST": VIEWER},
    "settings.revoke_api_key": {"POST": VIEWER},
}
# Page actions a viewer may take: their own personal API keys.
VIEWER_ACTIONS = {"settings.create_api_key", "settings.revoke_api_key"}
# Signed-in pages outside any project.
ACCOUNT_PAGES: dict[str, set[str]] = {
    "auth.change_password": {"GET", "POST"},
    "auth.auto_advance": {"POST"},
    "auth.no_project": {"GET"},
    "auth.switch_project": {"GET"},
}
# Open to anyone: the sign-in form, the home (which sends anonymous visitors to it), signing out, and files.
PUBLIC = {"auth.login", "auth.index", "auth.logout", "static"}


def page_rules(app):
    """(endpoint, method, rule) of every HTML route, API and capture aside."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("api.", "capture.")):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, rule


def api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, rule


@pytest.fixture
def wb(factory):
    wb = build(factory, traces=2)
    review = reviews.save_review(wb.project.id, wb.admin, trace_id="trace-002", comment="done", scores=[])
    membership = accounts.membership_for(wb.reviewer.id, wb.project.id)
    key_id = accounts.create_api_key(wb.admin, "*", "inventory")[0].id
    item = wb.items()[0]
    pairs = queues.create_queue(wb.project.id, wb.admin, "Pairs")
    pairs.reviews_per_trace = 2
    judged = queue_items.add_item(wb.project.id, wb.admin, pairs.id, "trace-003")
    judgment = judgments.submit_judgment(wb.project.id, wb.admin, judged, scores=[], comment="a judgment")
    rule = queue_rules.create_rule(wb.project.id, wb.admin, wb.queue.id,
                                   {"name": "Errors", "conditions": [{"field": "error", "value": True}]})
    ingest_batch(wb.project.id, [judge_event(item.trace_id, 0, False)])
    wb.values = {
        "project_id": wb.project.id,
        "queue_id": wb.queue.id,
        "item_id": item.id,
        "trace_id": item.trace_id,
        "definition_id": wb.quality.id,
        "version_id": wb.quality.current_version_id,
        "version": 1,
        "review_id": review.id,
        "judgment_id": judgment.id,
        "rule_id": rule.id,
        "evaluation_id": evaluations.list_evaluations(wb.project.id)[0].evaluation.id,
        "membership_id": membership.id,
        "key_id": key_id,
        "event_uuid": next(e.uuid for e in traces.get_trace(wb.project.id, item.trace_id).events
                           if e.event == "$ai_generation"),
        "source": "input",
        "index": 0,
        "part": 0,
    }
    return wb


def url_of(rule, values: dict) -> str:
    """The rule's path with each variable filled with a real id of the fixture project's objects."""
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: the inventory has no value for {sorted(missing)}; add one to the fixture"
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: quote(str(values[m.group(1)]), safe=""), rule.rule)


def call(client, method: str, url: str, token: str | None):
    data = {"csrf_token": token} if token and method != "GET" else None
    return client.open(url, method=method, data=data)


def test_every_page_is_in_the_inventory(app):
    unknown = []
    for endpoint, method, rule in page_rules(app):
        if endpoint in PUBLIC:
            continue
        allowed = PROJECT_PAGES.get(endpoint) or ACCOUNT_PAGES.get(endpoint)
        if allowed is None or method not in allowed:
            unknown.append(f"{method} {rule.rule} ({endpoint})")
        if endpoint in PROJECT_PAGES:
            assert "project_id" in rule.arguments, f"{endpoint} is listed as a project page but has no project_id"
    assert not unknown, "routes missing from the inventory (say who may use them): " + ", ".join(unknown)


def test_every_viewer_page_action_is_a_deliberate_exception():
    for endpoint, methods in PROJECT_PAGES.items():
        for method, role in methods.items():
            if method != "GET" and role == VIEWER:
                assert endpoint in VIEWER_ACTIONS, f"{method} {endpoint} lets a viewer change something"


def test_anonymous_visitors_are_sent_to_sign_in(client, wb):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    for endpoint, method, rule in page_rules(client.application):
        if endpoint in PUBLIC:
            continue
        url = url_of(rule, wb.values)
        response = call(client, method, url, token)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.location.startswith("/login?next="), (method, url, response.location)


def test_the_home_and_sign_out_send_anonymous_visitors_to_sign_in(client):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.get("/").location == "/login"
    assert client.post("/logout", data={"csrf_token": token}).location == "/login"


def test_anonymous_api_calls_are_401_json(client, wb):
    for _endpoint, method, rule in api_rules(client.application):
        if "project_id" not in rule.arguments:
            continue  # the OpenAPI document is public
        url = url_of(rule, wb.values)
        response = client.open(url, method=method, json={} if method != "GET" else None)
        assert response.status_code == 401, (method, url, response.status_code)
        body = response.get_json()
        assert body["type"] == "authentication_error" and body["code"] == "not_authenticated", (url, body)


def test_members_of_another_project_find_nothing(app, wb):
    client, token = signed_in(app, wb.outsider)
    for endpoint, method, rule in page_rules(app):
        if endpoint not in PROJECT_PAGES:
            continue
        url = url_of(rule, wb.values)
        response = call(client, method, url, token)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Not found" in response.get_data(as_text=True) or "not found" in response.get_data(as_text=True)


def test_members_of_another_project_find_nothing_in_the_api(app, factory, wb):
    key = factory.api_key(wb.outsider, "*")
    client = app.test_client()
    for _endpoint, method, rule in api_rules(app):
        if "project_id" not in rule.arguments:
            continue
        url = url_of(rule, wb.values)
        response = client.open(url, method=method, json={} if method != "GET" else None,
                               headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.get_json()["code"] == "not_found"


@pytest.mark.parametrize("role", [VIEWER, REVIEWER])
def test_lower_roles_are_refused(app, wb, role):
    user = wb.viewer if role == VIEWER else wb.reviewer
    client, token = signed_in(app, user)
    checked = 0
    for endpoint, method, rule in page_rules(app):
        needed = PROJECT_PAGES.get(endpoint, {}).get(method)
        if needed is None or RANK[needed] <= RANK[role]:
            continue
        url = url_of(rule, wb.values)
        response = call(client, method, url, token)
        assert response.status_code == 403, (role, method, url, response.status_code)
        assert "Not allowed" in response.get_data(as_text=True)
        checked += 1
    assert checked > (10 if role == VIEWER else 5)


def test_viewer_keys_cannot_write_through_the_api(app, factory, wb):
    key = factory.api_key(wb.viewer, "*")
    client = app.test_client()
    for _endpoint, method, rule in api_rules(app):
        if method == "GET" or "project_id" not in rule.arguments:
            continue
        url = url_of(rule, wb.values)
        response = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code in (403, 405), (method, url, response.status_code)
        if response.status_code == 403:
            assert response.get_json()["code"] == "permission_denied"


@pytest.mark.parametrize("role", [VIEWER, REVIEWER, ADMIN])
def test_the_required_role_is_enough_to_open_each_page(app, wb, role):
    user = {VIEWER: wb.viewer, REVIEWER: wb.reviewer, ADMIN: wb.admin}[role]
    client, _ = signed_in(app, user)
    for endpoint, method, rule in page_rules(app):
        if method != "GET" or PROJECT_PAGES.get(endpoint, {}).get("GET") != role:
            continue
        url = url_of(rule, wb.values)
        response = client.get(url)
        assert response.status_code in (200, 302), (role, url, response.status_code)
    for endpoint, methods in ACCOUNT_PAGES.items():
        if "GET" in methods and endpoint != "auth.switch_project":
            rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
            assert client.get(rule.rule).status_code == 200, endpoint


# --- security headers on every answer ------------------------------------------------------------------

def assert_security_headers(response, what) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    assert directives.get("script-src") == "'self'", (what, policy)
    assert directives.get("style-src") == "'self'", (what, policy)
    assert directives.get("frame-ancestors") == "'none'", (what, policy)
    assert directives.get("object-src") == "'none'", (what, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (what, policy)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("X-Frame-Options") == "DENY", what
    assert response.headers.get("Referrer-Policy") == "same-origin", what


def test_every_page_answer_carries_the_security_headers(app, wb):
    admin, token = signed_in(app, wb.admin)
    anonymous = app.test_client()
    checked = 0
    for _endpoint, method, rule in page_rules(app):
        url = url_of(rule, {**wb.values, "filename": "app.css"})
        for client in (admin, anonymous):
            response = call(client, method, url, token)
            assert_security_headers(response, (method, url))
            response.close()  # a static file's answer holds the file open
            checked += 1
    for url in ("/no-such-page", f"/projects/{wb.project.id}/queues/999999/", "/login?next=//evil.example"):
        assert_security_headers(admin.get(url), url)
    assert checked > 80


def test_every_api_and_capture_answer_carries_the_security_headers(app, factory, wb):
    key = factory.api_key(wb.admin, "*")
    client = app.test_client()
    for _endpoint, method, rule in api_rules(app):
        url = url_of(rule, wb.values)
        for headers in ({"Authorization": f"Bearer {key}"}, {}):
            response = client.open(url, method=method, json={} if method != "GET" else None, headers=headers)
            assert_security_headers(response, (method, url, response.status_code))
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("capture."):
            response = client.post(rule.rule, json={"api_key": wb.project.api_token, "batch": []})
            assert_security_headers(response, rule.rule)
