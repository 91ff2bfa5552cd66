"""The Settings page: project name, capture token and SDK snippet, members (invite, role, remove, the last
admin), personal API keys (shown once, scoped, revoked), and what non-admins may do there."""
from __future__ import annotations

import html
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import Membership, PersonalApiKey, User
from reviewapp.services import accounts, members
from tests.conftest import csrf_token_from
from tests.support.api import ApiClient


@pytest.fixture
def project(factory):
    return factory.project("Acme support bot")


def url(project, path: str = "") -> str:
    return f"/projects/{project.id}/settings/{path}"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def field_block(page: str, field_id: str) -> str:
    match = re.search(rf'<div class="field[^"]*">\s*<label for="{field_id}">.*?</div>', page, re.S)
    assert match, f"no field {field_id}"
    return match.group(0)


# --- project -----------------------------------------------------------------------------------------

def test_rename_project(client, project, token):
    response = client.post(url(project, "project"), data={"csrf_token": token, "name": "  Acme bot v2 "})
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.name == "Acme bot v2"
    assert "Project renamed." in text(client.get(response.location))


@pytest.mark.parametrize("name, message", [
    ("   ", "This field is required."),
    ("x" * 201, "Ensure this field has no more than 200 characters."),
])
def test_rename_errors_keep_input_and_save_nothing(client, project, token, name, message):
    response = client.post(url(project, "project"), data={"csrf_token": token, "name": name})
    assert response.status_code == 400
    block = field_block(text(response), "name")
    assert message in block and f'value="{name}"' in block
    db.session.refresh(project)
    assert project.name == "Acme support bot"


def test_token_and_ready_to_paste_sdk_snippets(client, project, token):
    page = text(client.get(url(project)))
    assert project.api_token in page
    assert f'data-copy="{project.api_token}"' in page
    python = re.search(r'<pre class="json" id="python-snippet"><code>(.*?)</code></pre>', page, re.S).group(1)
    assert f'Posthog("{project.api_token}", host="http://localhost")' in python
    assert 'event="$ai_generation"' in python and '"$ai_trace_id"' in python
    compile(python, "snippet.py", "exec")  # pastes as valid Python
    node = re.search(r'<pre class="json" id="node-snippet"><code>(.*?)</code></pre>', page, re.S).group(1)
    assert f'new PostHog("{project.api_token}", {{ host: "http://localhost" }})' in node
    otel = re.search(r'id="otel-heading".*?</div>\s*</section>', page, re.S).group(0)
    assert '<code id="otel-endpoint">http://localhost/i/v0/ai/otel</code>' in otel
    assert f'<code id="otel-header">Authorization: Bearer {project.api_token}</code>' in otel
    assert f'PostHogSpanProcessor(api_key="{project.api_token}", host="http://localhost")' in otel
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost/i/v0/ai/otel" in otel


# --- members -----------------------------------------------------------------------------------------

def test_invite_creates_an_account_with_a_temporary_password(app, client, project, token):
    response = client.post(url(project, "members"), data={
        "csrf_token": token, "email": " New.Person@Example.com ", "role": "reviewer",
        "password": "temporary-pass-1", "first_name": "New", "last_name": "Person"})
    assert response.status_code == 302
    assert "Created an account for new.person@example.com as reviewer." in text(client.get(response.location))
    user = accounts.find_user_by_email("new.person@example.com")
    assert user.display_name == "New Person"
    assert accounts.membership_for(user.id, project.id).role == "reviewer"

    other = app.test_client()  # the new member signs in with the temporary password
    login_token = csrf_token_from(other.get("/login").get_data(as_text=True))
    signed_in = other.post("/login", data={"email": "new.person@example.com", "password": "temporary-pass-1",
                                           "csrf_token": login_token})
    assert signed_in.status_code == 302


def test_invite_adds_an_existing_user_without_touching_their_password(client, factory, project, token):
    existing = factory.user(email="known@example.com")
    before = existing.password_hash
    response = client.post(url(project, "members"), data={
        "csrf_token": token, "email": "known@example.com", "role": "viewer", "password": "ignored-password"})
    assert response.status_code == 302
    assert "Added known@example.com as viewer." in text(client.get(response.location))
    db.session.refresh(existing)
    assert accounts.membership_for(existing.id, project.id).role == "viewer"
    assert existing.password_hash == before


