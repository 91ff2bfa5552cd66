"""Authentication and authorisation of the JSON API: keys, scopes, roles, projects."""
from tests.support.api import ApiClient, assert_error

LIST = "review_queues/"


def test_no_credentials_is_401(api):
    assert_error(api.as_key(None).get(LIST), 401, "not_authenticated", None)


def test_unknown_key_is_401(api):
    body = assert_error(api.as_key("phx_nonsense").get(LIST), 401, "authentication_failed")
    assert body["type"] == "authentication_error"


def test_other_project_is_404(api, factory):
    other = factory.project()
    assert_error(api.in_project(other.id).get(LIST), 404, "not_found", None, "Not found.")
    assert_error(api.in_project(999999).get(LIST), 404, "not_found")


def test_read_scope_cannot_write(api, factory):
    read_only = api.as_key(factory.api_key(api.user, "llm_analytics:read"))
    assert read_only.get(LIST).status_code == 200
    body = assert_error(read_only.post(LIST, {"name": "x"}), 403, "permission_denied")
    assert "llm_analytics:write" in body["detail"]


def test_key_limited_to_other_project_is_403(api, factory):
    other = factory.project()
    from reviewapp.services import accounts

    accounts.set_membership(api.user, other, "admin")
    limited = api.as_key(factory.api_key(api.user, "*", project_ids=[other.id]))
    assert_error(limited.get(LIST), 403, "permission_denied")
    assert limited.in_project(other.id).get(LIST).status_code == 200


def test_viewer_cannot_write(app, api, factory):
    viewer = factory.member(api.project, "viewer")
    client = ApiClient(app.test_client(), api.project_id, factory.api_key(viewer))
    assert client.get(LIST).status_code == 200
    assert_error(client.post(LIST, {"name": "q"}), 403, "permission_denied")


def test_both_prefixes_and_trailing_slash(api):
    for prefix in ("environments", "projects"):
        for suffix in ("review_queues/", "review_queues"):
            response = api.get(f"/api/{prefix}/{api.project_id}/llm_analytics/{suffix}")
            assert response.status_code == 200, (prefix, suffix)


def test_unknown_api_route_is_json_404(api):
    assert_error(api.get("/api/nothing-here/"), 404, "not_found")


def test_put_is_405_json(api):
    assert_error(api.request("PUT", LIST, {"name": "x"}), 405)


def test_session_cookie_needs_csrf_for_writes(app, client, factory, login):
    project = factory.project()
    user = factory.user(project=project, role="admin")
    token = login(user)
    url = f"/api/projects/{project.id}/llm_analytics/review_queues/"
    assert client.get(url).status_code == 200
    assert_error(client.post(url, json={"name": "q"}), 403, "permission_denied")
    assert client.post(url, json={"name": "q"}, headers={"X-CSRFToken": token}).status_code == 201
