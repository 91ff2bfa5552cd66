"""Pass/fail on the pages: the review page (each scorer's rule in words, the verdict of what is filled in, the
rule's data for the live verdict), the trace page, the Reviews list with its "Failing only" filter and export
link, the queue page's passed/failed counts per scorer, and the export's `<scorer> passed` column."""
from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from sqlalchemy import update

from reviewapp.extensions import db
from reviewapp.models import TraceReviewScore
from reviewapp.services import queue_items, queues, reviews, scorers
from tests.support.rules import give_rule
from tests.web.workbench import build, form_fields


@pytest.fixture
def wb(factory):
    """The workbench with rules: Answer quality passes Good and Acceptable, Issues passes only Tone, Rating passes
    at 7 or more; Resolved the issue (a boolean) passes Resolved."""
    bench = build(factory)
    give_rule(bench.quality, passing_rule={"categories": ["good", "ok"]})
    give_rule(bench.tags, passing_rule={"categories": ["tone"]})
    give_rule(bench.rating, passing_rule={"operator": "gte", "threshold": 7.0})
    return bench


def text(response) -> str:
    return response.get_data(as_text=True)


def scorer_block(page: str, name: str) -> str:
    start = page.index(f'<span class="scorer-name">{name}</span>')
    return page[page.rindex("<fieldset", 0, start):page.index("</fieldset>", start)]


def shown_verdict(block: str) -> str:
    """Which verdict a scorer shows: the one variant of the page's three that is not hidden."""
    visible = re.findall(r'<span data-verdict-when="(\w+)" (hidden)?', block)
    assert len(visible) == 3, block
    (shown,) = [state for state, hidden in visible if not hidden]
    return shown


def save(wb, trace_id, *, quality=None, tags=None, rating=None, helpful=None, comment=None, actor=None):
    scores = []
    if quality is not None:
        scores.append({"definition_id": str(wb.quality.id), "categorical_values": [quality]})
    if tags is not None:
        scores.append({"definition_id": str(wb.tags.id), "categorical_values": list(tags)})
    if rating is not None:
        scores.append({"definition_id": str(wb.rating.id), "numeric_value": rating})
    if helpful is not None:
        scores.append({"definition_id": str(wb.helpful.id), "boolean_value": helpful})
    return reviews.save_review(wb.project.id, actor or wb.reviewer, trace_id=trace_id, comment=comment,
                               scores=scores, queue_id=wb.queue.id)


def edit_url(wb, trace_id: str) -> str:
    return f"/projects/{wb.project.id}/traces/{trace_id}/review"


# --- the review page ------------------------------------------------------------------------------------

def test_each_scorer_shows_its_rule_in_words_and_its_data_for_the_live_verdict(client, login, wb):
    scorers.create_definition(wb.project.id, wb.admin, name="Length", kind="numeric", config={})
    login(wb.reviewer)
    page = text(client.get(edit_url(wb, "trace-001")))
    quality = scorer_block(page, "Answer quality")
    assert "Good and Acceptable pass" in quality
    assert 'data-pass-rule' in quality and html.unescape(
        re.search(r'data-pass-categories="([^"]*)"', quality).group(1)) == '["good", "ok"]'
    rating = scorer_block(page, "Rating")
    assert "≥ 7 passes" in rating
    assert 'data-pass-operator="gte"' in rating and 'data-pass-threshold="7.0"' in rating
    helpful = scorer_block(page, "Resolved the issue")
    assert "Resolved means pass" in helpful and 'data-true-is-failure="false"' in helpful
    # Nothing picked yet: every verdict neutral.
    assert {shown_verdict(b) for b in (quality, rating, helpful)} == {"none"}
    # A scorer without a rule says so, and has no verdict to switch.
    neutral = scorer_block(page, "Length")
    assert "No passing rule" in neutral and "data-pass-rule" not in neutral and "data-verdict" not in neutral
    # Pass and Fail are words beside a mark, not colour alone.
    assert re.search(r'passfail-pass"[^>]*><span class="passfail-mark" aria-hidden="true">✓</span> Pass</span>',
                     quality)
    assert re.search(r'passfail-fail"[^>]*><span class="passfail-mark" aria-hidden="true">✗</span> Fail</span>',
                     quality)


