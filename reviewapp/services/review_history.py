"""The history of reviews: a snapshot of a review's values, the change recorded in the transaction of the write
that made it (services/reviews calls `record`, for every creation, edit and deletion), and the history read back
for the trace page and the API — deleted reviews' entries included, so nothing vanishes. Read by a member, the
history obeys blind review (services.visibility): entries of others' work they may not see are left out, the
entries of their own judgment never."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from reviewapp.extensions import db
from reviewapp.models import Judgment, JudgmentScore, Membership, ReviewChange, TraceReview, TraceReviewScore, User
from reviewapp.services import visibility
from reviewapp.services.common import as_uuid, ordering
from reviewapp.services.errors import NotFound

REVIEW = "review"
CREATED, UPDATED, DELETED, ADJUDICATED = "created", "updated", "deleted", "adjudicated"
JUDGMENT = "judgment"  # the subject of a judgment's entries (services.judgments)
ORDERS = {"created_at": ReviewChange.created_at}
NEWEST_FIRST: list[Any] = [ReviewChange.created_at.desc(), ReviewChange.id.desc()]
SHOWN = 25  # entries the trace page shows before "Show all"


# --- what a change records ---------------------------------------------------------------------------

def score_text(score: Any) -> str:
    """A saved score's value in the words of the scorer version it was saved against (option labels, the
    boolean's labels, a number without trailing zeros). The pages' `score_value` filter is this too."""
    config = score.definition_config or {}
    if score.categorical_values is not None:
        labels = {o.get("key"): o.get("label") for o in config.get("options", []) if isinstance(o, dict)}
        return ", ".join(str(labels.get(key) or key) for key in score.categorical_values)
    if score.boolean_value is not None:
        if score.boolean_value:
            return str(config.get("true_label") or "Yes")
        return str(config.get("false_label") or "No")
    if score.numeric_value is not None:
        text = f"{score.numeric_value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return "—"


def _score_snapshot(score: TraceReviewScore | JudgmentScore) -> dict[str, Any]:
    numeric = score.numeric_value
    return {
        "definition_id": str(score.definition_id),
        "definition_name": score.definition.name,
        "definition_kind": score.definition.kind,
        "definition_version_id": str(score.definition_version_id),
        "definition_version": score.definition_version,
        "categorical_values": None if score.categorical_values is None else list(score.categorical_values),
        "numeric_value": None if numeric is None else f"{numeric:.6f}",  # the API's decimal string
        "boolean_value": score.boolean_value,
        "display_value": score_text(score),
        "passed": score.passed,
    }


def _snapshot(comment: str | None, reviewer: User | None, scores: Any) -> dict[str, Any]:
    return {
        "comment": comment,
        "reviewed_by": None if reviewer is None else {"id": reviewer.id, "name": reviewer.display_name},
        "scores": sorted((_score_snapshot(score) for score in scores),
                         key=lambda s: (s["definition_name"].lower(), s["definition_name"], s["definition_id"])),
    }


def snapshot(review: TraceReview) -> dict[str, Any]:
    """What a history entry keeps of a review: its comment, who it names as reviewer, and each score (the
    scorer's name and version at the time, the value raw and in words, the verdict), by scorer name."""
    return _snapshot(review.comment, review.reviewed_by, review.scores)


def judgment_snapshot(judgment: Judgment) -> dict[str, Any]:
    """What a history entry keeps of a judgment: as a review's snapshot, its author named as reviewer."""
    return _snapshot(judgment.comment, judgment.reviewer, judgment.scores)


def _record(subject: str, owner: TraceReview | Judgment, actor: User, action: str, before: dict[str, Any] | None,
            after: dict[str, Any] | None, when: datetime) -> ReviewChange | None:
    """Add the change to the session, for the caller's commit (so a refused or failed write records nothing).
    An edit that changes nothing — not even who is named as reviewer — is not a change."""
    if action == UPDATED and before == after:
        return None
    change = ReviewChange(project_id=owner.project_id, trace_id=owner.trace_id, subject=subject,
                          subject_id=owner.id, review_id=owner.id if subject == REVIEW else None,
                          actor_id=actor.id, action=action, before=before, after=after, created_at=when)
    db.session.add(change)
    return change


def record(review: TraceReview, actor: User, action: str, before: dict[str, Any] | None,
           after: dict[str, Any] | None, when: datetime) -> ReviewChange | None:
    return _record(REVIEW, review, actor, action, before, after, when)


def record_judgment(judgment: Judgment, actor: User, action: str, before: dict[str, Any] | None,
                    after: dict[str, Any] | None, when: datetime) -> ReviewChange | None:
    return _record(JUDGMENT, judgment, actor, action, before, after, when)


# --- reading it back -----------------------------------------------------------------------------------

SUBJECTS = (REVIEW, JUDGMENT)  # a trace's history: its final reviews' changes and its judgments'


def visible_to(membership: Membership | None) -> list[ColumnElement[bool]]:
    """The entries `membership` may read (all when None): blind review's rule applied to each entry's trace,
    except that the entries of the member's own judgments are always theirs to see."""
    if membership is None:
        return []
    shown = visibility.visible(membership, ReviewChange.trace_id)
    if shown is None:
        return []
    own_judgments = select(Judgment.id).where(Judgment.reviewer_id == membership.user_id)
    return [or_(shown, (ReviewChange.subject == JUDGMENT) & ReviewChange.subject_id.in_(own_judgments))]


def _page(conditions: list[Any], order: str | None, limit: int, offset: int) -> tuple[list[ReviewChange], int]:
    total = db.session.scalar(select(func.count(ReviewChange.id)).where(*conditions)) or 0
    order_by = ordering(order, ORDERS, NEWEST_FIRST, ReviewChange.id)
    changes = db.session.scalars(select(ReviewChange).where(*conditions).order_by(*order_by)
                                 .limit(limit).offset(offset)).all()
    return list(changes), total


def review_history(project_id: int, review_id: uuid.UUID | str, *, order: str | None = None, limit: int = 100,
                   offset: int = 0, membership: Membership | None = None) -> tuple[list[ReviewChange], int]:
    """A page of one review's changes, newest first by default; a deleted review's too. NotFound when the
    project has no such review, or blind review hides it from `membership`."""
    wanted = as_uuid(review_id)
    known = wanted and db.session.scalar(
        select(TraceReview.id).where(TraceReview.project_id == project_id, TraceReview.id == wanted,
                                     *([] if membership is None
                                       else visibility.where_visible(membership, TraceReview.trace_id))))
    if not known:
        raise NotFound()
    return _page([ReviewChange.review_id == wanted, ReviewChange.project_id == project_id], order, limit, offset)


def trace_history(project_id: int, trace_id: str, *, order: str | None = None, limit: int = 100,
                  offset: int = 0, membership: Membership | None = None) -> tuple[list[ReviewChange], int]:
    """A page of the changes to every review the trace has had (deleted ones too) and to its judgments, newest
    first by default; for `membership`, only the entries blind review lets them see."""
    conditions = [ReviewChange.project_id == project_id, ReviewChange.trace_id == trace_id,
                  ReviewChange.subject.in_(SUBJECTS), *visible_to(membership)]
    return _page(conditions, order, limit, offset)


# --- the trace page's card -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreSide:
    """One score as an entry recorded it."""

    value: str
    passed: bool | None
    version: int


@dataclass(frozen=True)
class ScoreChange:
    """One scorer's line in an entry: before and after (None: the score was not there)."""

    name: str
    before: ScoreSide | None
    after: ScoreSide | None

    @property
    def version_changed(self) -> bool:
        return self.before is not None and self.after is not None and self.before.version != self.after.version


@dataclass(frozen=True)
class ChangeView:
    """An entry as the trace page tells it."""

    change: ReviewChange
    actor_name: str
    owner_name: str | None  # whose review it was, when not the actor's own
    scores: list[ScoreChange]  # what changed (an edit) or what there was (a creation or deletion)
    comment_before: str | None
    comment_after: str | None

    @property
    def action(self) -> str:
        return self.change.action

    @property
    def subject(self) -> str:
        return self.change.subject

    @property
    def comment_changed(self) -> bool:
        return self.comment_before != self.comment_after


def _side(score: dict[str, Any] | None) -> ScoreSide | None:
    if score is None:
        return None
    return ScoreSide(score["display_value"], score["passed"], score["definition_version"])


def _score_changes(before: dict[str, Any], after: dict[str, Any], only_changed: bool) -> list[ScoreChange]:
    old = {s["definition_id"]: s for s in before.get("scores", [])}
    new = {s["definition_id"]: s for s in after.get("scores", [])}
    lines = []
    for definition_id in [*new, *(i for i in old if i not in new)]:
        was, now = _side(old.get(definition_id)), _side(new.get(definition_id))
        if only_changed and was == now:
            continue
        name = (new.get(definition_id) or old[definition_id])["definition_name"]
        lines.append(ScoreChange(name, was, now))
    return sorted(lines, key=lambda line: (line.name.lower(), line.name))


def _name(user: User | None) -> str:
    return user.display_name if user is not None else "A former user"


def describe(change: ReviewChange) -> ChangeView:
    before, after = change.before or {}, change.after or {}
    values = before or after
    owner = values.get("reviewed_by") or values.get("reviewer")  # a judgment's snapshot may name it so
    owner_name = owner.get("name") if isinstance(owner, dict) and owner.get("id") != change.actor_id else None
    return ChangeView(change=change, actor_name=_name(change.actor), owner_name=owner_name,
                      scores=_score_changes(before, after, only_changed=change.action == UPDATED),
                      comment_before=before.get("comment"), comment_after=after.get("comment"))


def recent_for_trace(project_id: int, trace_id: str, limit: int | None = SHOWN,
                     membership: Membership | None = None) -> tuple[list[ChangeView], bool]:
    """The trace's history for its page, newest first: the newest `limit` entries (None: all) and whether
    there are more — one query, whatever the number of entries. For `membership`, only the entries blind
    review lets them see (their own judgment's always)."""
    query = (select(ReviewChange)
             .where(ReviewChange.project_id == project_id, ReviewChange.trace_id == trace_id,
                    ReviewChange.subject.in_(SUBJECTS), *visible_to(membership))
             .order_by(*NEWEST_FIRST))
    if limit is not None:
        query = query.limit(limit + 1)
    changes = list(db.session.scalars(query))
    more = limit is not None and len(changes) > limit
    return [describe(change) for change in changes[:limit]], more
