"""The export's long form (a row per judgment and scorer) and wide form (a row per trace, a column per reviewer
and scorer), as CSV and JSON Lines, from the API and the Reviews page, with blind review applied."""
from __future__ import annotations

import csv
import io
import json

import pytest

from reviewapp.extensions import db
from reviewapp.models import Judgment, TraceReview
from reviewapp.services import export, reviews
from tests.support import judgment_rows, panel_reviews
from tests.support.api import ApiClient, assert_error

EXPORT = "trace_reviews/export/"


@pytest.fixture
def panel(factory):
    return panel_reviews.build(factory)


@pytest.fixture
def admin_api(app, factory, panel):
    return ApiClient(app.test_client(), panel.project.id, factory.api_key(panel.ada), user=panel.ada,
                     project=panel.project)


def rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def judged_at(panel, trace_id: str, who: str) -> str:
    return export.iso(db.session.get(Judgment, panel.judgments[(trace_id, who)].id).updated_at)


def test_the_long_form_has_a_row_per_judgment_and_scorer(admin_api, panel):
    response = admin_api.get(f"{EXPORT}?form=long")
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="trace-reviews-long-project-{panel.project.id}-')
    rita, ada = panel.rita.email, panel.ada.email
    alone_at = export.iso(db.session.get(TraceReview, panel.single.id).updated_at)
    assert rows(response) == [
        ["trace_id", "queue", "reviewer", "scorer", "version", "value", "passed", "comment", "judged_at",
         "final value", "resolution"],
        ["t-agree", "Pairs", rita, "Quality", "1", "good", "true", "Fine", judged_at(panel, "t-agree", "rita"),
         "good", "consensus"],
        ["t-agree", "Pairs", rita, "Rating", "1", "7", "true", "Fine", judged_at(panel, "t-agree", "rita"), "7",
         "consensus"],
        ["t-agree", "Pairs", ada, "Quality", "1", "good", "true", "", judged_at(panel, "t-agree", "ada"), "good",
         "consensus"],
        ["t-agree", "Pairs", ada, "Rating", "1", "7", "true", "", judged_at(panel, "t-agree", "ada"), "7",
         "consensus"],
        ["t-split", "Pairs", rita, "Quality", "1", "bad", "false", "", judged_at(panel, "t-split", "rita"), "good",
         "adjudicated"],
        ["t-split", "Pairs", rita, "Rating", "1", "3", "false", "", judged_at(panel, "t-split", "rita"), "4",
         "adjudicated"],
        ["t-split", "Pairs", ada, "Quality", "1", "good", "true", "Rating n/a", judged_at(panel, "t-split", "ada"),
         "good", "adjudicated"],
        ["t-alone", "", rita, "Quality", "1", "bad", "false", "", alone_at, "bad", "single"],
    ]


def test_the_long_form_as_json_lines(admin_api, panel):
    lines = [json.loads(line) for line in admin_api.get(f"{EXPORT}?form=long&format=jsonl")
             .get_data(as_text=True).splitlines()]
    assert len(lines) == 8
    assert lines[5] == {"trace_id": "t-split", "queue": "Pairs", "reviewer": panel.rita.email, "scorer": "Rating",
                        "version": 1, "value": 3, "passed": False, "comment": None,
                        "judged_at": judged_at(panel, "t-split", "rita"), "final value": 4,
                        "resolution": "adjudicated"}


def test_the_wide_form_has_a_column_per_reviewer_and_scorer(admin_api, panel):
    rita, ada = panel.rita.email, panel.ada.email
    assert rows(admin_api.get(f"{EXPORT}?form=wide")) == [
        ["trace_id", "queue", "Quality", "Rating", "resolution", f"{ada} · Quality", f"{ada} · Rating",
         f"{rita} · Quality", f"{rita} · Rating"],
        ["t-agree", "Pairs", "good", "7", "consensus", "good", "7", "good", "7"],
        ["t-split", "Pairs", "good", "4", "adjudicated", "good", "", "bad", "3"],
        ["t-alone", "", "bad", "", "single", "", "", "bad", ""],
    ]