def test_boolean_true_is_failure_reaches_the_page(client, login, wb):
    give_rule(wb.helpful, true_is_failure=True)
    login(wb.reviewer)
    helpful = scorer_block(text(client.get(edit_url(wb, "trace-001"))), "Resolved the issue")
    assert "Not resolved means pass" in helpful and 'data-true-is-failure="true"' in helpful


def test_a_saved_review_shows_its_stored_verdicts(client, login, wb):
    save(wb, "trace-001", quality="bad", tags=["tone"], rating="7", helpful=False)
    login(wb.reviewer)
    page = text(client.get(edit_url(wb, "trace-001")))
    assert shown_verdict(scorer_block(page, "Answer quality")) == "fail"
    assert shown_verdict(scorer_block(page, "Issues")) == "pass"
    assert shown_verdict(scorer_block(page, "Rating")) == "pass"
    assert shown_verdict(scorer_block(page, "Resolved the issue")) == "fail"
    # What is stored is what the page shows, not a verdict worked out again.
    db.session.execute(update(TraceReviewScore).where(TraceReviewScore.definition_id == wb.rating.id)
                       .values(passed=False))
    db.session.commit()
    page = text(client.get(edit_url(wb, "trace-001")))
    assert shown_verdict(scorer_block(page, "Rating")) == "fail"


def test_a_refused_form_comes_back_with_the_verdicts_of_what_was_entered(client, login, wb):
    login(wb.reviewer)
    url = edit_url(wb, "trace-001")
    page = text(client.get(url))
    response = client.post(url, data={**form_fields(page), f"score-{wb.quality.id}": "ok",
                                      f"score-{wb.rating.id}": "3", f"score-{wb.tags.id}": ["facts", "format", "tone"],
                                      f"score-{wb.helpful.id}": "true"})
    assert response.status_code == 400  # three issues where at most two are allowed
    page = text(response)
    assert shown_verdict(scorer_block(page, "Answer quality")) == "pass"
    assert shown_verdict(scorer_block(page, "Rating")) == "fail"
    assert shown_verdict(scorer_block(page, "Issues")) == "fail"
    assert shown_verdict(scorer_block(page, "Resolved the issue")) == "pass"


# --- the trace page ----------------------------------------------------------------------------------------

def test_trace_page_shows_each_scores_verdict(client, login, wb):
    length = scorers.create_definition(wb.project.id, wb.admin, name="Length", kind="numeric", config={})
    reviews.save_review(wb.project.id, wb.reviewer, trace_id="trace-001", scores=[
        {"definition_id": str(wb.quality.id), "categorical_values": ["good"]},
        {"definition_id": str(wb.rating.id), "numeric_value": "2"},
        {"definition_id": str(length.id), "numeric_value": "120"}])
    login(wb.viewer)
    page = text(client.get(f"/projects/{wb.project.id}/traces/trace-001"))
    section = page[page.index('id="review-heading"'):page.index('id="queue-heading"')]
    assert re.search(r'<dd>Good <span class="passfail passfail-pass" title="Pass: Good and Acceptable pass">', section)
    assert re.search(r'<dd>2 <span class="passfail passfail-fail" title="Fail: ≥ 7 passes">', section)
    assert "<dd>120</dd>" in section  # no rule: no verdict


# --- the Reviews list -----------------------------------------------------------------------------------------

def seed(wb):
    save(wb, "trace-001", quality="good", rating="9", helpful=True, comment="all good")  # passes everything
    save(wb, "trace-002", quality="good", rating="3", helpful=True, comment="low rating")  # fails Rating
    save(wb, "trace-003", quality="bad", helpful=False, comment="bad and unresolved")  # fails two
    queue_items.add_item(wb.project.id, wb.admin, wb.queue.id, "no-scores")
    reviews.save_review(wb.project.id, wb.reviewer, trace_id="no-scores", comment="only a comment")


def reviews_url(wb, query: str = "") -> str:
    return f"/projects/{wb.project.id}/reviews/" + (f"?{query}" if query else "")


def table_of(page: str) -> str:
    return page[page.index("<table"):page.index("</table>")]


def test_reviews_list_shows_each_scores_verdict(client, login, wb):
    seed(wb)
    login(wb.viewer)
    table = table_of(text(client.get(reviews_url(wb))))
    row = table[table.index("trace-002"):table.index("</tr>", table.index("trace-002"))]
    assert re.search(r"<strong>3</strong> <span class=\"passfail passfail-fail\" title=\"Fail: ≥ 7 passes\">", row)
    assert re.search(r"<strong>Good</strong> <span class=\"passfail passfail-pass\"", row)
    assert re.search(r"<strong>Resolved</strong> <span class=\"passfail passfail-pass\" "
                     r"title=\"Pass: Resolved means pass\">", row)


