"""The traces list's search: a trace is found by any piece of its id, name, input, output or user, in any case,
within its project, as the trace stands now, whatever characters the term holds. (SQLite answers terms of 3 or
more characters from its FTS5 trigram index, shorter ones by a scan; PostgreSQL from its pg_trgm index.)"""
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import delete, select

from reviewapp.extensions import db
from reviewapp.models import Project, Trace
from reviewapp.services import traces
from tests.conftest import IS_POSTGRES
from tests.traces.helpers import at, chat_trace, event, generation, sign_in, store


def found(project_id, term):
    rows, count = traces.list_traces(project_id, search=term)
    assert count == len(rows)
    return sorted(row.trace.trace_id for row in rows)


@pytest.fixture
def project(factory):
    return factory.project()


@pytest.mark.parametrize("term, expected", [
    ("KOUT-42", ["checkout-4271"]),  # trace id
    ("und BO", ["named"]),  # name
    ("APITAL OF PE", ["asks"]),  # input preview
    ("ma is th", ["asks"]),  # output preview
    ("Omer-99", ["by-user"]),  # distinct id
    ("bo", ["named"]),  # under 3 characters: no trigram to look up, the same answer
    ("17", ["by-user"]),
    ("no such thing", []),
])
def test_a_piece_of_any_searched_column_in_any_case_finds_the_trace(project, term, expected):
    chat_trace(project.id, "checkout-4271")
    chat_trace(project.id, "named", name="Refund Bot")
    chat_trace(project.id, "asks", question="What is the capital of Peru?", answer="Lima is the capital.")
    chat_trace(project.id, "by-user", distinct_id="customer-9917")
    assert found(project.id, term) == expected
    assert found(project.id, term.swapcase()) == expected


@pytest.mark.parametrize("term", ["ße nach Kö", "Köln", "🙂🙃🙂", "🙃🙂 ok", "東京都"])
def test_text_beyond_ascii_is_found(project, term):
    chat_trace(project.id, "unicode", question="Straße nach Köln, dann 東京都 🙂🙃🙂 ok?")
    chat_trace(project.id, "ascii", question="Strasse nach Koeln")
    assert found(project.id, term) == ["unicode"]


@pytest.mark.skipif(IS_POSTGRES, reason="PostgreSQL's ILIKE folds case by the database's LC_CTYPE")
def test_on_sqlite_a_term_of_three_characters_or_more_finds_accented_letters_in_any_case(project):
    chat_trace(project.id, "french", question="ÉCOLE NORMALE")
    assert found(project.id, "école") == ["french"]


def test_a_later_batch_that_changes_the_output_changes_what_finds_the_trace(project):
    chat_trace(project.id, "t", minutes=0, question="Where is my parcel?", answer="It left the depot.")
    assert found(project.id, "left the depot") == ["t"]
    store(project.id, [generation("t", at(5), input=[{"role": "user", "content": "Where is my parcel?"}],
                                  output=[{"role": "assistant", "content": "Delivered to your neighbour."}])])
    assert found(project.id, "to your neighbour") == ["t"]
    assert found(project.id, "left the depot") == []
    assert found(project.id, "my parcel") == ["t"]


def test_a_later_batch_that_leaves_the_text_alone_keeps_the_trace_found(project):
    chat_trace(project.id, "t", minutes=0, question="Where is my parcel?", answer="It left the depot.")
    store(project.id, [event("$ai_metric", "t", at(5), metric_name="helpfulness", metric_value=4)])
    assert db.session.scalar(select(Trace.event_count).where(Trace.trace_id == "t")) == 2  # the row was updated
    assert found(project.id, "left the depot") == ["t"]
    assert found(project.id, "my parcel") == ["t"]


def test_a_trace_deleted_with_its_project_is_never_found_again(factory, project):
    doomed = factory.project()
    chat_trace(doomed.id, "doomed", question="Needle in the haystack")
    doomed_row_id = db.session.scalar(select(Trace.id).where(Trace.trace_id == "doomed"))
    db.session.execute(delete(Project).where(Project.id == doomed.id))  # its traces go by ON DELETE CASCADE
    db.session.commit()
    assert db.session.scalar(select(Trace.id).where(Trace.trace_id == "doomed")) is None

    # SQLite gives the next trace the row id the deleted one had: the index must not still hold the old text.
    chat_trace(project.id, "next", question="Something else entirely")
    if not IS_POSTGRES:
        assert db.session.scalar(select(Trace.id).where(Trace.trace_id == "next")) == doomed_row_id
    assert found(project.id, "needle in the") == []
    assert found(project.id, "something else") == ["next"]


def test_another_projects_trace_is_never_found(factory, project):
    other = factory.project()
    chat_trace(project.id, "mine", question="Shared words in both projects")
    chat_trace(other.id, "theirs", question="Shared words in both projects")
    chat_trace(other.id, "theirs-only", question="Words only they have")
    assert found(project.id, "shared words") == ["mine"]
    assert found(project.id, "only they") == []
    assert found(other.id, "shared words") == ["theirs"]


ODD_TEXT = "odd \"quoted\" AND OR NOT NEAR(a b) a:b -x * ^start {col} (paren) 'single' back\\slash 100% a_b"
# Each is a piece of ODD_TEXT, so each finds the odd trace and only it: nothing typed is search syntax.
SPECIAL_TERMS = ['"', '"quoted"', '"quoted', "*", "b) a:b -x *", "AND", "AND OR NOT", "NEAR(", "NEAR(a b)",
                 "a:b", "-x", "^start", "{col}", "(paren)", "'single'", "back\\slash", "100%", "a_b", "%", "_"]


@pytest.fixture
def odd_project(api):
    """The API client's project, holding a trace whose input is full of search syntax, and a plain one."""
    chat_trace(api.project_id, "odd", question=ODD_TEXT)
    chat_trace(api.project_id, "plain", question="What is the capital of France?")
    return api.project


def api_search(api, term):
    response = api.get(f"/api/projects/{api.project_id}/llm_analytics/traces/?{urlencode({'search': term})}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [trace["id"] for trace in response.get_json()["results"]]


@pytest.mark.parametrize("term", SPECIAL_TERMS)
def test_search_syntax_in_the_term_is_literal_in_the_api(api, odd_project, term):
    assert api_search(api, term) == ["odd"]


@pytest.mark.parametrize("term", ['"AND" NOT *', "NEAR(x y) OR -", "🙂🙃🙂", "a:b:c", '""', '"' * 5])
def test_search_syntax_that_matches_nothing_finds_nothing(api, odd_project, term):
    assert api_search(api, term) == []


@pytest.mark.parametrize("term", SPECIAL_TERMS)
def test_search_syntax_in_the_term_is_literal_on_the_page(client, factory, odd_project, term):
    viewer = factory.user(project=odd_project, role="viewer")
    sign_in(client, viewer, f"/projects/{odd_project.id}/traces/")
    response = client.get(f"/projects/{odd_project.id}/traces/?{urlencode({'search': term})}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert re.findall(r'name="trace_ids" value="([^"]+)"', response.get_data(as_text=True)) == ["odd"]
