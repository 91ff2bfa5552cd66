"""`archived=` on the scorer list, read as PostHog reads it (spec §5): never a 400, and every row of its table."""
import pytest

from tests.support.scoring import create_scorer

LIST = "score_definitions/"
ACTIVE, ARCHIVED, ALL, NONE = ["Active"], ["Old"], ["Active", "Old"], []


@pytest.fixture
def names(api):
    create_scorer(api, name="Active")
    old = create_scorer(api, name="Old")
    assert api.patch(f"{LIST}{old['id']}/", {"archived": True}).status_code == 200

    def listed(query_string=None):
        response = api.get(LIST, query_string=query_string)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["count"] == len(body["results"])
        return [d["name"] for d in body["results"]]

    return listed


@pytest.mark.parametrize("value, expected", [
    # absent, empty, whitespace or unrecognised: active only
    (None, ACTIVE), ("", ACTIVE), ("   ", ACTIVE), ("invalid", ACTIVE), ("maybe", ACTIVE), ("yes", ACTIVE),
    ("no", ACTIVE), ("null", ACTIVE),
    ("false", ACTIVE), ("False", ACTIVE),
    ("true", ARCHIVED), ("True", ARCHIVED),
    # recognised by the first layer, unknown to Django's NullBooleanSelect: no filter at all
    ("1", ALL), ("0", ALL), ("TRUE", ALL), ("FALSE", ALL), (" true", ALL), ("true ", ALL), (" false", ALL),
    ("2", NONE),  # active only, and archived: nothing
    ("3", ACTIVE),
])
def test_each_archived_value_lists_what_posthog_lists(names, value, expected):
    assert names(None if value is None else {"archived": value}) == expected


def test_a_repeated_archived_is_read_by_its_last_value(names):
    assert names([("archived", "false"), ("archived", "true")]) == ARCHIVED
    assert names([("archived", "true"), ("archived", "1")]) == ALL


def test_archived_combines_with_the_other_filters(api, names):
    assert names({"archived": "1", "search": "ol"}) == ["Old"]
    assert names({"archived": "true", "kind": "numeric"}) == []
