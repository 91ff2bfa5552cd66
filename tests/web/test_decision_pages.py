"""The decision pages: a queue's "Needs a decision" list and the page where an admin settles a disagreement,
without JavaScript (plain forms)."""
from __future__ import annotations

import html
import re

import pytest

from reviewapp.services import adjudication, queue_items, reviews
from tests.support.judgments import disagree, three_judges
from tests.web.workbench import signed_in, store_trace


@pytest.fixture
def case(factory):
    return three_judges(factory, traces=3, waiting=2)


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def list_url(case) -> str:
    return f"/projects/{case.wb.project.id}/queues/{case.wb.queue.id}/decisions/"


def page_url(case, item) -> str:
    return f"/projects/{case.wb.project.id}/decisions/{item.id}"


def test_the_queue_page_links_to_the_decisions_with_their_count(app, case):
    admin, _ = signed_in(app, case.wb.admin)
    page = text(admin.get(f"/projects/{case.wb.project.id}/queues/{case.wb.queue.id}/"))
    assert "Needs a decision (2)" in page and list_url(case) in page
    reviewer, _ = signed_in(app, case.wb.reviewer)
    # Reviewers see each trace's state, not the way to decide it.
    assert list_url(case) not in text(reviewer.get(f"/projects/{case.wb.project.id}/queues/{case.wb.queue.id}/"))


def test_the_list_shows_the_waiting_traces_oldest_first_with_who_judged_and_where_they_differ(app, case):
    admin, _ = signed_in(app, case.wb.admin)
    response = admin.get(list_url(case))
    assert response.status_code == 200
    page = text(response)
    assert "<title>Needs a decision (2) · Support answers" in page
    assert page.index("Support chat 1") < page.index("Support chat 2")
    assert "Support chat 3" not in page  # still collecting judgments
    assert "Rita Reviewer, Bob Brown, Cleo Chen" in page
    assert 'Answer quality</span> <span class="tag tag-differ">Rating' in page


def test_the_list_is_for_admins_only(app, case):
    for user in (case.wb.reviewer, case.wb.viewer):
        client, _ = signed_in(app, user)
        assert client.get(list_url(case)).status_code == 403
        assert client.get(page_url(case, case.item)).status_code == 403


def test_an_empty_list_says_so(app, factory):
    empty = three_judges(factory, traces=1, waiting=0)
    admin, _ = signed_in(app, empty.wb.admin)
    page = text(admin.get(list_url(empty)))
    assert "Needs a decision (0)" in page and "Nothing needs a decision in this queue." in page


def test_the_list_runs_a_fixed_number_of_queries(app, case, count_queries):
    admin, _ = signed_in(app, case.wb.admin)
    admin.get(list_url(case))
    with count_queries() as few:
        assert admin.get(list_url(case)).status_code == 200
    for n in range(6):
        trace_id = f"more-{n}"
        store_trace(case.wb.project.id, trace_id, name=f"More {n}")
        item = queue_items.add_item(case.wb.project.id, case.wb.admin, case.wb.queue.id, trace_id)
        disagree(item, [(case.wb.reviewer, [case.quality("good")], None), (case.bob, [case.quality("bad")], "no"),
                        (case.cleo, [case.quality("ok")], None)])
    admin.get(list_url(case))  # warm up, as before the first count: the test's session outlives requests
    with count_queries() as many:
        assert admin.get(list_url(case)).status_code == 200
    assert "More 5" in text(admin.get(list_url(case)))
    assert len(many) == len(few), many


def test_the_decision_page_shows_the_judgments_side_by_side_with_differences_marked(app, case):
    admin, _ = signed_in(app, case.wb.admin)
    page = text(admin.get(page_url(case, case.item)))
    for name in ("Rita Reviewer", "Bob Brown", "Cleo Chen"):
        assert name in page
    assert "Answer quality</span> <span class=\"badge badge-differ\">differ</span>" in page
    assert "differ · spread 4.5" in page  # Rating: 8, 3.5 and 7
    assert "Resolved the issue</span> <span class=\"badge badge-muted\">agree</span>" in page
    assert "The refund policy is wrong." in page and "Looks right to me." in page
    assert "Support chat 1" in page  # the trace view beside it
    # Where they agree a judgment's value is taken already; where they differ nothing is chosen yet.
    helpful = f"choice-{case.wb.helpful.id}"
    quality = f"choice-{case.wb.quality.id}"
    assert re.search(rf'name="{helpful}" value="j1" checked', page)
    assert not re.search(rf'name="{quality}" value="[^"]+" checked', page)


def choose(case, **picked) -> dict:
    """The form as a browser without JavaScript sends it."""
    wb = case.wb
    form = {f"version-{d.id}": str(d.current_version_id) for d in wb.scorers}
    for name, value in picked.items():
        form[f"choice-{getattr(wb, name).id}"] = value
    return form