@pytest.mark.parametrize("fields, field_id, message", [
    ({"email": "not-an-email", "password": "long-enough-1"}, "email", "Enter a valid email address."),
    ({"email": "new@example.com", "password": "short"}, "password", "Use at least 8 characters."),
    ({"email": "new@example.com", "password": ""}, "password",
     "There is no account with this email yet: set a temporary password to create one."),
    ({"email": "admin@example.com", "password": ""}, "email", "admin@example.com is already a member of this project."),
    ({"email": "new@example.com", "password": "long-enough-1", "role": "owner"}, "role",
     "“owner” is not a valid choice. Choose one of: viewer, reviewer, admin."),
])
def test_invite_errors_keep_input_and_save_nothing(client, project, token, fields, field_id, message):
    users, memberships = count(User), count(Membership)
    data = {"csrf_token": token, "role": "reviewer", "first_name": "Kept", **fields}
    response = client.post(url(project, "members"), data=data)
    assert response.status_code == 400
    page = text(response)
    assert message in field_block(page, field_id)
    assert 'value="Kept"' in field_block(page, "first_name")
    if fields["email"]:
        assert f'value="{fields["email"]}"' in field_block(page, "email")
    assert (count(User), count(Membership)) == (users, memberships)


def test_change_role(client, factory, project, token):
    reviewer = factory.member(project, "reviewer")
    membership = accounts.membership_for(reviewer.id, project.id)
    response = client.post(url(project, f"members/{membership.id}/role"), data={"csrf_token": token,
                                                                                "role": "admin"})
    assert response.status_code == 302
    db.session.refresh(membership)
    assert membership.role == "admin"


def test_the_last_admin_cannot_be_demoted_or_removed(client, project, admin, token):
    own = accounts.membership_for(admin.id, project.id)
    message = members.LAST_ADMIN.format(who="admin@example.com")
    for path, data in ((f"members/{own.id}/role", {"role": "viewer"}), (f"members/{own.id}/remove", {})):
        response = client.post(url(project, path), data={"csrf_token": token, **data})
        assert response.status_code == 400
        row = re.search(rf'<tr id="member-{own.id}"[^>]*>.*?</tr>', text(response), re.S).group(0)
        assert message in row
    db.session.refresh(own)
    assert own.role == "admin"


def test_an_admin_can_step_down_when_another_admin_remains(client, factory, project, admin, token):
    factory.member(project, "admin")
    own = accounts.membership_for(admin.id, project.id)
    response = client.post(url(project, f"members/{own.id}/role"), data={"csrf_token": token, "role": "viewer"})
    assert response.status_code == 302
    assert accounts.membership_for(admin.id, project.id).role == "viewer"
    page = text(client.get(url(project)))  # now a read-only page
    assert "Read only: you are a viewer in this project" in page
    assert f'action="/projects/{project.id}/settings/members"' not in page


def test_remove_member_keeps_their_account(client, factory, project, token):
    reviewer = factory.member(project, "reviewer")
    membership = accounts.membership_for(reviewer.id, project.id)
    response = client.post(url(project, f"members/{membership.id}/remove"), data={"csrf_token": token})
    assert response.status_code == 302
    assert f"Removed {reviewer.email} from the project." in text(client.get(response.location))
    assert accounts.membership_for(reviewer.id, project.id) is None
    assert accounts.find_user_by_email(reviewer.email) is not None


