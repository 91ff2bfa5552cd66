"""A NUL anywhere in the URL is a clear 400 on every route, never a database error."""
import pytest


@pytest.mark.parametrize("path", ["traces/a%00b/", "review_queue_items/?trace_id=a%00b", "traces/?search=%00",
                                  "review_queues/?na%00me=x"])
def test_api_refuses_nul_in_the_url(api, path):
    response = api.get(path)
    assert response.status_code == 400
    assert response.get_json()["detail"] == "Null characters are not allowed in the URL."


def test_pages_refuse_nul_in_the_url(api, client, login):
    login(api.user)
    for path in (f"/projects/{api.project_id}/traces/a%00b", f"/projects/{api.project_id}/traces/?q=%00",
                 f"/projects/{api.project_id}/queues/?search=%00"):
        response = client.get(path)
        assert response.status_code == 400
        assert "Null characters are not allowed" in response.get_data(as_text=True)
