"""The history read back for a member obeys blind review: while a trace is pending in a blind queue and the member
has not judged it, the entries of others' judgments and of its final review are left out — both on the trace page
(recent_for_trace) and in the trace-scoped API list (trace_history) — and the entries of their own judgments never
are. Admins read everything; the project's other traces are untouched."""
from __future__ import annotations

from datetime import UTC, datetime

from reviewapp.extensions import db
from reviewapp.models import ReviewQueueItem
from reviewapp.services import accounts, queues, review_history
from tests.support.blind_rows import judge, live_item, several_reviewers
from tests.web.workbench import build


def quality(wb, key: str) -> list[dict]:
    return [{"definition_id": str(wb.quality.id), "categorical_values": [key]}]


def member(user, project):
    return accounts.membership_for(user.id, project.id)


def seen(wb, user, trace_id: str) -> tuple[list[str], list[str]]:
    """(the trace page's entries, the API list's entries), each as "actor subject", newest first."""
    who = member(user, wb.project)
    page, _ = review_history.recent_for_trace(wb.project.id, trace_id, limit=None, membership=who)
    listed, total = review_history.trace_history(wb.project.id, trace_id, membership=who)
    assert total == len(listed)
    return ([f"{entry.actor_name} {entry.subject}" for entry in page],
            [f"{change.actor.display_name} {change.subject}" for change in listed])


def test_others_judgment_entries_are_hidden_until_the_member_has_judged(factory):
    wb = build(factory)
    bob = factory.user(project=wb.project, role="reviewer", first_name="Bob", last_name="Other")
    several_reviewers(wb.queue, reviews_per_trace=3, blind=True)
    item = live_item(wb.project.id, "trace-001")
    judge(item, bob, quality(wb, "good"), minutes_ago=3)
    judge(live_item(wb.project.id, "trace-002"), bob, quality(wb, "bad"), minutes_ago=3)

    assert seen(wb, wb.reviewer, "trace-001") == ([], [])
    assert seen(wb, wb.viewer, "trace-001") == ([], [])
    assert seen(wb, wb.admin, "trace-001") == (["Bob Other judgment"], ["Bob Other judgment"])
    assert seen(wb, bob, "trace-001") == (["Bob Other judgment"], ["Bob Other judgment"])

    judge(item, wb.reviewer, quality(wb, "ok"))
    both = ["Rita Reviewer judgment", "Bob Other judgment"]
    assert seen(wb, wb.reviewer, "trace-001") == (both, both)
    assert seen(wb, wb.reviewer, "trace-002") == ([], [])  # judging one trace lifts nothing on another


def test_the_members_own_judgment_entries_show_while_the_trace_is_hidden(factory):
    wb = build(factory)
    bob = factory.user(project=wb.project, role="reviewer", first_name="Bob", last_name="Other")
    earlier = queues.create_queue(wb.project.id, wb.admin, "Earlier round")
    old = ReviewQueueItem(project_id=wb.project.id, queue_id=earlier.id, trace_id="trace-001",
                          deleted_at=datetime(2026, 1, 1, tzinfo=UTC), deleted_reason="reviewed")
    db.session.add(old)
    db.session.commit()
    judge(old, wb.reviewer, quality(wb, "ok"), minutes_ago=60)
    several_reviewers(wb.queue, reviews_per_trace=2, blind=True)
    judge(live_item(wb.project.id, "trace-001"), bob, quality(wb, "good"))
    assert seen(wb, wb.reviewer, "trace-001") == (["Rita Reviewer judgment"], ["Rita Reviewer judgment"])


def test_in_a_queue_that_is_not_blind_every_entry_shows(factory):
    wb = build(factory)
    bob = factory.user(project=wb.project, role="reviewer", first_name="Bob", last_name="Other")
    several_reviewers(wb.queue, reviews_per_trace=3, blind=False)
    judge(live_item(wb.project.id, "trace-001"), bob, quality(wb, "good"))
    assert seen(wb, wb.viewer, "trace-001") == (["Bob Other judgment"], ["Bob Other judgment"])
