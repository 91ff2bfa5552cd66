"""trace_reviews/export/: CSV and JSON Lines of every matching review, streamed, with three columns per scorer: its
value, the version it was scored against, and whether it passed that version's rule (true / false / empty)."""
import csv
import io
import json
import tracemalloc

import pytest
from sqlalchemy import insert

from reviewapp.extensions import db
from reviewapp.models import ScoreDefinition, TraceReview, TraceReviewScore, utcnow, uuid7
from reviewapp.services import export
from reviewapp.services.common import as_uuid
from tests.support.api import assert_error
from tests.support.rules import give_rule
from tests.support.scoring import client_with_role, create_review, create_scorer, other_project_client

EXPORT = "trace_reviews/export/"


def rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def lines(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


@pytest.fixture
def scored(api):
    verdict = create_scorer(api, name="Verdict")
    tags = create_scorer(api, name="Tags", config={
        "options": [{"key": "rude", "label": "Rude"}, {"key": "wrong", "label": "Wrong"}],
        "selection_mode": "multiple"})
    rating = create_scorer(api, name="Rating", kind="numeric", config={"step": 0.5})
    correct = create_scorer(api, name="Correct", kind="boolean")
    # Rules: Verdict passes "good", Rating passes at 2 or more, Correct (a boolean) passes true; Tags has none.
    give_rule(db.session.get(ScoreDefinition, as_uuid(verdict["id"])), passing_rule={"categories": ["good"]})
    give_rule(db.session.get(ScoreDefinition, as_uuid(rating["id"])),
              passing_rule={"operator": "gte", "threshold": 2.0})
    inbox = api.post("review_queues/", {"name": "Inbox"}).get_json()
    api.post("review_queue_items/", {"queue_id": inbox["id"], "trace_id": "t1"})
    first = create_review(api, "t1", comment="Rude, and wrong", time_spent_seconds=42.5, scores=[
        {"definition_id": verdict["id"], "categorical_values": ["bad"]},
        {"definition_id": tags["id"], "categorical_values": ["rude", "wrong"]},
        {"definition_id": rating["id"], "numeric_value": 1.5},
        {"definition_id": correct["id"], "boolean_value": False},
    ])
    second = create_review(api, "t2", scores=[{"definition_id": correct["id"], "boolean_value": True}])
    return {"verdict": verdict, "tags": tags, "rating": rating, "correct": correct, "inbox": inbox,
            "first": first, "second": second}


def test_csv_has_fixed_columns_then_three_per_scorer(api, scored):
    response = api.get(EXPORT)
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="trace-reviews-project-') and disposition.endswith('.csv"')
    header, first, second = rows(response)
    assert header == ["trace_id", "comment", "reviewed_by", "created_at", "updated_at", "queue",
                      "time_spent_seconds", "Correct", "Correct version", "Correct passed",
                      "Rating", "Rating version", "Rating passed", "Tags", "Tags version", "Tags passed",
                      "Verdict", "Verdict version", "Verdict passed"]
    assert first == ["t1", "Rude, and wrong", api.user.email, scored["first"]["created_at"],
                     scored["first"]["updated_at"], "Inbox", "42.5", "false", "1", "false", "1.5", "1", "false",
                     "rude|wrong", "1", "", "bad", "1", "false"]
    assert second[:7] == ["t2", "", api.user.email, scored["second"]["created_at"], scored["second"]["updated_at"],
                          "", ""]
    assert second[7:] == ["true", "1", "true", "", "", "", "", "", "", "", "", ""]


def test_jsonl_carries_the_same(api, scored):
    response = api.get(EXPORT + "?format=jsonl")
    assert response.headers["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response.headers["Content-Disposition"].endswith('.jsonl"')
    first, second = lines(response)
    assert {k: v for k, v in first.items() if k != "scores"} == {
        "trace_id": "t1", "comment": "Rude, and wrong", "reviewed_by": api.user.email,
        "created_at": scored["first"]["created_at"], "updated_at": scored["first"]["updated_at"],
        "queue": "Inbox", "time_spent_seconds": 42.5,
    }
    assert first["scores"] == {
        "Correct": {"definition_id": scored["correct"]["id"], "kind": "boolean", "value": False, "version": 1,
                    "passed": False},
        "Rating": {"definition_id": scored["rating"]["id"], "kind": "numeric", "value": 1.5, "version": 1,
                   "passed": False},
        "Tags": {"definition_id": scored["tags"]["id"], "kind": "categorical", "value": ["rude", "wrong"],
                 "version": 1, "passed": None},
        "Verdict": {"definition_id": scored["verdict"]["id"], "kind": "categorical", "value": ["bad"], "version": 1,
                    "passed": False},
    }
    assert second["comment"] is None and list(second["scores"]) == ["Correct"]
    assert second["scores"]["Correct"]["passed"] is True


@pytest.mark.parametrize("stored, in_csv, in_jsonl", [
    ("0.000001", "0.000001", 1e-06),
    ("1000000", "1000000", 1000000),
    ("-2.5", "-2.5", -2.5),
    ("123456789012.125", "123456789012.125", 123456789012.125),
    ("0", "0", 0),
])
def test_numbers_are_written_as_numbers(api, stored, in_csv, in_jsonl):
    """CSV cells in plain decimals (no exponent a spreadsheet would misread), JSON Lines values as JSON numbers;
    the API itself keeps PostHog's decimal strings."""
    rating = create_scorer(api, name="Rating", kind="numeric", config={})
    review = create_review(api, "t1", time_spent_seconds=123456.5,
                           scores=[{"definition_id": rating["id"], "numeric_value": stored}])
    header, row = rows(api.get(EXPORT))
    assert row[header.index("Rating")] == in_csv and row[header.index("time_spent_seconds")] == "123456.5"
    text = api.get(EXPORT + "?format=jsonl").get_data(as_text=True)
    (line,) = [json.loads(line) for line in text.splitlines()]
    value = line["scores"]["Rating"]["value"]
    assert value == in_jsonl and type(value) is type(in_jsonl)
    assert f'"value": {json.dumps(in_jsonl)}' in text and line["time_spent_seconds"] == 123456.5
    assert isinstance(review["scores"][0]["numeric_value"], str)
    assert api.get(f"trace_reviews/{review['id']}/").get_json()["scores"][0]["numeric_value"] == \
        review["scores"][0]["numeric_value"]


def test_version_column_follows_the_pinned_version(api, scored):
    verdict = scored["verdict"]
    api.post(f"score_definitions/{verdict['id']}/new_version/", {"config": {"options": [{"key": "x", "label": "X"}]}})
    create_review(api, "t3", scores=[{"definition_id": verdict["id"], "categorical_values": ["x"]}])
    by_trace = {row[0]: row for row in rows(api.get(EXPORT))[1:]}
    # The verdict too is the pinned version's: version 2 has no passing rule.
    assert by_trace["t1"][-3:] == ["bad", "1", "false"] and by_trace["t3"][-3:] == ["x", "2", ""]


def test_same_filters_as_the_list(api, scored):
    only_t1 = rows(api.get(EXPORT + f"?definition_id={scored['verdict']['id']}"))[1:]
    assert [r[0] for r in only_t1] == ["t1"]
    assert [r[0] for r in rows(api.get(EXPORT + "?search=WRONG"))[1:]] == ["t1"]
    assert [r[0] for r in rows(api.get(EXPORT + "?trace_id=t2"))[1:]] == ["t2"]
    assert [r["trace_id"] for r in lines(api.get(EXPORT + "?format=jsonl&trace_id__in=t1,t2,t9"))] == ["t1", "t2"]
    assert_error(api.get(EXPORT + "?definition_id=nope"), 400, "invalid_input", "definition_id")


def test_deleted_reviews_are_not_exported(api, scored):
    api.delete(f"trace_reviews/{scored['second']['id']}/")
    assert [r[0] for r in rows(api.get(EXPORT))[1:]] == ["t1"]


def test_bad_format_is_400(api):
    assert_error(api.get(EXPORT + "?format=xlsx"), 400, "invalid_choice", "format",
                 "“xlsx” is not a valid choice. Choose csv or jsonl.")


def test_empty_export_is_just_the_header(api):
    assert rows(api.get(EXPORT)) == [["trace_id", "comment", "reviewed_by", "created_at", "updated_at", "queue",
                                      "time_spent_seconds"]]
    assert api.get(EXPORT + "?format=jsonl").get_data(as_text=True) == ""


def test_duplicate_and_clashing_names_get_the_short_id(api):
    first = create_scorer(api, name="Same", kind="boolean")
    second = create_scorer(api, name="Same", kind="boolean")
    clash = create_scorer(api, name="comment", kind="boolean")
    header = rows(api.get(EXPORT))[0]
    labels = [f"{s['name']} ({s['id'].replace('-', '')[-8:]})" for s in (first, second, clash)]
    assert set(header[7:]) == {h for label in labels for h in (label, f"{label} version", f"{label} passed")}
    for label in labels:
        assert header[header.index(label) + 1:header.index(label) + 3] == [f"{label} version", f"{label} passed"]
    assert header[:7] == list(export.FIXED_COLUMNS)  # the fixed "comment" column keeps its name


def test_formula_like_text_is_neutralised_in_csv_only(api):
    create_review(api, "=HYPERLINK(1)", comment="+1 great")
    row = rows(api.get(EXPORT))[1]
    assert row[:2] == ["'=HYPERLINK(1)", "'+1 great"]
    assert lines(api.get(EXPORT + "?format=jsonl"))[0]["trace_id"] == "=HYPERLINK(1)"


def test_pages_through_every_review(api, monkeypatch, count_queries):
    monkeypatch.setattr(export, "PAGE_SIZE", 3)
    correct = create_scorer(api, name="Correct", kind="boolean")
    for i in range(10):
        create_review(api, f"t{i}", scores=[{"definition_id": correct["id"], "boolean_value": i % 2 == 0}])
    with count_queries() as statements:
        exported = rows(api.get(EXPORT))[1:]
    assert sorted(r[0] for r in exported) == [f"t{i}" for i in range(10)]
    assert {r[0]: r[7] for r in exported} == {f"t{i}": "true" if i % 2 == 0 else "false" for i in range(10)}
    page_reads = [s for s in statements if "FROM trace_reviews" in s and "LIMIT" in s]
    assert len(page_reads) == 4  # 3 + 3 + 3 + 1
    assert len(lines(api.get(EXPORT + "?format=jsonl"))) == 10


def test_viewer_may_export_other_projects_may_not(app, api, factory, scored):
    viewer = client_with_role(app, api, factory, "viewer")
    assert len(rows(viewer.get(EXPORT))) == 3
    outsider = other_project_client(app, factory)
    assert_error(outsider.in_project(api.project_id).get(EXPORT), 404, "not_found")
    assert rows(outsider.get(EXPORT))[1:] == []


def _insert_reviews(api, scorer, count, start):
    """Many reviews at once, straight into the tables (the API would take minutes for this many)."""
    now = utcnow()
    reviews = [{"id": uuid7(), "project_id": api.project_id, "trace_id": f"bulk-{start + i:07}",
                "comment": "A comment of ordinary length, about forty-five characters.",
                "reviewed_by_id": api.user.id, "created_by_id": api.user.id, "created_at": now, "updated_at": now}
               for i in range(count)]
    db.session.execute(insert(TraceReview), reviews)
    db.session.execute(insert(TraceReviewScore), [
        {"id": uuid7(), "review_id": r["id"], "project_id": api.project_id, "definition_id": as_uuid(scorer["id"]),
         "definition_version_id": as_uuid(scorer["current_version_id"]), "definition_version": 1,
         "definition_config": {}, "boolean_value": True, "created_at": now, "updated_at": now} for r in reviews])
    db.session.commit()


def _stream_peak(api) -> tuple[int, int]:
    """Consume the export chunk by chunk, keeping nothing; return (lines, peak traced bytes)."""
    tracemalloc.start()
    try:
        response = api.get(EXPORT)
        newlines = sum(chunk.count(b"\n") for chunk in response.response)
        return newlines, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_stays_flat_as_the_export_grows(api, monkeypatch):
    monkeypatch.setattr(export, "PAGE_SIZE", 500)
    scorer = create_scorer(api, name="Correct", kind="boolean")
    _insert_reviews(api, scorer, 2_000, 0)
    small_lines, small_peak = _stream_peak(api)
    _insert_reviews(api, scorer, 18_000, 2_000)
    large_lines, large_peak = _stream_peak(api)
    assert (small_lines, large_lines) == (2_001, 20_001)
    # Ten times the reviews, about the same memory: pages are written out and dropped, never accumulated.
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)


def test_a_scorer_named_like_another_ones_passed_column_gets_the_short_id(api):
    create_scorer(api, name="Tone", kind="boolean")
    clash = create_scorer(api, name="Tone passed", kind="boolean")
    header = rows(api.get(EXPORT))[0]
    label = f"Tone passed ({clash['id'].replace('-', '')[-8:]})"
    assert header[7:] == ["Tone", "Tone version", "Tone passed", label, f"{label} version", f"{label} passed"]
