"""The review history (services/review_history): every write path of a final review records exactly one entry with
the values before and after, in the write's transaction; a refused write and an unchanged save record nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reviewapp.extensions import db
from reviewapp.models import ReviewChange, TraceReview
from reviewapp.services import queue_items, queues, review_history, reviews, scorers, submissions
from reviewapp.services.errors import NotFound, ValidationError

QUALITY = {"min": 1, "max": 5, "step": 1, "passing_rule": {"operator": "gte", "threshold": 3}}
TONE = {"options": [{"key": "warm", "label": "Warm"}, {"key": "cold", "label": "Cold"}],
        "passing_rule": {"categories": ["warm"]}}


@pytest.fixture
def team(factory):
    project = factory.project("History")
    ada = factory.user(project=project, role="admin", first_name="Ada", last_name="Admin")
    rita = factory.user(project=project, role="reviewer", first_name="Rita", last_name="Reviewer")
    quality = scorers.create_definition(project.id, ada, name="Answer quality", kind="numeric", config=QUALITY)
    tone = scorers.create_definition(project.id, ada, name="tone", kind="categorical", config=TONE)
    helpful = scorers.create_definition(project.id, ada, name="Helpful", kind="boolean",
                                        config={"true_label": "Helped"})
    return project, ada, rita, quality, tone, helpful


def entries(project_id: int, trace_id: str = "t-1") -> list[ReviewChange]:
    """The trace's history, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(ReviewChange).where(ReviewChange.project_id == project_id,
                                                              ReviewChange.trace_id == trace_id)
                                   .order_by(ReviewChange.created_at, ReviewChange.id)))


def count() -> int:
    return db.session.scalar(select(func.count(ReviewChange.id))) or 0


def score(definition, **value) -> dict:
    return {"definition_id": str(definition.id), **value}


def snap_score(definition, version: int, display: str, passed, *, numeric=None, categorical=None,
               boolean=None) -> dict:
    return {"definition_id": str(definition.id), "definition_name": definition.name, "definition_kind": definition.kind,
            "definition_version_id": _version_id(definition, version),
            "definition_version": version, "categorical_values": categorical, "numeric_value": numeric,
            "boolean_value": boolean, "display_value": display, "passed": passed}


def _version_id(definition, version: int) -> str:
    from reviewapp.models import ScoreDefinitionVersion

    return str(db.session.scalar(select(ScoreDefinitionVersion.id).where(
        ScoreDefinitionVersion.definition_id == definition.id, ScoreDefinitionVersion.version == version)))


def test_creating_records_the_new_values_in_full(team):
    project, ada, rita, quality, tone, helpful = team
    review = reviews.save_review(project.id, rita, trace_id="t-1", comment="Polite.", scores=[
        score(quality, numeric_value=4), score(tone, categorical_values=["cold"]), score(helpful, boolean_value=True)])
    [entry] = entries(project.id)
    assert (entry.action, entry.subject, entry.actor_id, entry.review_id, entry.subject_id, entry.before) == (
        "created", "review", rita.id, review.id, review.id, None)
    assert entry.created_at == review.created_at
    assert entry.after == {
        "comment": "Polite.",
        "reviewed_by": {"id": rita.id, "name": "Rita Reviewer"},
        "scores": [  # by scorer name, whatever its case
            snap_score(quality, 1, "4", True, numeric="4.000000"),
            snap_score(helpful, 1, "Helped", True, boolean=True),
            snap_score(tone, 1, "Cold", False, categorical=["cold"]),
        ],
    }