def test_failing_only_lists_reviews_with_a_failing_score(client, login, wb):
    seed(wb)
    login(wb.viewer)
    page = text(client.get(reviews_url(wb, "failing=1")))
    table = table_of(page)
    assert "trace-002" in table and "trace-003" in table
    assert "trace-001" not in table and "no-scores" not in table
    assert re.search(r'name="failing" value="1" checked', page)
    assert re.search(r'<span class="count-pill">2</span>', page)
    # The export link keeps the filter, and the export honours it.
    export = re.search(r'href="([^"]*format=csv[^"]*)"', page).group(1)
    assert "failing=1" in export
    body = list(csv.reader(io.StringIO(text(client.get(html.unescape(export))))))
    assert sorted(row[0] for row in body[1:]) == ["trace-002", "trace-003"]
    # Unticked: everything again.
    assert "trace-001" in table_of(text(client.get(reviews_url(wb))))


def test_failing_only_with_a_scorer_means_failing_that_scorer(client, login, wb):
    seed(wb)
    login(wb.viewer)
    table = table_of(text(client.get(reviews_url(wb, f"scorer={wb.rating.id}&failing=1"))))
    assert "trace-002" in table and "trace-003" not in table and "trace-001" not in table
    table = table_of(text(client.get(reviews_url(wb, f"scorer={wb.helpful.id}&failing=1"))))
    assert "trace-003" in table and "trace-002" not in table


def test_failing_only_combines_with_the_other_filters(client, login, wb):
    seed(wb)
    login(wb.viewer)
    table = table_of(text(client.get(reviews_url(wb, "search=unresolved&failing=1"))))
    assert "trace-003" in table and "trace-002" not in table
    empty = text(client.get(reviews_url(wb, "search=all+good&failing=1")))
    assert "No review matches these filters." in empty and "No review has a failing score here." in empty


def test_failing_only_refuses_a_malformed_value(client, login, wb):
    login(wb.viewer)
    response = client.get(reviews_url(wb, "failing=maybe"))
    assert response.status_code == 400
    assert "“maybe” is not a valid choice for Failing only." in text(response)
    exported = client.get(f"/projects/{wb.project.id}/reviews/export?failing=maybe")
    assert exported.status_code == 400


def test_failing_only_runs_a_fixed_number_of_queries(client, login, wb, count_queries):
    seed(wb)
    login(wb.viewer)
    url = reviews_url(wb, "failing=1")
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for n in range(15):
        reviews.save_review(wb.project.id, wb.admin, trace_id=f"bulk-{n}", scores=[
            {"definition_id": str(wb.quality.id), "categorical_values": ["bad"]},
            {"definition_id": str(wb.rating.id), "numeric_value": "1"},
            {"definition_id": str(wb.helpful.id), "boolean_value": False}])
    client.get(url)
    with count_queries() as many:
        page = text(client.get(url))
    assert "bulk-14" in page
    assert len(many) == len(few), many
    assert any("passed = false" in s or "passed = 0" in s for s in many), many  # in SQL, as the index serves it


# --- the queue page ---------------------------------------------------------------------------------------

def queue_url(wb) -> str:
    return f"/projects/{wb.project.id}/queues/{wb.queue.id}/"


def test_queue_page_counts_passed_and_failed_per_scorer(client, login, wb):
    seed(wb)
    other = queues.create_queue(wb.project.id, wb.admin, "Elsewhere")
    queue_items.add_item(wb.project.id, wb.admin, other.id, "outside")
    reviews.save_review(wb.project.id, wb.admin, trace_id="outside", queue_id=other.id, scores=[
        {"definition_id": str(wb.rating.id), "numeric_value": "1"}])  # another queue's: not counted
    login(wb.admin)
    page = text(client.get(queue_url(wb)))
    section = page[page.index('id="verdicts-heading"'):page.index("</section>", page.index('id="verdicts-heading"'))]
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<th scope="row">([^<]+?)\s*<span.*?</tr>', section, re.S)}
    assert list(rows) == ["Answer quality", "Rating", "Resolved the issue"]  # by name; Issues has no score here
    rating = rows["Rating"]
    assert re.search(r"✓</span> 1<span class=\"visually-hidden\"> passed", rating)
    assert re.search(r"✗</span> 1<span class=\"visually-hidden\"> failed", rating)
    assert "50% of 2" in rating
    # The failed count leads to those reviews.
    link = html.unescape(re.search(r'<a href="([^"]+)"', rows["Answer quality"]).group(1))
    assert f"queue={wb.queue.id}" in link and f"scorer={wb.quality.id}" in link and "failing=1" in link
    table = table_of(text(client.get(link)))
    assert "trace-003" in table and "trace-002" not in table
    assert "67% of 3" in rows["Answer quality"] and "67% of 3" in rows["Resolved the issue"]