def test_the_wide_form_as_json_lines(admin_api, panel):
    lines = [json.loads(line) for line in admin_api.get(f"{EXPORT}?form=wide&format=jsonl")
             .get_data(as_text=True).splitlines()]
    assert lines[1] == {"trace_id": "t-split", "queue": "Pairs", "Quality": ["good"], "Rating": 4,
                        "resolution": "adjudicated", f"{panel.ada.email} · Quality": ["good"],
                        f"{panel.ada.email} · Rating": None, f"{panel.rita.email} · Quality": ["bad"],
                        f"{panel.rita.email} · Rating": 3}


def test_the_default_export_is_unchanged(admin_api, panel):
    header = rows(admin_api.get(EXPORT))[0]
    assert header[:7] == ["trace_id", "comment", "reviewed_by", "created_at", "updated_at", "queue",
                          "time_spent_seconds"]
    assert "resolution" not in header


def test_an_unknown_form_is_refused(admin_api):
    assert_error(admin_api.get(f"{EXPORT}?form=tall"), 400, "invalid_choice", "form",
                 "“tall” is not a valid choice. Choose long or wide.")


def test_the_exports_filter_like_the_list(admin_api, panel):
    long = rows(admin_api.get(f"{EXPORT}?form=long&trace_id=t-split"))
    assert {row[0] for row in long[1:]} == {"t-split"}


def test_the_wide_form_runs_in_pages(admin_api, panel, monkeypatch):
    monkeypatch.setattr(export, "PAGE_SIZE", 1)
    assert [row[0] for row in rows(admin_api.get(f"{EXPORT}?form=wide"))[1:]] == ["t-agree", "t-split", "t-alone"]
    assert len(rows(admin_api.get(f"{EXPORT}?form=long"))) == 9


def hide_a_review(panel):
    """A trace with a review, pending again in a blind queue: hidden from a reviewer who has not judged it."""
    reviews.save_review(panel.project.id, panel.ada, trace_id="t-hidden", scores=panel_reviews.answers(
        (panel.quality, panel.rating), "good", None))
    blind = judgment_rows.queue(panel.project.id, "Blind pairs", per_trace=2, blind=True)
    return judgment_rows.item(blind, "t-hidden")


def test_blind_review_applies_to_every_form_of_the_api_export(app, factory, admin_api, panel):
    row = hide_a_review(panel)
    rita_api = ApiClient(app.test_client(), panel.project.id, factory.api_key(panel.rita), user=panel.rita,
                         project=panel.project)
    for form in ("", "long", "wide"):
        assert "t-hidden" not in rita_api.get(f"{EXPORT}?form={form}").get_data(as_text=True), form
        assert "t-hidden" in admin_api.get(f"{EXPORT}?form={form}").get_data(as_text=True), form
    assert "t-hidden" not in {r["trace_id"] for r in rita_api.get("trace_reviews/").get_json()["results"]}
    judgment_rows.judge(row, panel.rita, [])
    assert "t-hidden" in rita_api.get(f"{EXPORT}?form=long").get_data(as_text=True)


def test_blind_review_applies_to_the_reviews_page_export(client, login, panel):
    hide_a_review(panel)
    login(panel.rita)
    for form in ("", "long", "wide"):
        response = client.get(f"/projects/{panel.project.id}/reviews/export?format=csv&form={form}")
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "t-hidden" not in body and "t-agree" in body, form
    wide = client.get(f"/projects/{panel.project.id}/reviews/export?format=jsonl&form=wide")
    assert wide.headers["Content-Disposition"].startswith(
        f'attachment; filename="trace-reviews-wide-project-{panel.project.id}-')
    assert client.get(f"/projects/{panel.project.id}/reviews/export?form=tall").status_code == 400


def test_each_page_of_the_long_and_wide_forms_reads_its_judgments_in_one_query(admin_api, panel, monkeypatch,
                                                                                count_queries):
    monkeypatch.setattr(export, "PAGE_SIZE", 2)  # pages: [t-agree, t-split], [t-alone]
    for form in ("long", "wide"):
        with count_queries() as statements:
            assert "t-alone" in admin_api.get(f"{EXPORT}?form={form}").get_data(as_text=True)
        page_reads = [s for s in statements if "FROM trace_reviews" in s and "LIMIT" in s]
        judgment_reads = [s for s in statements if s.startswith("SELECT judgments.")]
        assert (len(page_reads), len(judgment_reads)) == (2, 1), form  # the second page has no settled review