def test_someone_elses_edit_keeps_the_author_and_records_both_names(team):
    project, ada, rita, quality, tone, helpful = team
    review = reviews.save_review(project.id, rita, trace_id="t-1", comment="Fine",
                                 scores=[score(quality, numeric_value=2)])
    reviews.save_review(project.id, ada, review_id=review.id, comment="Not fine",
                        scores=[score(quality, numeric_value=4), score(helpful, boolean_value=False)])
    stored = db.session.get(TraceReview, review.id)
    assert (stored.created_by_id, stored.reviewed_by_id) == (rita.id, ada.id)
    created, edited = entries(project.id)
    assert (edited.action, edited.actor_id) == ("updated", ada.id)
    assert edited.before == created.after
    assert edited.before["reviewed_by"] == {"id": rita.id, "name": "Rita Reviewer"}
    assert edited.after == {"comment": "Not fine", "reviewed_by": {"id": ada.id, "name": "Ada Admin"}, "scores": [
        snap_score(quality, 1, "4", True, numeric="4.000000"),
        snap_score(helpful, 1, "No", False, boolean=False)]}
    view = review_history.describe(edited)
    assert (view.actor_name, view.owner_name, view.comment_changed) == ("Ada Admin", "Rita Reviewer", True)
    assert [(line.name, line.before and (line.before.value, line.before.passed),
             line.after and (line.after.value, line.after.passed)) for line in view.scores] == [
        ("Answer quality", ("2", False), ("4", True)), ("Helpful", None, ("No", False))]


def test_an_unchanged_save_records_nothing_unless_someone_else_saves_it(team):
    project, ada, rita, quality, *_ = team
    review = reviews.save_review(project.id, rita, trace_id="t-1", comment="Same",
                                 scores=[score(quality, numeric_value=3)])
    reviews.save_review(project.id, rita, review_id=review.id, comment="Same", scores=[score(quality, numeric_value=3)],
                        time_spent_seconds=30)
    reviews.save_review(project.id, rita, review_id=review.id)  # PATCH {}
    assert [e.action for e in entries(project.id)] == ["created"]
    reviews.save_review(project.id, ada, review_id=review.id)  # PATCH {} by someone else: they are now the reviewer
    created, saved = entries(project.id)
    assert saved.action == "updated" and saved.actor_id == ada.id
    assert saved.before == created.after
    assert saved.after == {**created.after, "reviewed_by": {"id": ada.id, "name": "Ada Admin"}}
    view = review_history.describe(saved)
    assert view.scores == [] and not view.comment_changed and view.owner_name == "Rita Reviewer"


def test_deleting_records_what_the_review_held_and_the_history_outlives_it(team):
    project, ada, rita, quality, *_ = team
    review = reviews.save_review(project.id, rita, trace_id="t-1", comment="Gone soon",
                                 scores=[score(quality, numeric_value=5)])
    reviews.delete_review(project.id, ada, review.id)
    created, deleted = entries(project.id)
    assert (deleted.action, deleted.actor_id, deleted.after) == ("deleted", ada.id, None)
    assert deleted.before == created.after
    again = reviews.save_review(project.id, ada, trace_id="t-1", comment="A new review")
    changes, total = review_history.review_history(project.id, review.id)
    assert total == 2 and [c.action for c in changes] == ["deleted", "created"]  # newest first
    changes, total = review_history.trace_history(project.id, "t-1")
    assert total == 3 and [(c.action, c.review_id) for c in changes] == [
        ("created", again.id), ("deleted", review.id), ("created", review.id)]


@pytest.mark.parametrize("refused", [
    "bad score", "unknown scorer", "trace change", "too long a comment", "second review", "deleted review",
    "another project's review"])
def test_a_refused_write_records_nothing(team, factory, refused):
    project, ada, rita, quality, *_ = team
    review = reviews.save_review(project.id, rita, trace_id="t-1", comment="Kept",
                                 scores=[score(quality, numeric_value=3)])
    gone = reviews.save_review(project.id, rita, trace_id="t-2", comment="Deleted")
    reviews.delete_review(project.id, rita, gone.id)
    before = count()
    other = factory.project()
    attempts = {
        "bad score": lambda: reviews.save_review(project.id, ada, review_id=review.id,
                                                 scores=[score(quality, numeric_value=9)]),
        "unknown scorer": lambda: reviews.save_review(project.id, ada, review_id=review.id, comment="x",
                                                      scores=[{"definition_id": str(other.id)}]),
        "trace change": lambda: reviews.save_review(project.id, ada, review_id=review.id, trace_id="t-9",
                                                    comment="moved"),
        "too long a comment": lambda: reviews.save_review(project.id, ada, review_id=review.id,
                                                          comment="x" * (reviews.COMMENT_MAX + 1)),
        "second review": lambda: reviews.save_review(project.id, ada, trace_id="t-1", comment="mine"),
        "deleted review": lambda: reviews.delete_review(project.id, ada, gone.id),
        "another project's review": lambda: reviews.delete_review(other.id, ada, review.id),
    }
    with pytest.raises((ValidationError, NotFound)):
        attempts[refused]()
    assert count() == before
    assert db.session.get(TraceReview, review.id).comment == "Kept"


