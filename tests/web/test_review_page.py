"""The review page: claiming with a lease, the scoring panel by kind, save & next, validation beside the scorer,
skip, previous, lost claims, time spent, editing from the trace page, and the reviews list with its export."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import ReviewQueueItem, ReviewSkip, TraceReview, utcnow
from reviewapp.services import claims, queue_items, queues, reviews, scorers
from tests.web.workbench import build, form_fields, signed_in


@pytest.fixture
def wb(factory):
    return build(factory)


def text(response) -> str:
    return response.get_data(as_text=True)


def start(client, wb, token):
    response = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/next", data={"csrf_token": token})
    assert response.status_code == 302, text(response)
    return response.location


def item_id_of(location: str) -> str:
    return location.rsplit("/", 1)[1]


def answers(wb, *, quality="good", tags=("tone",), rating="7.5", helpful="true", comment="Fine answer."):
    data = {"comment": comment}
    if quality is not None:
        data[f"score-{wb.quality.id}"] = quality
    if tags is not None:
        data[f"score-{wb.tags.id}"] = list(tags)
    if rating is not None:
        data[f"score-{wb.rating.id}"] = rating
    if helpful is not None:
        data[f"score-{wb.helpful.id}"] = helpful
    return data


def submit(client, location: str, page_html: str, data: dict):
    """Post the review form of a rendered page, as a browser would: its hidden fields plus the answers."""
    return client.post(location, data={**form_fields(page_html), **data})


def active_review(wb, trace_id):
    return reviews.active_review_for_trace(wb.project.id, trace_id)


def scorer_block(page: str, name: str) -> str:
    start_at = page.index(f'<span class="scorer-name">{name}</span>')
    return page[start_at:page.index("</fieldset>", start_at)]


# --- claiming and the page ----------------------------------------------------------------------------

def test_review_page_shows_the_trace_beside_every_scorer_by_kind(app, login, client, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    assert "Support chat 1" in page and "Where is my order?" in page  # the trace view
    assert "Judge the <strong>answer</strong>" in page  # the queue's instructions
    single = scorer_block(page, "Answer quality")
    assert single.count('type="radio"') == 3 and ">Acceptable<" in single
    multiple = scorer_block(page, "Issues")
    assert multiple.count('type="checkbox"') == 4 and "Choose 1–2" in multiple
    numeric = scorer_block(page, "Rating")
    assert 'type="number"' in numeric and 'min="0.0"' in numeric and 'max="10.0"' in numeric and 'step="0.5"' in numeric
    assert "0 to 10, step 0.5" in numeric
    boolean = scorer_block(page, "Resolved the issue")
    assert ">Resolved<" in boolean and ">Not resolved<" in boolean
    assert page.index("Answer quality") < page.index("Issues") < page.index("Rating")  # by name
    assert 'id="review-comment"' in page and "Save &amp; next" in page and "Skip" in page
    assert "/static/review.js" in page
    assert "v1" in single


def test_review_js_is_loaded_only_on_the_review_page(client, login, wb):
    login(wb.reviewer)
    assert "review.js" not in text(client.get(f"/projects/{wb.project.id}/queues/"))
    assert "review.js" not in text(client.get(f"/projects/{wb.project.id}/queues/{wb.queue.id}/"))


def test_the_queue_chosen_scorers_only_and_in_its_order(client, login, wb):
    queues.update_queue(wb.project.id, wb.admin, wb.queue.id, {"scorer_ids": [str(wb.rating.id), str(wb.quality.id)]})
    token = login(wb.reviewer)
    page = text(client.get(start(client, wb, token)))
    assert page.index(">Rating<") < page.index(">Answer quality<")
    assert ">Issues<" not in page and ">Resolved the issue<" not in page


def test_a_trace_not_stored_yet_shows_a_note_with_its_id(client, login, factory):
    wb = build(factory, traces=1, stored=False)
    token = login(wb.reviewer)
    page = text(client.get(start(client, wb, token)))
    assert "Trace not stored yet" in page and "trace-001" in page


def test_opening_the_page_renews_the_lease(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    item = db.session.get(ReviewQueueItem, queues.as_uuid(item_id_of(location)))
    item.claim_expires_at = utcnow() + timedelta(seconds=5)
    db.session.commit()
    client.get(location)
    db.session.refresh(item)
    assert item.claim_expires_at > utcnow() + timedelta(minutes=9)
    assert item.claimed_by_id == wb.reviewer.id


def test_a_second_reviewer_gets_another_trace(app, wb):
    rita, rita_token = signed_in(app, wb.reviewer)
    second = wb.project and build_second_reviewer(wb)
    other, other_token = signed_in(app, second)
    first = start(rita, wb, rita_token)
    assert start(other, wb, other_token) != first
    assert start(rita, wb, rita_token) == first  # asking again resumes your own claim


def build_second_reviewer(wb):
    from reviewapp.services import accounts

    user = accounts.create_user(f"bob{wb.project.id}@example.com", "correct horse battery", "Bob")
    accounts.set_membership(user, wb.project, "reviewer")
    return user


# --- save & next ----------------------------------------------------------------------------------------

def test_save_and_next_saves_scores_completes_the_item_and_claims_the_next(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    response = submit(client, location, page, answers(wb, tags=("tone", "facts")))
    assert response.status_code == 302
    second = wb.items()[0]
    assert response.location == f"/projects/{wb.project.id}/review/{second.id}"
    assert second.trace_id == "trace-002"
    review = active_review(wb, "trace-001")
    assert review.reviewed_by_id == wb.reviewer.id and review.queue_id == wb.queue.id
    assert review.comment == "Fine answer."
    values = {s.definition.name: (s.categorical_values, s.numeric_value, s.boolean_value, s.definition_version)
              for s in review.scores}
    assert values["Answer quality"][0] == ["good"]
    assert values["Issues"][0] == ["tone", "facts"]
    assert str(values["Rating"][1]) == "7.500000"
    assert values["Resolved the issue"][2] is True
    assert {v[3] for v in values.values()} == {1}
    done = db.session.scalar(select(ReviewQueueItem).where(ReviewQueueItem.trace_id == "trace-001"))
    assert done.deleted_reason == "reviewed"
    assert "Saved your review of trace-001." in text(client.get(response.location))


def test_empty_scorers_are_left_out_and_a_comment_alone_is_a_review(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    response = submit(client, location, page, answers(wb, quality=None, tags=None, rating="", helpful=None,
                                                      comment="  Cannot tell.  "))
    assert response.status_code == 302
    review = active_review(wb, "trace-001")
    assert review.scores == [] and review.comment == "Cannot tell."


def test_time_spent_is_measured_from_the_render(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    submit(client, location, page, answers(wb))
    spent = active_review(wb, "trace-001").time_spent_seconds
    assert spent is not None and 0 <= spent < 30


def test_a_forged_render_stamp_records_no_time(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    forged = URLSafeSerializer("not the secret", salt="review-page-rendered").dumps(time.time() - 300)
    client.post(location, data={**form_fields(page), "started": forged, **answers(wb)})
    assert active_review(wb, "trace-001").time_spent_seconds is None


def test_time_spent_is_clamped_to_a_day(app, client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    with app.test_request_context():
        old = URLSafeSerializer(app.config["SECRET_KEY"], salt="review-page-rendered").dumps(time.time() - 5 * 86400)
        future = URLSafeSerializer(app.config["SECRET_KEY"], salt="review-page-rendered").dumps(time.time() + 3600)
    client.post(location, data={**form_fields(page), "started": old, **answers(wb)})
    assert active_review(wb, "trace-001").time_spent_seconds == 86400
    location = client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/next",
                           data={"csrf_token": token}).location
    client.post(location, data={**form_fields(page), "started": future, **answers(wb)})
    assert active_review(wb, "trace-002").time_spent_seconds == 0


@pytest.mark.parametrize("change,scorer,message", [
    ({"rating": "7.25"}, "Rating", "Value 7.25 is not on the step grid (step 0.5 from 0)."),
    ({"rating": "11"}, "Rating", "Value 11 is above the maximum 10."),
    ({"rating": "lots"}, "Rating", "A valid number is required."),
    ({"tags": ("tone", "facts", "format")}, "Issues", "Choose at most 2 options (got 3)."),
    ({"quality": "superb"}, "Answer quality", "“superb” is not an option of this scorer. Options: good, ok, bad."),
])
def test_a_refused_score_shows_beside_its_scorer_and_keeps_the_input(client, login, wb, change, scorer, message):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    response = submit(client, location, page, answers(wb, **change))
    assert response.status_code == 400
    html = text(response)
    block = scorer_block(html, scorer)
    assert '<p class="field-error" id="' in block and message in block
    assert html.count('class="field-error"') == 1
    # everything entered is still there
    assert ">Fine answer.</textarea>" in html
    quality = scorer_block(html, "Answer quality")
    if change.get("quality") is None:
        assert re.search(r'value="good"\s+checked', quality)
    assert re.search(r'value="true"\s+checked', scorer_block(html, "Resolved the issue"))
    assert re.search(r'value="tone"\s+checked', scorer_block(html, "Issues"))
    if "rating" in change:
        assert f'value="{change["rating"]}"' in scorer_block(html, "Rating")
    # nothing was saved, the item is still pending and still ours, the render stamp is kept
    assert active_review(wb, "trace-001") is None
    assert wb.items()[0].claimed_by_id == wb.reviewer.id
    assert form_fields(html)["started"] == form_fields(page)["started"]


def test_too_long_a_comment_shows_beside_the_comment(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    response = submit(client, location, page, answers(wb, comment="x" * 20_001))
    assert response.status_code == 400
    assert '<p class="field-error" id="comment-error">Ensure this field has no more than 20000 characters.</p>' \
        in text(response)


def test_a_score_pinned_to_the_rendered_version_survives_a_new_version(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    scorers.new_version(wb.project.id, wb.admin, wb.rating.id, {"min": 0, "max": 5, "step": 1})
    response = submit(client, location, page, answers(wb, rating="7.5"))
    assert response.status_code == 302
    rating = next(s for s in active_review(wb, "trace-001").scores if s.definition_id == wb.rating.id)
    assert rating.definition_version == 1 and rating.definition_config["max"] == 10


def test_the_last_save_leads_to_the_all_done_page(client, login, factory):
    wb = build(factory, traces=1)
    token = login(wb.reviewer)
    location = start(client, wb, token)
    response = submit(client, location, text(client.get(location)), answers(wb))
    assert response.location == f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/done"
    page = text(client.get(response.location))
    assert "All done in “Support answers”" in page and "Every trace in this queue is reviewed." in page


def hold(item, user, minutes: float) -> None:
    claims.take_claim(item, user, timedelta(minutes=minutes), take_over=True)
    db.session.commit()


def test_all_done_while_others_hold_the_rest(app, factory):
    wb = build(factory, traces=3)
    bob = build_second_reviewer(wb)
    for minutes, item in zip((5, 6, 9), wb.items(), strict=True):
        hold(item, bob, minutes)
    client, token = signed_in(app, wb.reviewer)
    response = client.get(start(client, wb, token))
    page = " ".join(text(response).split())
    assert "All done" not in page and "Every trace in this queue is reviewed" not in page
    assert "Nothing left for you in “Support answers” right now" in page
    expiries = sorted(i.claim_expires_at for i in wb.items())
    first, last = expiries[0], expiries[-1]
    assert "3 traces left, all held by Bob until" in page
    assert f">{first:%H:%M}</time>–<time" in page and f">{last:%H:%M}</time> UTC." in page


def test_the_done_page_offers_a_trace_that_became_free(client, login, factory):
    wb = build(factory, traces=2)
    bob = build_second_reviewer(wb)
    first, second = wb.items()
    hold(first, bob, 10)
    hold(second, bob, -1)  # Bob's lease on it ran out after the reviewer's claim_next looked
    login(wb.reviewer)
    page = text(client.get(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/done"))
    assert "All done" not in page and "1 trace is free again." in page and "Continue reviewing" in page


# --- skip ------------------------------------------------------------------------------------------------

def test_skip_with_a_reason_moves_on_and_the_trace_comes_back_last(client, login, wb):
    token = login(wb.reviewer)
    first = start(client, wb, token)
    page = text(client.get(first))
    response = client.post(first + "/skip", data={"csrf_token": token, "queue_id": str(wb.queue.id),
                                                  "reason": "  needs a lawyer "})
    assert response.status_code == 302 and response.location != first
    skip = db.session.scalar(select(ReviewSkip))
    assert (skip.trace_id, skip.reason, skip.user_id) == ("trace-001", "needs a lawyer", wb.reviewer.id)
    assert "Skipped trace-001" in text(client.get(response.location))
    assert len(wb.items()) == 3  # still pending for others
    location = response.location
    for expected in ("trace-002", "trace-003"):
        html = text(client.get(location))
        assert expected in html
        location = submit(client, location, html, answers(wb)).location
    assert location == first  # the skipped trace comes back once nothing else is left
    again = text(client.get(location))
    assert "You skipped this trace before: “needs a lawyer”." in again
    assert [i.trace_id for i in wb.items()] == ["trace-001"]
    assert "Save &amp; next" in page


def test_a_skipped_trace_is_offered_to_others_first(app, wb):
    rita, token = signed_in(app, wb.reviewer)
    first = start(rita, wb, token)
    rita.post(first + "/skip", data={"csrf_token": token, "queue_id": str(wb.queue.id)})
    bob, bob_token = signed_in(app, build_second_reviewer(wb))
    assert start(bob, wb, bob_token) == first


def test_skip_reason_too_long_is_refused_and_kept(client, login, wb):
    token = login(wb.reviewer)
    first = start(client, wb, token)
    response = client.post(first + "/skip", data={"csrf_token": token, "queue_id": str(wb.queue.id),
                                                  "reason": "x" * 2001})
    assert response.status_code == 400
    page = text(response)
    assert "Not skipped: Ensure this field has no more than 2000 characters." in page
    assert 'value="' + "x" * 2001 + '"' in page  # the reason as typed
    assert db.session.scalar(select(ReviewSkip)) is None


# --- lost claims -------------------------------------------------------------------------------------------

def conflict_box(html: str) -> str:
    return html[html.index('id="conflict"'):html.index('id="review-form"')]


def overwrite(client, location: str, html: str):
    """Click the conflict's "save over" button: the same form, with the button's name and value."""
    return client.post(location, data={**form_fields(html), **kept_answers(html), "resolve": "overwrite"})


def kept_answers(html: str) -> dict:
    """The scores and comment a re-rendered form still holds, as the browser would send them again."""
    data: dict = {}
    for name, value in re.findall(r'name="(score-[^"]+)" value="([^"]*)"\s+checked', html):
        data.setdefault(name, []).append(value)
    for name, value in re.findall(r'type="number" name="(score-[^"]+)" value="([^"]*)"', html):
        data[name] = value
    data["comment"] = re.search(r'<textarea id="review-comment"[^>]*>([^<]*)</textarea>', html).group(1)
    return data


def test_a_lost_claim_keeps_the_input_and_offers_to_take_it_back(app, client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    item = db.session.get(ReviewQueueItem, queues.as_uuid(item_id_of(location)))
    item.claim_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    bob = build_second_reviewer(wb)
    assert claims.claim_next(wb.project.id, bob, wb.queue.id).id == item.id
    response = submit(client, location, page, answers(wb, rating="6"))
    assert response.status_code == 409
    html = text(response)
    box = conflict_box(html)
    assert "Bob is reviewing this trace" in box and "Take it over and save mine" in box
    assert "Discard mine and go on" in box
    assert ">Fine answer.</textarea>" in html and 'value="6"' in scorer_block(html, "Rating")
    assert re.search(r'value="good"\s+checked', scorer_block(html, "Answer quality"))
    assert active_review(wb, "trace-001") is None
    # Ctrl+Enter again (no choice made) asks again; choosing to take it over saves and completes the item
    assert submit(client, location, html, kept_answers(html)).status_code == 409
    saved = overwrite(client, location, html)
    assert saved.status_code == 302 and "trace-002" in text(client.get(saved.location))
    review = active_review(wb, "trace-001")
    assert review.reviewed_by_id == wb.reviewer.id and review.comment == "Fine answer."
    assert {s.definition.name: s for s in review.scores}["Rating"].numeric_value == 6
    assert "trace-001" not in [i.trace_id for i in wb.items()]


def test_an_expired_claim_nobody_took_is_still_saved(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    item = db.session.get(ReviewQueueItem, queues.as_uuid(item_id_of(location)))
    item.claim_expires_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    assert submit(client, location, page, answers(wb)).status_code == 302
    assert active_review(wb, "trace-001") is not None


def test_a_trace_reviewed_meanwhile_keeps_the_input_and_offers_to_save_over_it(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    reviews.save_review(wb.project.id, wb.admin, trace_id="trace-001", comment="admin was faster", scores=[])
    response = submit(client, location, page, answers(wb, comment="mine"))
    assert response.status_code == 409
    html = text(response)
    box = conflict_box(html)
    assert "Ada Admin reviewed this trace meanwhile" in box and "admin was faster" in box
    assert "Save over the other review" in box and "Discard mine and go on" in box
    assert ">mine</textarea>" in html and re.search(r'value="tone"\s+checked', scorer_block(html, "Issues"))
    assert active_review(wb, "trace-001").comment == "admin was faster"
    saved = overwrite(client, location, html)
    assert saved.status_code == 302 and "trace-002" in text(client.get(saved.location))
    review = active_review(wb, "trace-001")
    assert review.comment == "mine" and len(review.scores) == 4 and review.reviewed_by_id == wb.reviewer.id
    assert len(db.session.scalars(select(TraceReview)).all()) == 1  # an edit of the one review


def test_discarding_mine_moves_on_and_keeps_theirs(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    reviews.save_review(wb.project.id, wb.admin, trace_id="trace-001", comment="admin was faster", scores=[])
    html = text(submit(client, location, page, answers(wb, comment="mine")))
    discard = re.search(r'<form id="discard-form" method="post" action="([^"]+)"', html).group(1)
    response = client.post(discard, data={"csrf_token": token})
    assert "trace-002" in text(client.get(response.location))
    assert active_review(wb, "trace-001").comment == "admin was faster"


def test_a_review_changed_meanwhile_is_not_overwritten_unasked(client, login, wb):
    reviews.save_review(wb.project.id, wb.admin, trace_id="trace-003", comment="first take", scores=[])
    login(wb.reviewer)
    url = f"/projects/{wb.project.id}/traces/trace-003/review"
    page = text(client.get(url))
    review = active_review(wb, "trace-003")
    reviews.save_review(wb.project.id, wb.admin, review_id=review.id, comment="second take by Ada")
    response = submit(client, url, page, answers(wb, comment="my take"))
    assert response.status_code == 409
    html = text(response)
    assert "Ada Admin saved this review again meanwhile" in conflict_box(html)
    assert "second take by Ada" in conflict_box(html) and ">my take</textarea>" in html
    assert f'href="/projects/{wb.project.id}/traces/trace-003">Discard mine</a>' in conflict_box(html)
    assert active_review(wb, "trace-003").comment == "second take by Ada"
    assert overwrite(client, url, html).location == f"/projects/{wb.project.id}/traces/trace-003"
    assert active_review(wb, "trace-003").comment == "my take"


def test_a_trace_taken_out_of_its_queue_keeps_the_input(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    queue_items.remove_item(wb.project.id, wb.admin, item_id_of(location))
    response = submit(client, location, page, answers(wb))
    assert response.status_code == 409
    html = text(response)
    assert "taken out of its queue meanwhile" in conflict_box(html) and "Save mine anyway" in conflict_box(html)
    assert ">Fine answer.</textarea>" in html
    assert overwrite(client, location, html).status_code == 302
    assert active_review(wb, "trace-001").comment == "Fine answer."


# --- taking over a trace another reviewer holds ---------------------------------------------------------------

def test_the_trace_page_says_who_holds_a_trace_and_taking_it_over_is_confirmed(app, wb):
    rita, rita_token = signed_in(app, wb.reviewer)
    location = start(rita, wb, rita_token)
    rita_page = text(rita.get(location))
    held = db.session.get(ReviewQueueItem, queues.as_uuid(item_id_of(location)))
    ada, ada_token = signed_in(app, wb.admin)
    trace_page = text(ada.get(f"/projects/{wb.project.id}/traces/trace-001"))
    assert "Claimed by Rita Reviewer until" in trace_page
    assert "Review this trace" not in trace_page and "Take over…" in trace_page
    take_over = f"/projects/{wb.project.id}/review/{held.id}/take-over"
    assert f'href="{take_over}"' in trace_page
    # the edit page, opened anyway, says so too; saving there does not take the trace silently
    edit = f"/projects/{wb.project.id}/traces/trace-001/review"
    edit_page = text(ada.get(edit))
    assert "Rita Reviewer is reviewing this trace" in edit_page and f'href="{take_over}"' in edit_page
    refused = submit(ada, edit, edit_page, answers(wb, comment="Ada's"))
    assert refused.status_code == 409 and "Take it over and save mine" in conflict_box(text(refused))
    assert wb.items()[0].claimed_by_id == wb.reviewer.id and active_review(wb, "trace-001") is None
    # a GET asks first; a POST without the confirmation asks again; nothing changes until confirmed
    confirm = text(ada.get(take_over))
    assert "Take over trace trace-001?" in confirm and "Rita Reviewer holds it" in confirm
    assert ada.post(take_over, data={"csrf_token": ada_token}).status_code == 200
    assert ada.post(take_over, data={"confirmed": "yes"}).status_code == 400  # no CSRF token
    assert wb.items()[0].claimed_by_id == wb.reviewer.id
    response = ada.post(take_over, data={"csrf_token": ada_token, "confirmed": "yes"})
    assert response.location == edit
    db.session.expire_all()
    assert wb.items()[0].claimed_by_id == wb.admin.id  # Rita's lease ended
    assert "You took over trace trace-001 from Rita Reviewer" in text(ada.get(edit))
    assert submit(ada, edit, text(ada.get(edit)), answers(wb, comment="Ada's")).status_code == 302
    # Rita saves later: her input comes back with the choice, nothing of hers is lost
    late = rita.post(location, data={**form_fields(rita_page), **answers(wb, comment="Rita's")})
    assert late.status_code == 409
    html = text(late)
    assert "Ada Admin reviewed this trace meanwhile" in conflict_box(html) and ">Rita&#39;s</textarea>" in html
    assert active_review(wb, "trace-001").comment == "Ada's"


def test_taking_over_a_trace_that_left_the_queue_says_so(app, wb):
    ada, token = signed_in(app, wb.admin)
    item = wb.items()[0]
    page = text(ada.get(f"/projects/{wb.project.id}/review/{item.id}/take-over"))
    assert "Nobody else holds it right now" in page
    reviews.save_review(wb.project.id, wb.reviewer, trace_id=item.trace_id, comment="done", scores=[])
    response = ada.post(f"/projects/{wb.project.id}/review/{item.id}/take-over",
                        data={"csrf_token": token, "confirmed": "yes"})
    assert response.status_code == 404  # it is no longer pending


# --- a trace that already has a review --------------------------------------------------------------------

def test_a_queued_trace_reviewed_elsewhere_opens_that_review_and_saving_completes_it(client, login, wb):
    other = queues.create_queue(wb.project.id, wb.admin, "Other queue")
    reviews.save_review(wb.project.id, wb.admin, trace_id="trace-001", comment="from the other queue",
                        queue_id=other.id,
                        scores=[{"definition_id": str(wb.quality.id), "categorical_values": ["ok"]}])
    assert [i.trace_id for i in wb.items()][0] == "trace-001"  # still pending here, as PostHog does
    token = login(wb.reviewer)
    location = start(client, wb, token)
    assert item_id_of(location) == str(wb.items()[0].id)
    page = text(client.get(location))
    assert "This trace already has a review by Ada Admin" in page and "You are editing it" in page
    assert ">from the other queue</textarea>" in page
    assert re.search(r'value="ok"\s+checked', scorer_block(page, "Answer quality"))
    response = submit(client, location, page, answers(wb, comment="checked again"))
    assert response.status_code == 302 and "trace-002" in text(client.get(response.location))
    assert "trace-001" not in [i.trace_id for i in wb.items()]
    review = active_review(wb, "trace-001")
    assert review.comment == "checked again" and review.reviewed_by_id == wb.reviewer.id
    assert len(db.session.scalars(select(TraceReview)).all()) == 1


# --- a missing comment --------------------------------------------------------------------------------------

def test_a_review_without_a_comment_shows_an_empty_box_and_stays_null(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    submit(client, location, text(client.get(location)), answers(wb, comment=""))
    assert active_review(wb, "trace-001").comment is None
    for url in (f"/projects/{wb.project.id}/traces/trace-001/review",
                client.get(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/previous?n=1").location):
        page = text(client.get(url))
        assert re.search(r'<textarea id="review-comment"[^>]*></textarea>', page), url
        assert "None" not in page[page.index('id="review-form"'):]
    edit = f"/projects/{wb.project.id}/traces/trace-001/review"
    submit(client, edit, text(client.get(edit)), answers(wb, comment="", rating="2"))
    assert active_review(wb, "trace-001").comment is None
    csv_body = text(client.get(f"/projects/{wb.project.id}/reviews/export?format=csv"))
    assert "None" not in csv_body
    jsonl = text(client.get(f"/projects/{wb.project.id}/reviews/export?format=jsonl"))
    assert '"comment": null' in jsonl


# --- required scorers ---------------------------------------------------------------------------------------

def test_an_empty_review_is_refused_naming_every_missing_scorer(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    response = submit(client, location, page, {"comment": ""})
    assert response.status_code == 400
    html = text(response)
    assert ("Answer “Answer quality”, “Issues”, “Rating” and “Resolved the issue” before saving, or write a "
            "comment saying why you cannot.") in html
    for name in ("Answer quality", "Issues", "Rating", "Resolved the issue"):
        assert "Required: answer it, or write a comment." in scorer_block(html, name), name
    assert active_review(wb, "trace-001") is None and len(wb.items()) == 3


def test_a_partial_review_names_only_what_is_missing_and_keeps_the_rest(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    response = submit(client, location, page, answers(wb, tags=None, helpful=None, comment=""))
    assert response.status_code == 400
    html = text(response)
    assert "Answer “Issues” and “Resolved the issue” before saving" in html
    assert "Required:" in scorer_block(html, "Issues") and "Required:" not in scorer_block(html, "Rating")
    assert re.search(r'value="good"\s+checked', scorer_block(html, "Answer quality"))
    assert 'value="7.5"' in scorer_block(html, "Rating")
    assert active_review(wb, "trace-001") is None


def test_a_queue_requiring_some_scorers_saves_once_those_are_answered(client, login, wb):
    queues.update_queue(wb.project.id, wb.admin, wb.queue.id, {"required_scorer_ids": [str(wb.rating.id)]})
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    refused = submit(client, location, page, answers(wb, rating="", comment=""))
    assert refused.status_code == 400 and "Answer “Rating” before saving" in text(refused)
    assert submit(client, location, page, answers(wb, quality=None, tags=None, helpful=None,
                                                  comment="")).status_code == 302
    assert [s.definition.name for s in active_review(wb, "trace-001").scores] == ["Rating"]


def test_a_queue_requiring_none_still_refuses_an_empty_review(client, login, wb):
    queues.update_queue(wb.project.id, wb.admin, wb.queue.id, {"required_scorer_ids": []})
    token = login(wb.reviewer)
    location = start(client, wb, token)
    page = text(client.get(location))
    refused = submit(client, location, page, {"comment": "  "})
    assert refused.status_code == 400 and "Nothing to save yet: answer a scorer or write a comment." in text(refused)
    assert submit(client, location, page, {f"score-{wb.helpful.id}": "false"}).status_code == 302


def test_the_api_keeps_posthogs_rule_a_review_without_scores_is_valid(wb):
    review = reviews.save_review(wb.project.id, wb.reviewer, trace_id="trace-001", scores=[])
    assert review.scores == [] and review.comment is None


# --- previous and editing ---------------------------------------------------------------------------------

def test_previous_opens_your_last_review_for_editing_and_returns_to_your_claim(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    second = submit(client, location, text(client.get(location)), answers(wb, rating="3")).location
    third = submit(client, second, text(client.get(second)), answers(wb, rating="4")).location
    html = text(client.get(third))
    previous = re.search(r'href="([^"]*/review/previous[^"]*)"', html).group(1).replace("&amp;", "&")
    edit = client.get(previous)
    assert edit.status_code == 302 and "/traces/trace-002/review" in edit.location
    page = text(client.get(edit.location))
    assert "Editing the review of" in page
    assert 'value="4"' in scorer_block(page, "Rating")
    assert re.search(r'value="good"\s+checked', scorer_block(page, "Answer quality"))
    earlier = re.search(r'href="([^"]*/review/previous[^"]*n=2[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "/traces/trace-001/review" in client.get(earlier).location
    saved = submit(client, edit.location, page, answers(wb, rating="9.5", quality="bad"))
    assert saved.location == third  # back to the trace you hold
    review = active_review(wb, "trace-002")
    assert {s.definition.name: s for s in review.scores}["Rating"].numeric_value == 9.5
    assert len(db.session.scalars(select(TraceReview)).all()) == 2


def test_previous_with_nothing_reviewed_yet_says_so(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    response = client.get(
        f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/previous?n=1&item={item_id_of(location)}")
    assert response.location == location
    assert "You have not reviewed anything in this queue yet." in text(client.get(location))


def test_editing_from_the_trace_page_updates_the_review(client, login, wb):
    reviews.save_review(wb.project.id, wb.admin, trace_id="trace-003", comment="first take",
                        scores=[{"definition_id": str(wb.quality.id), "categorical_values": ["ok"]}])
    login(wb.reviewer)
    trace_page = text(client.get(f"/projects/{wb.project.id}/traces/trace-003"))
    assert f'href="/projects/{wb.project.id}/traces/trace-003/review"' in trace_page
    url = f"/projects/{wb.project.id}/traces/trace-003/review"
    page = text(client.get(url))
    assert "first take" in page and re.search(r'value="ok"\s+checked', scorer_block(page, "Answer quality"))
    response = submit(client, url, page, answers(wb, quality="good", comment="second take"))
    assert response.location == f"/projects/{wb.project.id}/traces/trace-003"
    review = active_review(wb, "trace-003")
    assert review.comment == "second take" and review.reviewed_by_id == wb.reviewer.id
    assert len(review.scores) == 4


def test_reviewing_a_pending_trace_from_its_page_completes_its_item(client, login, wb):
    login(wb.reviewer)
    url = f"/projects/{wb.project.id}/traces/trace-002/review"
    page = text(client.get(url))
    assert "Review this trace" in page
    assert submit(client, url, page, answers(wb)).status_code == 302
    assert [i.trace_id for i in wb.items()] == ["trace-001", "trace-003"]


def test_editing_keeps_scores_of_scorers_the_panel_would_not_show(client, login, wb):
    reviews.save_review(wb.project.id, wb.admin, trace_id="trace-003",
                        scores=[{"definition_id": str(wb.tags.id), "categorical_values": ["length"]}])
    scorers.set_archived(wb.project.id, wb.admin, wb.tags.id, True)
    login(wb.reviewer)
    url = f"/projects/{wb.project.id}/traces/trace-003/review"
    page = text(client.get(url))
    assert "archived" in scorer_block(page, "Issues")
    submit(client, url, page, {"comment": "kept the archived score", f"score-{wb.tags.id}": ["length"]})
    assert [s.categorical_values for s in active_review(wb, "trace-003").scores] == [["length"]]


def test_viewers_cannot_review(app, wb):
    client, token = signed_in(app, wb.viewer)
    assert client.post(f"/projects/{wb.project.id}/queues/{wb.queue.id}/review/next",
                       data={"csrf_token": token}).status_code == 403
    assert client.get(f"/projects/{wb.project.id}/traces/trace-001/review").status_code == 403
    item = wb.items()[0]
    assert client.post(f"/projects/{wb.project.id}/review/{item.id}",
                       data={"csrf_token": token, **answers(wb)}).status_code == 403
    skipped = client.post(f"/projects/{wb.project.id}/review/{item.id}/skip", data={"csrf_token": token})
    assert skipped.status_code == 403
    assert "Review this trace" not in text(client.get(f"/projects/{wb.project.id}/traces/trace-001"))
    assert active_review(wb, "trace-001") is None


def test_saving_needs_the_csrf_token(client, login, wb):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    fields = form_fields(text(client.get(location)))
    fields.pop("csrf_token")
    assert client.post(location, data={**fields, **answers(wb)}).status_code == 400
    assert active_review(wb, "trace-001") is None


# --- the reviews list ---------------------------------------------------------------------------------------

def seed_reviews(wb):
    other = queues.create_queue(wb.project.id, wb.admin, "Other queue")
    queue_items.add_item(wb.project.id, wb.admin, other.id, "elsewhere")
    reviews.save_review(wb.project.id, wb.reviewer, trace_id="trace-001", comment="polite and right",
                        scores=[{"definition_id": str(wb.quality.id), "categorical_values": ["good"]}],
                        queue_id=wb.queue.id)
    scorers.new_version(wb.project.id, wb.admin, wb.rating.id, {"min": 0, "max": 5, "step": 1})
    reviews.save_review(wb.project.id, wb.admin, trace_id="elsewhere", comment="rude",
                        scores=[{"definition_id": str(wb.rating.id), "numeric_value": 2}], queue_id=other.id)
    return other


def test_reviews_page_lists_reviews_newest_first_with_scores_and_pins(client, login, wb):
    seed_reviews(wb)
    login(wb.viewer)
    page = text(client.get(f"/projects/{wb.project.id}/reviews/"))
    assert page.index("elsewhere") < page.index("trace-001")
    assert re.search(r"Rating</span>\s*<span class=\"version-pin\"[^>]*>v2</span>", page)
    assert re.search(r"Answer quality</span>\s*<span class=\"version-pin\"[^>]*>v1</span>", page)
    assert "Rita Reviewer" in page and "Other queue" in page
    assert f'href="/projects/{wb.project.id}/traces/trace-001"' in page
    assert 'method="post"' not in page.split("</header>", 1)[1]


@pytest.mark.parametrize("query,shown,hidden", [
    ("search=RUDE", "elsewhere", "trace-001"),
    ("search=trace-0", "trace-001", "elsewhere"),
    ("scorer={quality}", "trace-001", "elsewhere"),
    ("queue={other}", "elsewhere", "trace-001"),
    ("reviewer={reviewer}", "trace-001", "elsewhere"),
])
def test_reviews_page_filters(client, login, wb, query, shown, hidden):
    other = seed_reviews(wb)
    login(wb.viewer)
    query = query.format(quality=wb.quality.id, other=other.id, reviewer=wb.reviewer.id)
    page = text(client.get(f"/projects/{wb.project.id}/reviews/?{query}"))
    table = page[page.index("<table"):]
    assert shown in table and hidden not in table
    assert f"format=csv&amp;{query.split('=')[0]}=" in page  # the export keeps the filters


def test_reviews_page_refuses_a_malformed_filter(client, login, wb):
    login(wb.viewer)
    response = client.get(f"/projects/{wb.project.id}/reviews/?queue=nope")
    assert response.status_code == 400
    assert "“nope” is not a valid id." in text(response)


def test_reviews_page_runs_a_fixed_number_of_queries(client, login, wb, count_queries):
    seed_reviews(wb)
    login(wb.viewer)
    url = f"/projects/{wb.project.id}/reviews/"
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for n in range(15):
        reviews.save_review(wb.project.id, wb.admin, trace_id=f"bulk-{n}", scores=[
            {"definition_id": str(wb.quality.id), "categorical_values": ["ok"]},
            {"definition_id": str(wb.helpful.id), "boolean_value": False}])
    client.get(url)
    with count_queries() as many:
        page = text(client.get(url))
    assert "bulk-14" in page
    assert len(many) == len(few), many


def test_reviews_page_empty_state(client, login, wb):
    login(wb.viewer)
    page = text(client.get(f"/projects/{wb.project.id}/reviews/"))
    assert "No reviews yet." in page and "Start reviewing" in page


def test_export_from_the_reviews_page_honours_the_filters(client, login, wb):
    other = seed_reviews(wb)
    login(wb.viewer)
    response = client.get(f"/projects/{wb.project.id}/reviews/export?format=csv&queue={other.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment;" in response.headers["Content-Disposition"]
    body = text(response)
    assert "elsewhere" in body and "trace-001" not in body
    jsonl = client.get(f"/projects/{wb.project.id}/reviews/export?format=jsonl")
    assert jsonl.status_code == 200 and len(text(jsonl).strip().splitlines()) == 2
    bad = client.get(f"/projects/{wb.project.id}/reviews/export?format=xml")
    assert bad.status_code == 400 and "“xml” is not a valid choice. Choose csv or jsonl." in text(bad)


def test_opening_the_page_with_a_fresh_lease_writes_nothing(client, login, wb, count_queries):
    token = login(wb.reviewer)
    location = start(client, wb, token)
    item = db.session.get(ReviewQueueItem, queues.as_uuid(item_id_of(location)))
    expires = item.claim_expires_at
    with count_queries() as statements:
        assert client.get(location).status_code == 200
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    db.session.refresh(item)
    assert item.claim_expires_at == expires and item.claimed_by_id == wb.reviewer.id