def test_queue_page_shows_which_versions_the_verdicts_were_made_under(client, login, wb):
    save(wb, "trace-001", rating="9")
    scorers.new_version(wb.project.id, wb.admin, wb.rating.id, {"min": 0, "max": 10, "step": 0.5})
    give_rule(wb.rating, passing_rule={"operator": "gte", "threshold": 9.5})
    save(wb, "trace-002", rating="9")
    login(wb.viewer)
    page = text(client.get(queue_url(wb)))
    assert "v1–v2" in page and "the passing rule may differ between them" in page
    assert "50% of 2" in page


def test_queue_page_without_verdicts_has_no_pass_fail_section(client, login, wb):
    login(wb.viewer)
    assert 'id="verdicts-heading"' not in text(client.get(queue_url(wb)))


def test_queue_page_query_count_does_not_grow_with_verdicts(client, login, wb, count_queries):
    seed(wb)
    login(wb.viewer)
    client.get(queue_url(wb))
    with count_queries() as few:
        client.get(queue_url(wb))
    for n in range(12):
        definition = scorers.create_definition(wb.project.id, wb.admin, name=f"Check {n:02d}", kind="boolean",
                                               config={})
        queue_items.add_item(wb.project.id, wb.admin, wb.queue.id, f"more-{n}")
        reviews.save_review(wb.project.id, wb.admin, trace_id=f"more-{n}", queue_id=wb.queue.id, scores=[
            {"definition_id": str(definition.id), "boolean_value": n % 2 == 0}])
    client.get(queue_url(wb))
    with count_queries() as many:
        page = text(client.get(queue_url(wb)))
    assert "Check 11" in page
    assert len(many) == len(few), many


# --- the export from the Reviews page -----------------------------------------------------------------------

def test_export_has_a_passed_column_per_scorer(client, login, wb):
    seed(wb)
    login(wb.viewer)
    body = list(csv.reader(io.StringIO(text(client.get(f"/projects/{wb.project.id}/reviews/export?format=csv")))))
    header, rows = body[0], {row[0]: row for row in body[1:]}
    passed = header.index("Rating passed")
    assert header[passed - 2:passed + 1] == ["Rating", "Rating version", "Rating passed"]
    assert rows["trace-001"][passed] == "true" and rows["trace-002"][passed] == "false"
    assert rows["trace-003"][passed] == ""  # no Rating score
    lines = [json.loads(line) for line in text(client.get(
        f"/projects/{wb.project.id}/reviews/export?format=jsonl&failing=1")).splitlines()]
    assert sorted(line["trace_id"] for line in lines) == ["trace-002", "trace-003"]
    by_trace = {line["trace_id"]: line["scores"] for line in lines}
    assert by_trace["trace-003"]["Answer quality"]["passed"] is False
    assert by_trace["trace-002"]["Rating"]["passed"] is False and by_trace["trace-002"]["Answer quality"]["passed"]


def test_a_save_conflict_shows_the_other_reviews_verdicts(client, login, wb):
    login(wb.reviewer)
    url = edit_url(wb, "trace-001")
    page = text(client.get(url))
    save(wb, "trace-001", rating="2", actor=wb.admin)  # someone else reviews it meanwhile
    response = client.post(url, data={**form_fields(page), f"score-{wb.rating.id}": "8", "comment": "Fine."})
    assert response.status_code == 409
    conflict = text(response)
    conflict = conflict[conflict.index('id="conflict"'):conflict.index("</div>", conflict.index('id="conflict"'))]
    assert re.search(r'Rating: 2 <span class="passfail passfail-fail" title="Fail: ≥ 7 passes">', conflict)
    # The reviewer's own input comes back with its verdict.
    assert shown_verdict(scorer_block(text(response), "Rating")) == "pass"