def test_saving_a_decision_writes_the_final_review_and_goes_to_the_next(app, case):
    wb = case.wb
    admin, token = signed_in(app, wb.admin)
    form = choose(case, quality="j2", rating="own", helpful="j1", tags="j1")
    form.update({f"score-{wb.rating.id}": "6.5", "comment": "Bob saw the refund problem.", "csrf_token": token})
    response = admin.post(page_url(case, case.item), data=form)
    assert response.status_code == 302
    following = adjudication.next_waiting(wb.project.id, wb.queue.id)
    assert response.location.endswith(page_url(case, following))
    review = reviews.active_review_for_trace(wb.project.id, "trace-001")
    assert review.resolution == "adjudicated" and review.reviewed_by_id == wb.admin.id
    assert review.comment == "Bob saw the refund problem."
    assert {s.definition.name: (s.categorical_values, s.numeric_value, s.boolean_value) for s in review.scores} == {
        "Answer quality": (["bad"], None, None), "Rating": (None, 6.5, None), "Resolved the issue": (None, None, True)}
    page = text(admin.get(response.location))
    assert "Decided trace-001: its final review is saved." in page and "Needs a decision (1)" in page


def test_the_last_decision_goes_back_to_the_list(app, factory):
    one = three_judges(factory, traces=1, waiting=1)
    admin, token = signed_in(app, one.wb.admin)
    form = choose(one, quality="j1", rating="j3", helpful="j1", tags="j1") | {"csrf_token": token}
    response = admin.post(page_url(one, one.item), data=form)
    assert response.status_code == 302 and response.location.endswith(list_url(one))
    assert "Nothing needs a decision in this queue." in text(admin.get(response.location))


def test_a_scorer_left_undecided_comes_back_with_the_input_kept(app, case):
    wb = case.wb
    admin, token = signed_in(app, wb.admin)
    form = choose(case, quality="j2", helpful="j1", tags="j1")  # Rating: nothing chosen
    form.update({f"score-{wb.rating.id}": "6", "comment": "Keep this note.", "csrf_token": token})
    response = admin.post(page_url(case, case.item), data=form)
    assert response.status_code == 400
    page = text(response)
    assert "Choose a value: take a judgment's, or enter your own." in page
    assert "Keep this note.</textarea>" in page
    assert re.search(rf'name="choice-{wb.quality.id}" value="j2" checked', page)
    assert f'name="score-{wb.rating.id}" value="6"' in page
    assert reviews.active_review_for_trace(wb.project.id, "trace-001") is None


def test_a_refused_own_value_is_shown_beside_its_scorer_with_the_input_kept(app, case):
    wb = case.wb
    admin, token = signed_in(app, wb.admin)
    form = choose(case, quality="j1", rating="own", helpful="j1", tags="j1")
    form.update({f"score-{wb.rating.id}": "12", "comment": "My note", "csrf_token": token})
    response = admin.post(page_url(case, case.item), data=form)
    assert response.status_code == 400
    page = text(response)
    assert "Value 12 is above the maximum 10." in page
    assert f'name="score-{wb.rating.id}" value="12"' in page and "My note</textarea>" in page
    assert re.search(rf'name="choice-{wb.rating.id}" value="own" data-own-choice checked', page)


def test_deciding_an_item_someone_decided_meanwhile_is_refused_with_the_input_kept(app, case):
    wb = case.wb
    admin, token = signed_in(app, wb.admin)
    adjudication.decide(wb.project.id, wb.admin, case.item.id, scores=[case.quality("ok")], comment="first")
    form = choose(case, quality="j2", rating="j1", helpful="j1", tags="j1")
    form.update({"comment": "Too late?", "csrf_token": token})
    response = admin.post(page_url(case, case.item), data=form)
    assert response.status_code == 409
    page = text(response)
    assert "This trace was already settled by Ada Admin: your decision was not saved." in page
    assert "Too late?</textarea>" in page
    assert re.search(rf'name="choice-{wb.quality.id}" value="j2" checked', page)
    assert reviews.active_review_for_trace(wb.project.id, "trace-001").comment == "first"


def test_a_trace_not_waiting_for_a_decision_says_why_and_offers_no_save(app, case):
    wb = case.wb
    admin, _ = signed_in(app, wb.admin)
    pending = wb.items()[2]
    page = text(admin.get(page_url(case, pending)))
    assert "This trace is not waiting for a decision: its judgments are not all in yet." in page
    assert re.search(r'<button type="submit" class="btn btn-primary" title="Ctrl\+Enter" disabled>', page)
    adjudication.decide(wb.project.id, wb.admin, case.item.id, scores=[case.quality("ok")], comment=None)
    settled = text(admin.get(page_url(case, case.item)))
    assert "This trace is settled: its final review by Ada Admin was saved" in settled
