"""A NUL anywhere in the URL is a clear 400 on every route, never a database error."""
import pytest


def test_api_refuses_nul_in_the_path(api):
    response = api.get("traces/a%00b/")
    assert response.status_code == 400
    assert response.get_json()["detail"] == "Null characters are not allowed in the URL."


@pytest.mark.parametrize("query, attr", [("trace_id=a%00b", "trace_id"), ("search=%00", "search"),
                                         ("na%00me=x", "name")])
def test_api_refuses_nul_in_a_query_parameter_naming_it(api, query, attr):
    response = api.get(f"review_queue_items/?{query}")
    assert response.status_code == 400
    assert response.get_json() == {"type": "validation_error", "code": "invalid_input",
                                   "detail": "Null characters are not allowed.", "attr": attr}


def test_pages_refuse_nul_in_the_url(api, client, login):
    login(api.user)
    for path in (f"/projects/{api.project_id}/traces/a%00b", f"/projects/{api.project_id}/traces/?q=%00",
                 f"/projects/{api.project_id}/queues/?search=%00"):
        response = client.get(path)
        assert response.status_code == 400
        assert "Null characters are not allowed" in response.get_data(as_text=True), path


def test_a_page_form_post_with_nul_is_refused_and_nothing_saved(api, client, login):
    token = login(api.user)
    response = client.post(f"/projects/{api.project_id}/queues/new", data={
        "csrf_token": token, "name": "Sup\x00port", "instructions": ""})
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.get_data(as_text=True)
    assert api.get("review_queues/?search=Sup").get_json()["count"] == 0