def test_a_removed_member_s_open_session_loses_the_project_at_once(app, client, factory, project, token):
    """Removal is per project: the member's browser stays signed in (for their other projects), and the
    membership check every page and API call makes refuses this project from the next request on."""
    from tests.web.workbench import signed_in

    reviewer = factory.member(project, "reviewer")
    elsewhere = factory.project("Elsewhere")
    accounts.set_membership(reviewer, elsewhere, "reviewer")
    browser, browser_token = signed_in(app, reviewer)
    queues_page = f"/projects/{project.id}/queues/"
    api_path = f"/api/projects/{project.id}/llm_analytics/review_queues/"
    assert browser.get(queues_page).status_code == 200
    assert browser.get(api_path).status_code == 200
    membership = accounts.membership_for(reviewer.id, project.id)
    assert client.post(url(project, f"members/{membership.id}/remove"), data={"csrf_token": token}).status_code == 302

    assert browser.get(queues_page).status_code == 404
    assert browser.get(url(project)).status_code == 404
    assert browser.get(api_path).status_code == 404
    assert browser.post(api_path, json={"name": "Sneaky"}, headers={"X-CSRFToken": browser_token}).status_code == 404
    assert browser.get(f"/switch-project?project_id={project.id}").status_code == 404
    assert f"/projects/{project.id}/" not in browser.get(f"/projects/{elsewhere.id}/queues/").get_data(as_text=True)
    assert browser.get("/").location == f"/projects/{elsewhere.id}/queues/"
    members.remove_member(elsewhere.id, reviewer, accounts.membership_for(reviewer.id, elsewhere.id).id)
    assert browser.get("/").location == "/no-project"


def test_leaving_the_project_when_another_admin_remains(client, factory, project, admin, token):
    factory.member(project, "admin")
    own = accounts.membership_for(admin.id, project.id)
    response = client.post(url(project, f"members/{own.id}/remove"), data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/"
    assert accounts.membership_for(admin.id, project.id) is None
    assert client.get(url(project)).status_code == 404


def test_a_membership_of_another_project_is_not_found(client, factory, project, token):
    other = factory.project("Other")
    stranger = factory.user(project=other, role="reviewer")
    foreign = accounts.membership_for(stranger.id, other.id)
    assert client.post(url(project, f"members/{foreign.id}/remove"), data={"csrf_token": token}).status_code == 404
    assert client.post(url(project, f"members/{foreign.id}/role"),
                       data={"csrf_token": token, "role": "admin"}).status_code == 404
    assert accounts.membership_for(stranger.id, other.id).role == "reviewer"


@pytest.mark.postgres_only
def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, factory, project, admin):
    second = factory.member(project, "admin")
    ids = [accounts.membership_for(u.id, project.id).id for u in (admin, second)]
    barrier = threading.Barrier(2)

    def demote(i):
        with app.app_context():
            actor = db.session.get(User, (admin, second)[i].id)
            barrier.wait()
            try:
                members.change_role(project.id, actor, ids[1 - i], "viewer")
                return "ok"
            except Exception as exc:  # the refused one
                return getattr(exc, "detail", repr(exc))

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(demote, range(2)))
    refused = [r for r in results if r != "ok"]
    assert results.count("ok") == 1 and len(refused) == 1, results
    assert "last admin" in refused[0], results
    db.session.expire_all()  # the threads changed the rows behind this session
    assert [m.role for m in members.list_members(project.id)].count("admin") == 1


# --- API keys ----------------------------------------------------------------------------------------

def test_create_api_key_shows_the_secret_once_and_it_works(app, client, factory, project, admin, token):
    other = factory.project("Second")
    accounts.set_membership(admin, other, "admin")
    response = client.post(url(project, "api-keys"), data={
        "csrf_token": token, "label": "Export script", "scopes": ["llm_analytics:read"], "projects": [str(project.id)]})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    secret = re.search(r'id="api-key-secret">(phx_[^<]+)</code>', page).group(1)
    assert f'data-copy="{secret}"' in page and "shown only this once" in page

    key = db.session.scalars(select(PersonalApiKey)).one()
    assert (key.label, key.scopes, key.scoped_projects) == ("Export script", ["llm_analytics:read"], [project.id])
    assert secret not in (key.secure_value, key.mask_value)

    api = ApiClient(app.test_client(), project.id, secret)
    assert api.get("review_queues/").status_code == 200
    assert api.post("review_queues/", {"name": "Nope"}).status_code == 403  # read scope only
    assert api.in_project(other.id).get("review_queues/").status_code == 403  # limited to the first project

    listing = text(client.get(url(project)))
    assert secret not in listing
    assert key.mask_value in listing and "Export script" in listing and "llm_analytics:read" in listing
    row = re.search(r"<tr>\s*<td>Export script</td>.*?</tr>", listing, re.S).group(0)
    assert "Never" not in row  # it has been used: the last-used time shows


