"""Bad requests get the API's error shape, never a 500 or an HTML page."""
import pytest

from tests.support.api import assert_error


def test_malformed_json_is_400(api):
    body = assert_error(api.post("review_queues/", raw="{not json", content_type="application/json"), 400)
    assert body["code"] == "parse_error" and body["type"] == "validation_error"


def test_json_that_is_not_an_object_is_400(api):
    assert_error(api.post("review_queues/", ["a list"]), 400, "invalid_input", None)


def test_wrong_content_type_is_400(api):
    assert_error(api.post("review_queues/", raw="name: x", content_type="text/yaml"), 400,
                 "unsupported_media_type")


def test_body_over_the_api_limit_is_413(api, app):
    huge = '{"name": "' + "x" * (app.config["API_MAX_BODY_BYTES"] + 10) + '"}'
    body = assert_error(api.post("review_queues/", raw=huge), 413, "payload_too_large")
    assert body["type"] == "invalid_request"


def test_body_over_the_server_limit_is_json_413(api, app):
    app.config["MAX_CONTENT_LENGTH"], saved = 1000, app.config["MAX_CONTENT_LENGTH"]
    try:
        assert_error(api.post("review_queues/", raw='{"name": "' + "x" * 2000 + '"}'), 413)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved


@pytest.mark.parametrize("path", ["review_queues/", "review_queue_items/", "score_definitions/",
                                  "trace_reviews/"])
def test_put_is_405_in_the_error_shape(api, path):
    response = api.request("PUT", path, {})
    body = assert_error(response, 405)
    assert response.mimetype == "application/json" and "PUT" in body["detail"]


def test_non_uuid_path_ids_are_404(api):
    for path in ("review_queues/x/", "review_queue_items/x/", "score_definitions/x/", "trace_reviews/x/"):
        assert_error(api.get(path), 404, "not_found")


def test_unknown_api_path_is_json_even_unauthenticated(client):
    response = client.get("/api/environments/1/llm_analytics/nothing/")
    assert response.status_code == 404 and response.mimetype == "application/json"


def test_reference_curl_form_body_under_json_content_type_is_read_as_a_form(api):
    """The documented example sends `-d name="string"` with `Content-Type: application/json`."""
    response = api.post("review_queues/", raw='name=string', content_type="application/json")
    assert response.status_code == 201 and response.get_json()["name"] == "string"


@pytest.mark.parametrize("raw", ["name", "=x", "name=a=b", "{name=x}", "true", "name=x&", "[1,"])
def test_other_non_json_bodies_stay_parse_errors(api, raw):
    assert_error(api.post("review_queues/", raw=raw, content_type="application/json"), 400)
