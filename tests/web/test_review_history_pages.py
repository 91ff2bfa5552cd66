"""The review history from the pages: every save the review page makes (save & next, the trace page's edit form,
a take-over then save, a save over someone else's review) records exactly one entry, and the trace page's
History card tells them, newest first, with deleted reviews included, inert, in a fixed number of queries."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ReviewChange, ReviewQueueItem
from reviewapp.services import reviews, scorers
from tests.web.workbench import build, form_fields, signed_in


@pytest.fixture
def wb(factory):
    return build(factory)


def text(response) -> str:
    return response.get_data(as_text=True)


def changes(trace_id: str) -> list[ReviewChange]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReviewChange).where(ReviewChange.trace_id == trace_id)
                                   .order_by(ReviewChange.created_at, ReviewChange.id)))


def card(html: str) -> str:
    start = html.index('id="history"')
    return html[start:html.index("</section>", start)]


def entries(html: str) -> list[str]:
    """The History card's entries as text, newest first, whitespace collapsed."""
    items = re.findall(r'<li class="history-entry[^"]*">(.*?)</li>\s*(?=<li class="history-entry|</ol>)', card(html),
                       re.S)
    flat = [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]
    return [line.replace("( ", "(").replace(" )", ")") for line in flat]


def quality(wb, key: str) -> dict:
    return {f"score-{wb.quality.id}": key}


def test_save_and_next_records_one_creation(app, wb):
    rita, token = signed_in(app, wb.reviewer)
    location = rita.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/next",
                         data={"csrf_token": token}).location
    page = text(rita.get(location))
    response = rita.post(location, data={**form_fields(page), **quality(wb, "good"), "comment": "Fine."})
    assert response.status_code == 302
    [entry] = changes("trace-001")
    assert (entry.action, entry.actor_id, entry.after["comment"]) == ("created", wb.reviewer.id, "Fine.")
    assert [s["display_value"] for s in entry.after["scores"]] == ["Good"]


def test_the_edit_form_records_an_edit_and_an_unchanged_save_nothing(app, wb):
    reviews.save_review(wb.project.id, wb.reviewer, trace_id="trace-003", comment="first",
                        scores=[{"definition_id": str(wb.quality.id), "categorical_values": ["ok"]}])
    ada, _ = signed_in(app, wb.admin)
    url = f"/projects/{wb.project.id}/traces/trace-003/review"
    page = text(ada.get(url))
    assert ada.post(url, data={**form_fields(page), **quality(wb, "good"), "comment": "second"}).status_code == 302
    created, edited = changes("trace-003")
    assert (edited.action, edited.actor_id) == ("updated", wb.admin.id)
    assert (edited.before, edited.after["comment"]) == (created.after, "second")
    page = text(ada.get(url))  # saved again exactly as shown: nothing new
    assert ada.post(url, data={**form_fields(page), **quality(wb, "good"), "comment": "second"}).status_code == 302
    assert len(changes("trace-003")) == 2
    assert reviews.active_review_for_trace(wb.project.id, "trace-003").created_by_id == wb.reviewer.id


def test_a_refused_save_records_nothing(app, wb):
    rita, _ = signed_in(app, wb.reviewer)
    url = f"/projects/{wb.project.id}/traces/trace-003/review"
    page = text(rita.get(url))
    reviews.save_review(wb.project.id, wb.admin, trace_id="trace-003", comment="Ada was faster", scores=[])
    refused = rita.post(url, data={**form_fields(page), **quality(wb, "good"), "comment": "mine"})
    assert refused.status_code == 409  # reviewed meanwhile: the page asks, nothing is saved
    empty = rita.post(url, data={**form_fields(text(rita.get(url))), "comment": ""})
    assert empty.status_code == 400
    assert [e.action for e in changes("trace-003")] == ["created"]


def test_taking_over_then_saving_records_one_entry_by_the_one_who_took_over(app, wb):
    rita, rita_token = signed_in(app, wb.reviewer)
    rita.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/next", data={"csrf_token": rita_token})
    held = db.session.scalar(select(ReviewQueueItem).where(ReviewQueueItem.trace_id == "trace-001"))
    ada, ada_token = signed_in(app, wb.admin)
    take_over = f"/projects/{wb.project.id}/review/{held.id}/take-over"
    edit = ada.post(take_over, data={"csrf_token": ada_token, "confirmed": "yes"}).location
    assert changes("trace-001") == []  # taking over is not a change to a review
    page = text(ada.get(edit))
    assert ada.post(edit, data={**form_fields(page), **quality(wb, "bad"), "comment": "Ada's"}).status_code == 302
    [entry] = changes("trace-001")
    assert (entry.action, entry.actor_id, entry.after["comment"]) == ("created", wb.admin.id, "Ada's")


