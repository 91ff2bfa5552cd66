"""Past 10,000 matches the traces list stops counting (an exact count read every trace of the project): the page
says "10,000+", the API says `count_is_capped`, and both still page on while pages are full."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert

from reviewapp.extensions import db
from reviewapp.models import Trace
from reviewapp.services import traces
from tests.traces.helpers import BASE_TIME, sign_in

PAST_THE_CAP = traces.COUNT_CAP + 1


@pytest.fixture
def project(factory):
    """A project of 10,001 traces, t00000 the oldest. Their summary rows are written straight to the table:
    ingesting that many traces would take a minute, and the list reads only these rows."""
    project = factory.project()
    db.session.execute(insert(Trace), [
        {"project_id": project.id, "trace_id": f"t{n:05d}", "first_timestamp": BASE_TIME + timedelta(seconds=n),
         "last_timestamp": BASE_TIME + timedelta(seconds=n), "models": []}
        for n in range(PAST_THE_CAP)
    ])
    db.session.commit()
    return project


def test_the_count_stops_past_the_cap_and_says_so(project):
    rows, count = traces.list_traces(project.id, limit=1)
    assert [row.trace.trace_id for row in rows] == ["t10000"]
    assert count == PAST_THE_CAP
    assert traces.shown_count(count) == (10_000, True)
    # Exactly at the cap is an exact count.
    last_second = (BASE_TIME + timedelta(seconds=9_999)).isoformat()
    _, count = traces.list_traces(project.id, date_to=last_second, limit=1)
    assert traces.shown_count(count) == (10_000, False)


def test_the_page_shows_10000_plus_and_pages_on_past_the_cap(client, factory, project):
    viewer = factory.user(project=project, role="viewer")
    url = f"/projects/{project.id}/traces/"
    sign_in(client, viewer, url)

    first = client.get(url).get_data(as_text=True)
    assert '<span class="count-pill">10,000+</span>' in first
    assert "1–50 of 10,000+ traces" in first and "Page 1 of" not in first
    assert f'rel="next" href="{url}?page=2"' in first

    # Page 200 ends at the cap and is full, so page 201 is offered; it holds the one trace past the cap.
    at_cap = client.get(url + "?page=200").get_data(as_text=True)
    assert "9,951–10,000 of 10,000+ traces" in at_cap
    assert f'rel="next" href="{url}?page=201"' in at_cap
    past = client.get(url + "?page=201").get_data(as_text=True)
    assert re.findall(r'name="trace_ids" value="([^"]+)"', past) == ["t00000"]
    assert "10,001–10,001 of 10,000+ traces" in past
    assert 'rel="next"' not in past and '<span class="btn btn-small" aria-disabled="true">Next →</span>' in past


def test_the_api_caps_count_and_pages_on_while_pages_are_full(factory, project, app):
    from tests.support.api import ApiClient

    user = factory.user(project=project, role="viewer")
    api = ApiClient(app.test_client(), project.id, factory.api_key(user, scopes="*"), user=user, project=project)

    body = api.get("traces/?limit=2").get_json()
    assert (body["count"], body["count_is_capped"]) == (10_000, True)
    assert [r["trace_id"] for r in body["results"]] == ["t10000", "t09999"]

    full = api.get("traces/?limit=1&offset=10000").get_json()
    assert [r["trace_id"] for r in full["results"]] == ["t00000"]
    assert full["next"].endswith("traces/?limit=1&offset=10001")
    after = api.get(full["next"]).get_json()
    assert (after["results"], after["next"], after["count_is_capped"]) == ([], None, True)

    short = api.get("traces/?limit=100&offset=9950").get_json()
    assert len(short["results"]) == 51 and short["next"] is None