@pytest.mark.parametrize("fields, message", [
    ({"scopes": []}, "Choose at least one scope."),
    ({"scopes": ["llm_analytics:admin"]}, '"llm_analytics:admin" is not a valid scope.'),
    ({"scopes": ["*"], "projects": ["999999"]}, "You are not a member of project 999999."),
    ({"scopes": ["*"], "projects": ["all"]}, "You are not a member of project all."),
])
def test_api_key_errors_keep_input_and_save_nothing(client, project, token, fields, message):
    response = client.post(url(project, "api-keys"), data={"csrf_token": token, "label": "Kept label", **fields})
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert 'value="Kept label"' in field_block(page, "label")
    assert count(PersonalApiKey) == 0


def test_revoke_api_key(app, client, project, admin, token):
    key, secret = accounts.create_api_key(admin, "*", "Old")
    response = client.post(url(project, f"api-keys/{key.id}/revoke"), data={"csrf_token": token})
    assert response.status_code == 302
    assert count(PersonalApiKey) == 0
    assert ApiClient(app.test_client(), project.id, secret).get("review_queues/").status_code == 401


def test_someone_elses_key_cannot_be_revoked(app, client, factory, project, token):
    other = factory.member(project, "admin")
    key, secret = accounts.create_api_key(other, "*", "Theirs")
    assert client.post(url(project, f"api-keys/{key.id}/revoke"), data={"csrf_token": token}).status_code == 404
    assert client.post(url(project, "api-keys/not-a-uuid/revoke"), data={"csrf_token": token}).status_code == 404
    assert ApiClient(app.test_client(), project.id, secret).get("review_queues/").status_code == 200


# --- non-admins --------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_non_admins_see_a_read_only_page_and_manage_their_own_keys(app, client, factory, project, admin, login,
                                                                    role):
    user = factory.member(project, role)
    token = login(user)
    page = text(client.get(url(project)))
    assert f"Read only: you are a {role} in this project" in page
    assert "Acme support bot" in page and "admin@example.com" in page  # project and members, read only
    for action in ("settings/project", "settings/members\"", "/role", "/remove"):
        assert action not in page
    response = client.post(url(project, "api-keys"), data={"csrf_token": token, "scopes": ["llm_analytics:read"]})
    assert response.status_code == 200
    key = db.session.scalars(select(PersonalApiKey)).one()
    assert key.user_id == user.id
    assert client.post(url(project, f"api-keys/{key.id}/revoke"), data={"csrf_token": token}).status_code == 302
    assert count(PersonalApiKey) == 0


# The admin-only actions by endpoint; every member may read the page and manage their own keys.
ADMIN_ACTIONS = {
    "settings.rename": ("project", {"name": "Taken over"}),
    "settings.invite": ("members", {"email": "friend@example.com", "role": "admin", "password": "long-enough-1"}),
    "settings.change_role": ("members/{admin}/role", {"role": "viewer"}),
    "settings.remove": ("members/{admin}/remove", {}),
}
MEMBER_ACTIONS = {"settings.index", "settings.create_api_key", "settings.revoke_api_key"}


def test_the_permission_inventory_covers_every_settings_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("settings.")}
    assert endpoints == set(ADMIN_ACTIONS) | MEMBER_ACTIONS


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
@pytest.mark.parametrize("path, data", [pytest.param(*action, id=endpoint)
                                        for endpoint, action in ADMIN_ACTIONS.items()])
def test_viewers_and_reviewers_may_not_change_project_settings(client, factory, project, admin, login, role, path,
                                                                data):
    own = accounts.membership_for(admin.id, project.id)
    token = login(factory.member(project, role))
    users, memberships = count(User), count(Membership)
    response = client.post(url(project, path.format(admin=own.id)), data={"csrf_token": token, **data})
    assert response.status_code == 403
    db.session.expire_all()
    assert project.name == "Acme support bot"
    assert own.role == "admin"
    assert (count(User), count(Membership)) == (users, memberships)


def test_settings_of_a_project_you_are_not_in_is_not_found(client, factory, token):
    other = factory.project("Elsewhere")
    assert client.get(url(other)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, project):
    response = client.get(url(project))
    assert response.status_code == 302 and response.location.startswith("/login")

