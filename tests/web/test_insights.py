"""Insights: score distributions per scorer version, queue progress per day, reviewer throughput with the
median time per review, and skip reasons — correct on known data, in a fixed number of queries, readable
without scripts."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from reviewapp.extensions import db
from reviewapp.models import ReviewQueueItem, ReviewSkip, TraceReview, utcnow
from reviewapp.services import claims, insights, queue_items, queues, reviews, scorers
from tests.support import judgment_rows


@pytest.fixture
def project(factory):
    return factory.project("Insightful")


@pytest.fixture
def admin(factory, project):
    return factory.user(email="admin@example.com", project=project, role="admin", first_name="Ada")


@pytest.fixture
def ann(factory, project):
    return factory.user(email="ann@example.com", project=project, role="reviewer", first_name="Ann")


@pytest.fixture
def bob(factory, project):
    return factory.user(email="bob@example.com", project=project, role="reviewer", first_name="Bob")


def days_ago(n: int, hour: int = 12):
    now = utcnow()
    return now.replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=n)


def backdate_review(review, n: int) -> None:
    """As if the review (and the queue item it completed) had been saved `n` days ago."""
    db.session.execute(update(TraceReview).where(TraceReview.id == review.id).values(
        created_at=days_ago(n), updated_at=days_ago(n)))
    db.session.execute(update(ReviewQueueItem).where(ReviewQueueItem.trace_id == review.trace_id,
                                                     ReviewQueueItem.deleted_reason == "reviewed")
                       .values(deleted_at=days_ago(n), updated_at=days_ago(n)))
    db.session.commit()


def review(project, user, trace_id, scores=None, seconds=None, queue=None, ago=0):
    saved = reviews.save_review(project.id, user, trace_id=trace_id, scores=scores or [],
                                time_spent_seconds=seconds, queue_id=str(queue.id) if queue else None)
    if ago:
        backdate_review(saved, ago)
    return saved


@pytest.fixture
def known(project, admin, ann, bob):
    """Scorers of every kind, reviews over several days and versions, a queue with history, and skips."""
    quality = scorers.create_definition(project.id, admin, name="Quality", kind="categorical", config={
        "options": [{"key": "good", "label": "Good"}, {"key": "ok", "label": "OK"}, {"key": "bad", "label": "Bad"}]})
    issues = scorers.create_definition(project.id, admin, name="Issues", kind="categorical", config={
        "options": [{"key": "wrong", "label": "Wrong"}, {"key": "long", "label": "Too long"}],
        "selection_mode": "multiple"})
    rating = scorers.create_definition(project.id, admin, name="Rating", kind="numeric",
                                       config={"min": 0, "max": 10, "step": 0.5})
    safe = scorers.create_definition(project.id, admin, name="Safe", kind="boolean",
                                     config={"true_label": "Safe", "false_label": "Unsafe"})
    scorers.create_definition(project.id, admin, name="Unused", kind="boolean", config={})

    queue = queues.create_queue(project.id, admin, "Support")
    queue_items.bulk_add(project.id, admin, queue.id, [f"q{i}" for i in range(6)])
    db.session.execute(update(ReviewQueueItem).values(created_at=days_ago(3)))
    db.session.commit()

    def q(definition, **value):
        return {"definition_id": str(definition.id), **value}

    # Ann: three reviews (10 s, 20 s, 60 s → median 20 s), two of them from the queue, on different days.
    review(project, ann, "q0", [q(quality, categorical_values=["good"]),
                                q(issues, categorical_values=["wrong", "long"]),
                                q(rating, numeric_value=8), q(safe, boolean_value=True)], 10, queue, ago=2)
    review(project, ann, "q1", [q(quality, categorical_values=["good"]), q(issues, categorical_values=["long"]),
                                q(rating, numeric_value=8.5), q(safe, boolean_value=True)], 60, queue, ago=1)
    review(project, ann, "t2", [q(quality, categorical_values=["bad"]), q(rating, numeric_value=2),
                                q(safe, boolean_value=False)], 20)
    # Quality gets version 2 (OK relabelled); Bob scores against it: 10 s and 30 s → median 20 s; one untimed.
    scorers.new_version(project.id, admin, quality.id, {"options": [
        {"key": "good", "label": "Good"}, {"key": "ok", "label": "Acceptable"}, {"key": "bad", "label": "Bad"}]})
    review(project, bob, "q2", [q(quality, categorical_values=["ok"])], 10, queue)
    review(project, bob, "t4", [q(quality, categorical_values=["ok"])], 30)
    review(project, bob, "t5", [q(quality, categorical_values=["good"])])
    gone = review(project, bob, "t6", [q(quality, categorical_values=["bad"])], 500)
    reviews.delete_review(project.id, bob, gone.id)  # deleted reviews count nowhere

    queue_items.remove_item(project.id, admin, queue_items.pending_item_for_trace(project.id, "q3").id)
    for reason in ("Not English", "  Not English ", "", "Too long to judge"):
        item = queue_items.pending_item_for_trace(project.id, "q4")
        claims.skip_item(project.id, bob, item.id, reason)
    return {"quality": quality, "issues": issues, "rating": rating, "safe": safe, "queue": queue}


def by_name(data):
    return {s.definition.name: s for s in data.scorers}


def test_distributions_per_scorer_and_version(known):
    data = insights.project_insights(known["queue"].project_id, 7)
    scorer = by_name(data)
    assert list(scorer) == ["Issues", "Quality", "Rating", "Safe", "Unused"]

    quality = scorer["Quality"]
    assert [(v.version, v.reviews) for v in quality.versions] == [(2, 3), (1, 3)]
    assert [(b.label, b.count) for b in quality.versions[0].bars] == [("Good", 1), ("Acceptable", 2), ("Bad", 0)]
    assert [(b.label, b.count) for b in quality.versions[1].bars] == [("Good", 2), ("OK", 0), ("Bad", 1)]

    issues = scorer["Issues"].versions[0]  # multiple choice: each chosen option counts
    assert (issues.reviews, [(b.label, b.count) for b in issues.bars]) == (2, [("Wrong", 1), ("Too long", 2)])

    rating = scorer["Rating"].versions[0]
    assert [(b.label, b.count) for b in rating.bars] == [("2", 1), ("8", 1), ("8.5", 1)]
    assert rating.mean == pytest.approx(6.1666, abs=1e-3)

    safe = scorer["Safe"].versions[0]
    assert [(b.label, b.count) for b in safe.bars] == [("Safe", 2), ("Unsafe", 1)]
    assert scorer["Unused"].versions == []


def test_many_distinct_numbers_are_shown_in_ten_ranges(project, admin):
    rating = scorers.create_definition(project.id, admin, name="Score", kind="numeric", config={})
    for i in range(21):  # 0, 5, ..., 100
        reviews.save_review(project.id, admin, trace_id=f"t{i}",
                            scores=[{"definition_id": str(rating.id), "numeric_value": i * 5}])
    version = by_name(insights.project_insights(project.id))["Score"].versions[0]
    assert [b.label for b in version.bars] == [f"{i * 10} – {i * 10 + 10}" for i in range(10)]
    assert [b.count for b in version.bars] == [2] * 9 + [3]  # the top range includes the highest value
    assert version.mean == pytest.approx(50)


def test_queue_progress_per_day(known):
    data = insights.project_insights(known["queue"].project_id, 7)
    (progress,) = data.queues
    assert progress.pending_now == 2  # q4, q5 (q0-q2 reviewed, q3 removed)
    days = {d.day: d for d in progress.days}
    assert len(progress.days) == 7 and progress.days[-1].day == utcnow().date().isoformat()
    label = lambda n: days_ago(n).date().isoformat()  # noqa: E731
    assert (days[label(3)].added, days[label(3)].pending) == (6, 6)
    assert (days[label(2)].reviewed, days[label(2)].pending) == (1, 5)
    assert (days[label(1)].reviewed, days[label(1)].pending) == (1, 4)
    assert (days[label(0)].reviewed, days[label(0)].left_otherwise, days[label(0)].pending) == (1, 1, 2)
    assert days[label(4)].pending == 0
    assert (progress.added, progress.reviewed) == (6, 3)


def test_reviewer_throughput_and_median_time(known, ann, bob):
    data = insights.project_insights(known["queue"].project_id, 7)
    rows = {r.user.email: r for r in data.reviewers}
    assert [r.user.email for r in data.reviewers] == ["ann@example.com", "bob@example.com"]
    assert (rows["ann@example.com"].reviews, rows["ann@example.com"].active_days) == (3, 3)
    assert rows["ann@example.com"].median_seconds == pytest.approx(20)
    assert (rows["bob@example.com"].reviews, rows["bob@example.com"].active_days) == (3, 1)
    assert rows["bob@example.com"].median_seconds == pytest.approx(20)  # (10 + 30) / 2; the untimed one is left out
    assert rows["bob@example.com"].per_active_day == 3.0
    assert (rows["ann@example.com"].skips, rows["bob@example.com"].skips) == (0, 4)
    per_day = dict(rows["ann@example.com"].per_day)
    assert [per_day[days_ago(n).date().isoformat()] for n in (2, 1, 0)] == [1, 1, 1]


def test_skip_reasons(known):
    data = insights.project_insights(known["queue"].project_id, 7)
    assert data.skips_total == 4
    assert [(b.label, b.count) for b in data.skip_reasons] == [
        ("Not English", 2), ("(no reason given)", 1), ("Too long to judge", 1)]


def test_the_window_leaves_older_activity_out(known):
    db.session.execute(update(ReviewSkip).values(created_at=days_ago(10)))
    db.session.commit()
    data = insights.project_insights(known["queue"].project_id, 7)
    assert data.skips_total == 0 and data.skip_reasons == []
    assert insights.project_insights(known["queue"].project_id, 30).skips_total == 4
    assert insights.clean_window("90") == 90 and insights.clean_window("13") == 30 and insights.clean_window(None) == 30


def test_the_page_draws_svg_charts_with_the_numbers_as_text(client, login, project, known, factory):
    login(factory.member(project, "viewer"))
    response = client.get(f"/projects/{project.id}/insights/?days=7")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert page.count("<svg") >= 8 and "<script" not in page.split("</main>")[0]
    quality = re.search(r'<h3>Quality</h3>.*?</article>', page, re.S).group(0)
    assert '<span class="bar-label chart-label">Acceptable</span>' in quality and ">2 (67%)</span>" in quality
    queue = re.search(r'<article class="card insight-queue">.*?</article>', page, re.S).group(0)
    assert "<dt>Pending now</dt><dd>2</dd>" in queue and "<dt>Reviewed</dt><dd>3</dd>" in queue
    assert re.search(r'<title>[\d-]+: 6 added</title>', queue)
    ann = re.search(r"<td>Ann</td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]+)</td>', ann) == ["3", "1.0", "20.00 s", "0"]
    assert "Not English" in page and ">2 (50%)</span>" in page
    assert 'aria-current="true">Last 7 days' in page


def test_empty_project_says_what_to_do(client, login, project, admin):
    login(admin)
    page = html.unescape(client.get(f"/projects/{project.id}/insights/").get_data(as_text=True))
    for text in ("No scorers yet.", "No queues yet.", "No reviews in this window.", "No skips in this window."):
        assert text in page


def test_a_fixed_number_of_queries_whatever_the_data(client, login, project, admin, count_queries):
    login(admin)
    url = f"/projects/{project.id}/insights/"
    scorer = scorers.create_definition(project.id, admin, name="Q", kind="categorical",
                                       config={"options": [{"key": "a", "label": "A"}]})
    queue = queues.create_queue(project.id, admin, "One")
    queue_items.bulk_add(project.id, admin, queue.id, ["x0"])
    review(project, admin, "x0", [{"definition_id": str(scorer.id), "categorical_values": ["a"]}], 5, queue)
    db.session.expire_all()  # each request starts as it would in production: nothing loaded yet
    with count_queries() as few:
        assert client.get(url).status_code == 200

    for i in range(4):
        extra = scorers.create_definition(project.id, admin, name=f"N{i}", kind="numeric", config={})
        scorers.new_version(project.id, admin, extra.id, {"min": 0})
        more = queues.create_queue(project.id, admin, f"More {i}")
        queue_items.bulk_add(project.id, admin, more.id, [f"m{i}-{j}" for j in range(5)])
        for j in range(3):
            reviewer = admin if j % 2 else None
            review(project, reviewer or admin, f"m{i}-{j}", [{"definition_id": str(extra.id), "numeric_value": j},
                                                             {"definition_id": str(scorer.id),
                                                              "categorical_values": ["a"]}], j + 1, more, ago=j)
        claims.skip_item(project.id, admin, queue_items.pending_item_for_trace(project.id, f"m{i}-4").id, f"r{i}")
    db.session.expire_all()  # each request starts as it would in production: nothing loaded yet
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_non_members_get_404(client, login, factory, project):
    outsider = factory.user(project=factory.project("Elsewhere"), role="admin")
    login(outsider)
    assert client.get(f"/projects/{project.id}/insights/").status_code == 404


def test_distributions_leave_out_the_reviews_blind_review_hides(client, login, project, admin, ann, bob):
    secret = scorers.create_definition(project.id, admin, name="Secret", kind="categorical", config={
        "options": [{"key": "leak", "label": "Leaked"}, {"key": "fine", "label": "Fine"}]})
    review(project, ann, "sensitive", [{"definition_id": str(secret.id), "categorical_values": ["leak"]}])
    blind = judgment_rows.queue(project.id, "Blind panel", per_trace=2, blind=True)
    judgment_rows.item(blind, "sensitive")  # pending for Bob, who has not judged it: Ann's review is hidden from him

    def leaked(page: str) -> str:
        card = re.search(r"<h3>Secret</h3>.*?</article>", html.unescape(page), re.S)
        return card.group(0) if card else ""

    token = login(admin)
    assert ">1 (100%)</span>" in leaked(client.get(f"/projects/{project.id}/insights/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    login(bob)
    shown = leaked(client.get(f"/projects/{project.id}/insights/").get_data(as_text=True))
    assert ">1 (100%)</span>" not in shown and "1 review" not in shown