def test_the_review_pages_save_records_creation_edit_and_a_save_over_someone_else(team):
    project, ada, rita, quality, *_ = team
    queue = queues.create_queue(project.id, ada, "Q")
    item = queue_items.add_item(project.id, ada, queue.id, "t-1")
    created = submissions.submit_review(project.id, rita, item=item, queue=queue, basis="", comment="first",
                                    scores=[score(quality, numeric_value=2)])
    stale = submissions.basis_of(created)
    edited = submissions.submit_review(project.id, rita, trace_id="t-1", basis=stale,
                                   comment="second", scores=[score(quality, numeric_value=2)])
    with pytest.raises(submissions.SaveConflict):  # the page showed an older save: nothing is written
        submissions.submit_review(project.id, ada, trace_id="t-1", basis=stale, comment="over",
                              scores=[score(quality, numeric_value=5)])
    with pytest.raises(submissions.MissingScores):
        submissions.submit_review(project.id, ada, trace_id="t-1", basis=submissions.basis_of(edited), scores=[])
    assert [e.action for e in entries(project.id)] == ["created", "updated"]
    submissions.submit_review(project.id, ada, trace_id="t-1", basis=stale, comment="over",
                          scores=[score(quality, numeric_value=5)], overwrite=True)
    first, second, over = entries(project.id)
    assert (first.after["comment"], second.before["comment"], second.after["comment"]) == ("first", "first", "second")
    assert over.before == second.after and over.actor_id == ada.id
    assert over.after["comment"] == "over" and over.after["scores"][0]["display_value"] == "5"
    assert db.session.get(TraceReview, created.id).created_by_id == rita.id


def test_a_save_against_a_new_version_records_the_version_and_verdict_change(team):
    project, ada, rita, quality, *_ = team
    review = reviews.save_review(project.id, rita, trace_id="t-1", scores=[score(quality, numeric_value=3)])
    stricter = {**QUALITY, "passing_rule": {"operator": "gte", "threshold": 4}}
    scorers.new_version(project.id, ada, quality.id, stricter, base_version=1)
    reviews.save_review(project.id, rita, review_id=review.id, scores=[score(quality, numeric_value=3)])
    _, resaved = entries(project.id)
    [line] = review_history.describe(resaved).scores
    assert (line.before, line.after, line.version_changed) == (
        review_history.ScoreSide("3", True, 1), review_history.ScoreSide("3", False, 2), True)


def test_the_trace_pages_history_is_one_query_newest_first_and_says_when_there_is_more(team, count_queries):
    project, ada, rita, quality, *_ = team
    review = reviews.save_review(project.id, rita, trace_id="t-1", comment="v0")
    for n in range(1, 4):
        reviews.save_review(project.id, ada if n % 2 else rita, review_id=review.id, comment=f"v{n}")
    project_id = project.id
    db.session.expire_all()
    with count_queries() as statements:
        shown, more = review_history.recent_for_trace(project_id, "t-1", limit=3)
        [(entry.actor_name, entry.comment_after) for entry in shown]
    assert len(statements) == 1
    assert more and [e.comment_after for e in shown] == ["v3", "v2", "v1"]
    everything, more = review_history.recent_for_trace(project_id, "t-1", limit=None)
    assert not more and [e.action for e in everything] == ["updated"] * 3 + ["created"]
