"""Page numbers and ids in page URLs: a number past what the database holds is a 400 page that says so, never a
500; an unreadable page number is still page 1."""
import pytest

from tests.support.api import ApiClient
from tests.support.scoring import create_review, create_scorer

HUGE = str(2**63)
THIRTY_DIGITS = "9" * 30


@pytest.fixture
def project(factory):
    return factory.project("Pages")


@pytest.fixture
def made(app, factory, project, admin):
    """A queue with a review in it and a scorer, made through the API as the signed-in admin."""
    api = ApiClient(app.test_client(), project.id, factory.api_key(admin), user=admin, project=project)
    scorer = create_scorer(api)
    queue = api.post("review_queues/", {"name": "Inbox"}).get_json()
    create_review(api, "trace-1", queue_id=queue["id"])
    return {"queue": queue["id"], "scorer": scorer["id"]}


def listed_pages(project, made) -> list[str]:
    base = f"/projects/{project.id}"
    return [f"{base}/queues/", f"{base}/queues/{made['queue']}/", f"{base}/traces/", f"{base}/reviews/",
            f"{base}/scorers/", f"{base}/scorers/{made['scorer']}/versions"]


@pytest.mark.parametrize("page", [HUGE, THIRTY_DIGITS])
def test_a_page_number_past_any_list_is_a_400_page_that_says_so(client, token, project, made, page):
    for url in listed_pages(project, made):
        response = client.get(f"{url}?page={page}")
        assert response.status_code == 400, (url, response.status_code)
        assert "page number is too large" in response.get_data(as_text=True), url


def test_previous_review_number_past_any_list_is_a_400_page(client, token, project, made):
    response = client.get(f"/projects/{project.id}/queues/{made['queue']}/review/previous?n={THIRTY_DIGITS}")
    assert response.status_code == 400
    assert "too large" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["abc", "0", "-3", "", "9" * 5000])
def test_an_unreadable_or_low_page_number_is_the_first_page(client, token, project, made, page):
    for url in listed_pages(project, made):
        response = client.get(f"{url}?page={page}")
        assert response.status_code == 200, (url, page[:10], response.status_code)


def test_a_far_page_that_fits_is_simply_empty(client, token, project, made):
    response = client.get(f"/projects/{project.id}/queues/?page=1000000")
    assert response.status_code == 200


@pytest.mark.parametrize("project_id", [str(2**31), THIRTY_DIGITS])
@pytest.mark.parametrize("path", ["queues/", "traces/", "reviews/", "insights/", "settings/"])
def test_a_project_id_past_the_id_column_is_a_400_page(client, token, path, project_id):
    response = client.get(f"/projects/{project_id}/{path}")
    assert response.status_code == 400
    assert "project id is too large" in response.get_data(as_text=True)


@pytest.mark.parametrize("reviewer", [str(2**31), THIRTY_DIGITS])
def test_a_huge_reviewer_filter_is_refused_on_the_reviews_page(client, token, project, made, reviewer):
    response = client.get(f"/projects/{project.id}/reviews/?reviewer={reviewer}")
    assert response.status_code == 400


@pytest.mark.parametrize("huge", [str(2**31), THIRTY_DIGITS])  # past PostgreSQL's int4 id columns; past bigint
def test_other_huge_ids_in_page_urls_are_not_found_not_a_crash(client, token, project, huge):
    assert client.get(f"/switch-project?project_id={huge}").status_code == 404
    for action in ("role", "remove"):
        response = client.post(f"/projects/{project.id}/settings/members/{huge}/{action}",
                               data={"csrf_token": token, "role": "viewer"})
        assert response.status_code == 404, action
