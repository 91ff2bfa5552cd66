"""PostHog's trace address, /project/<id>/ai-observability/traces/<trace_id> (a review's trace_url), leads to
the trace's page here for a member; anyone else is sent to sign in, or finds nothing."""
from urllib.parse import quote

import pytest

from tests.traces.helpers import chat_trace, sign_in


@pytest.fixture
def project(factory):
    return factory.project("Support bot")


@pytest.fixture
def viewer(factory, project):
    return factory.user(project=project, role="viewer")


def posthog_path(project_id: int, trace_id: str) -> str:
    return f"/project/{project_id}/ai-observability/traces/{quote(trace_id)}"


@pytest.mark.parametrize("trace_id", ["trace_link_check", "runs/2024/a", "a b c", "runs/june 6/x y"])
def test_a_member_is_sent_to_the_trace_page(client, project, viewer, trace_id):
    chat_trace(project.id, trace_id, question="Where is the Eiffel Tower?")
    sign_in(client, viewer, f"/projects/{project.id}/traces/")
    response = client.get(posthog_path(project.id, trace_id))
    assert response.status_code == 302
    assert response.location == f"/projects/{project.id}/traces/{quote(trace_id)}"
    page = client.get(response.location)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Where is the Eiffel Tower?" in html


def test_the_trace_url_of_a_review_leads_to_its_trace(client, project, viewer, factory):
    from tests.support.api import ApiClient

    chat_trace(project.id, "t 1/x", question="Is this reachable?")
    admin = factory.user(project=project, role="admin")
    api = ApiClient(client.application.test_client(), project.id, factory.api_key(admin))
    trace_url = api.post("trace_reviews/", {"trace_id": "t 1/x"}).get_json()["trace_url"]
    assert trace_url == f"http://localhost/project/{project.id}/ai-observability/traces/t 1/x"
    sign_in(client, viewer, f"/projects/{project.id}/traces/")
    followed = client.get(trace_url.replace(" ", "%20"), follow_redirects=True)  # as a browser sends it
    assert followed.status_code == 200 and "Is this reachable?" in followed.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in_and_back(client, project, viewer):
    chat_trace(project.id, "t-1", question="Back after signing in?")
    path = posthog_path(project.id, "t-1")
    response = client.get(path)
    assert response.status_code == 302
    assert response.location == "/login?next=" + quote(path, safe="")
    landed = sign_in(client, viewer, path)
    assert landed.location == path
    assert "Back after signing in?" in client.get(path, follow_redirects=True).get_data(as_text=True)


def test_a_non_member_finds_nothing(client, project, factory):
    chat_trace(project.id, "t-1")
    outsider = factory.user(project=factory.project("Elsewhere"), role="admin")
    sign_in(client, outsider, "/")
    assert client.get(posthog_path(project.id, "t-1")).status_code == 404
    assert client.get(posthog_path(999_999, "t-1")).status_code == 404


def test_a_missing_trace_is_the_trace_page_404(client, project, viewer):
    sign_in(client, viewer, f"/projects/{project.id}/traces/")
    response = client.get(posthog_path(project.id, "never-seen"))
    assert response.status_code == 302
    assert client.get(response.location).status_code == 404