def test_the_trace_page_tells_the_history_newest_first_with_both_names(app, wb):
    rating = scorers.create_definition(wb.project.id, wb.admin, name="Answer score", kind="numeric", config={
        "min": 1, "max": 5, "step": 1, "passing_rule": {"operator": "gte", "threshold": 4}})
    score = {"definition_id": str(rating.id)}
    first = reviews.save_review(wb.project.id, wb.reviewer, trace_id="trace-002", comment="Too short.",
                                scores=[{**score, "numeric_value": 3}])
    reviews.save_review(wb.project.id, wb.admin, review_id=first.id, comment="Short but right.",
                        scores=[{**score, "numeric_value": 4},
                                {"definition_id": str(wb.helpful.id), "boolean_value": True}])
    reviews.delete_review(wb.project.id, wb.admin, first.id)
    reviews.save_review(wb.project.id, wb.reviewer, trace_id="trace-002", comment="Again.")
    viewer, _ = signed_in(app, wb.viewer)
    html = text(viewer.get(f"/projects/{wb.project.id}/traces/trace-002"))
    created_again, deleted, edited, created = entries(html)
    assert created_again.startswith("Rita Reviewer reviewed this trace") and "Comment Again." in created_again
    assert deleted.startswith("Ada Admin deleted the review")
    assert "Answer score: 4 v1 (✓ Pass) Resolved the issue: Resolved v1 (✓ Pass)" in deleted
    assert "Its comment Short but right." in deleted
    assert edited.startswith("Ada Admin changed Rita Reviewer’s review")
    assert "Answer score: 3 → 4 (✗ Fail → ✓ Pass)" in edited
    assert "Resolved the issue: added Resolved (✓ Pass)" in edited
    assert "Comment was Too short. Comment now Short but right." in edited
    assert created.startswith("Rita Reviewer reviewed this trace") and "Answer score: 3 v1 (✗ Fail)" in created
    assert "Comment Too short." in created


def test_the_card_says_when_nothing_was_recorded_and_offers_older_changes(app, wb, monkeypatch):
    viewer, _ = signed_in(app, wb.viewer)
    assert "No changes recorded yet." in card(text(viewer.get(f"/projects/{wb.project.id}/traces/trace-001")))
    review = reviews.save_review(wb.project.id, wb.admin, trace_id="trace-001", comment="c0")
    for n in range(1, 4):
        reviews.save_review(wb.project.id, wb.admin, review_id=review.id, comment=f"c{n}")
    from reviewapp.services import review_history

    monkeypatch.setattr(review_history, "SHOWN", 2)
    html = text(viewer.get(f"/projects/{wb.project.id}/traces/trace-001"))
    assert len(entries(html)) == 2 and "Show older changes" in card(html)
    html = text(viewer.get(f"/projects/{wb.project.id}/traces/trace-001?history=all"))
    assert len(entries(html)) == 4 and "Show older changes" not in card(html)


def test_comments_and_labels_in_the_history_are_inert(app, wb):
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    evil = scorers.create_definition(wb.project.id, wb.admin, name='<b id="name">Bold</b>', kind="categorical",
                                     config={"options": [{"key": "x", "label": '<i onclick="alert(3)">X</i>'}]})
    review = reviews.save_review(wb.project.id, wb.admin, trace_id="trace-001", comment=hostile,
                                 scores=[{"definition_id": str(evil.id), "categorical_values": ["x"]}])
    reviews.save_review(wb.project.id, wb.admin, review_id=review.id, comment=hostile + " again")
    viewer, _ = signed_in(app, wb.viewer)
    history = card(text(viewer.get(f"/projects/{wb.project.id}/traces/trace-001")))
    assert "<script>" not in history and "<img" not in history and "<i " not in history and "<b " not in history
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in history
    assert "&lt;i onclick=&#34;alert(3)&#34;&gt;X&lt;/i&gt;" in history
    assert "&lt;b id=&#34;name&#34;&gt;Bold&lt;/b&gt;" in history


def test_the_trace_page_costs_the_same_queries_with_one_or_many_entries(app, wb, count_queries):
    for trace_id, edits in (("trace-001", 0), ("trace-002", 12)):
        review = reviews.save_review(wb.project.id, wb.admin, trace_id=trace_id, comment="c",
                                     scores=[{"definition_id": str(wb.quality.id), "categorical_values": ["ok"]}])
        for n in range(edits):
            reviews.save_review(wb.project.id, wb.reviewer if n % 2 else wb.admin, review_id=review.id,
                                comment=f"c{n}", scores=[{"definition_id": str(wb.quality.id),
                                                          "categorical_values": ["good" if n % 2 else "bad"]}])
    viewer, _ = signed_in(app, wb.viewer)

    def queries(trace_id: str) -> tuple[int, int]:
        url = f"/projects/{wb.project.id}/traces/{trace_id}"
        db.session.expire_all()
        with count_queries() as statements:
            html = text(viewer.get(url))
        return len(statements), len(entries(html))

    one, one_shown = queries("trace-001")
    many, many_shown = queries("trace-002")
    assert (one_shown, many_shown) == (1, 13)
    assert one == many
