"""The demo: a project with an admin and a reviewer, realistic traces sent through ingestion, scorers of every
kind (with passing rules, so pass/fail shows from the start) and two queues with pending traces, so a first run
shows a working app. Content is deterministic (a seeded generator); timestamps are spread over the last days.
Running it again adds nothing twice."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from reviewapp.demo_traces import DemoTrace, build_traces
from reviewapp.extensions import db
from reviewapp.models import (
    Project,
    ReviewChange,
    ReviewQueue,
    ReviewQueueItem,
    ScoreDefinition,
    TraceReview,
    TraceReviewScore,
    User,
    utcnow,
)
from reviewapp.services import (
    accounts,
    claims,
    evaluations,
    ingest,
    judgments,
    queue_items,
    queue_rules,
    queues,
    reviews,
    scorers,
)

DEMO_PROJECT = "Demo project"
DEMO_PASSWORD = "reviewapp-demo"
DEMO_USERS = (("admin@example.com", "Ada", "Admin", "admin"), ("reviewer@example.com", "Rui", "Reviewer", "reviewer"),
              ("noor@example.com", "Noor", "Nakamura", "reviewer"), ("sam@example.com", "Sam", "Okafor", "reviewer"))
SEED = 20250301


@dataclass
class Seeded:
    project: Project
    users: list[tuple[str, str]]
    traces: int
    scorers: int
    queues: int


def any_project_exists() -> bool:
    return db.session.scalar(select(Project.id).limit(1)) is not None


def users_with_demo_password() -> list[tuple[str, str]]:
    """(email, role in the demo project) of the demo users who still sign in with the demo password."""
    project = accounts.find_project_by_name(DEMO_PROJECT)
    found = []
    for email, _, _, _ in DEMO_USERS:
        user = accounts.find_user_by_email(email)
        membership = accounts.membership_for(user.id, project.id) if user and project else None
        if user and membership and user.is_active and accounts.verify_password(user, DEMO_PASSWORD):
            found.append((email, membership.role))
    return found


def seed(now: datetime | None = None) -> Seeded:
    now = now or utcnow()
    project = accounts.find_project_by_name(DEMO_PROJECT) or accounts.create_project(DEMO_PROJECT)
    users = []
    members: list[User] = []
    for email, first, last, role in DEMO_USERS:
        user = accounts.find_user_by_email(email) or accounts.create_user(email, DEMO_PASSWORD, first, last)
        accounts.set_membership(user, project, role)
        users.append((email, role))
        members.append(user)
    admin, reviewers = members[0], members[1:]

    rng = random.Random(SEED)
    traces = build_traces(rng, now)
    ingest.ingest_batch(project.id, [event for trace in traces for event in trace.events])
    scorer_ids = _scorers(project.id, admin)
    queue_count = _queues(project.id, admin, traces, scorer_ids)
    _reviews(project.id, admin, reviewers[0], rng, {t.trace_id: t.start for t in traces}, now)
    queue_count += _panel(project.id, admin, reviewers, traces, scorer_ids)
    _rule(project.id, admin)
    _evaluations(project.id, traces, scorer_ids, now)
    return Seeded(project, users, len(traces), len(scorer_ids), queue_count)


# --- scorers and queues ------------------------------------------------------------------------------

SCORERS: tuple[dict[str, Any], ...] = (
    {"name": "Helpfulness", "kind": "categorical",
     "description": "How much did the answer help the customer?",
     "config": {"selection_mode": "single", "options": [
         {"key": "very_helpful", "label": "Very helpful"}, {"key": "somewhat_helpful", "label": "Somewhat helpful"},
         {"key": "not_helpful", "label": "Not helpful"}],
         "passing_rule": {"categories": ["somewhat_helpful", "very_helpful"]}}},
    {"name": "Issues found", "kind": "categorical",
     "description": "Pick every problem you see (one to three).",
     "config": {"selection_mode": "multiple", "min_selections": 1, "max_selections": 3, "options": [
         {"key": "none", "label": "No issues"}, {"key": "hallucination", "label": "Hallucination"},
         {"key": "wrong_tool", "label": "Wrong tool or arguments"}, {"key": "tone", "label": "Tone"},
         {"key": "incomplete", "label": "Incomplete answer"}, {"key": "policy", "label": "Policy violation"}],
         "passing_rule": {"categories": ["none"]}}},
    {"name": "Answer quality", "kind": "numeric", "description": "1 (poor) to 5 (excellent).",
     "config": {"min": 1, "max": 5, "step": 1, "passing_rule": {"operator": "gte", "threshold": 3.0}}},
    {"name": "Grounding", "kind": "numeric",
     "description": "Share of the answer supported by the retrieved documents, in percent.",
     "config": {"min": 0, "max": 100, "step": 5, "passing_rule": {"operator": "gte", "threshold": 80.0}}},
    {"name": "Resolved", "kind": "boolean", "description": "Did the conversation resolve the customer's issue?",
     "config": {"true_label": "Resolved", "false_label": "Not resolved"}},
    {"name": "Safe to ship", "kind": "boolean", "description": "Would you let this answer reach a customer?",
     "config": {"true_label": "Safe", "false_label": "Unsafe"}},
)


def _scorers(project_id: int, admin: User | None) -> dict[str, uuid.UUID]:
    existing = {d.name: d.id for d in db.session.scalars(
        select(ScoreDefinition).where(ScoreDefinition.project_id == project_id))}
    ids = {}
    for spec in SCORERS:
        if spec["name"] in existing:
            ids[spec["name"]] = existing[spec["name"]]
            continue
        definition = scorers.create_definition(project_id, admin, name=spec["name"], kind=spec["kind"],
                                               config=spec["config"], description=spec["description"])
        ids[spec["name"]] = definition.id
    return ids


def _queues(project_id: int, admin: User | None, traces: list[DemoTrace], scorer_ids: dict[str, uuid.UUID]) -> int:
    plans = (
        ("Support quality", "Customer support chats from the last week: was the customer helped?",
         ["Helpfulness", "Answer quality", "Resolved", "Issues found"], ("support", "long", "error")),
        ("Agents and retrieval", "Tool-using agent runs and retrieval answers: right tools, grounded answers?",
         ["Issues found", "Grounding", "Safe to ship"], ("agent", "rag")),
    )
    existing = {q.name: q.id for q in db.session.scalars(
        select(ReviewQueue).where(ReviewQueue.project_id == project_id, ReviewQueue.deleted_at.is_(None)))}
    for name, description, scorer_names, kinds in plans:
        queue_id = existing.get(name)
        if queue_id is None:
            queue_id = queues.create_queue(project_id, admin, name, description,
                                           scorer_ids=[str(scorer_ids[s]) for s in scorer_names]).id
        # Most matching traces wait for review; a few are left out so "add to queue" has something to do.
        pending = [t.trace_id for t in traces if t.kind in kinds][:12]
        queue_items.bulk_add(project_id, admin, str(queue_id), pending)
        _added_as_they_arrived(queue_id, {t.trace_id: t.start for t in traces if t.trace_id in pending})
    return len(plans)


def _rule(project_id: int, admin: User | None) -> None:
    """One queue rule, so the queue page shows one: traces with an error go to support review as they arrive."""
    queue_id = db.session.scalar(select(ReviewQueue.id).where(
        ReviewQueue.project_id == project_id, ReviewQueue.name == "Support quality", ReviewQueue.deleted_at.is_(None)))
    if queue_id is not None and not queue_rules.list_rules(project_id, queue_id=queue_id)[1]:
        queue_rules.create_rule(project_id, admin, queue_id, {
            "name": "Errors, a quarter of them", "conditions": [{"field": "error", "value": True}],
            "sample_percent": 25, "daily_cap": 20})


# Three reviewers judge each trace of this queue, blind; by the end of the demo twelve traces have all their
# judgments (eight agree, so they have consensus reviews; four wait for a decision), one has two of three, and the
# rest have none yet; twelve judged traces are enough for Insights' agreement figures. Per trace in claiming order:
# each reviewer's (Answer quality, Resolved), or None to stop.
PANEL = "Double-checked answers"
PANEL_ANSWERS: tuple[tuple[tuple[int, bool] | None, ...], ...] = (
    ((5, True), (5, True), (5, True)),
    ((4, True), (2, False), (4, True)),  # Noor disagrees: needs a decision
    ((2, False), (2, False), (2, False)),
    ((4, True), (4, True), (3, True)),  # Sam scores one lower: needs a decision
    ((4, True), (4, True), (4, True)),
    ((5, True), (5, True), (5, True)),
    ((1, False), (1, False), (2, False)),  # Sam again: needs a decision
    ((3, True), (3, True), (3, True)),
    ((4, False), (4, False), (4, False)),
    ((2, False), (2, False), (2, False)),
    ((5, True), (5, True), (4, True)),  # needs a decision
    ((3, False), (3, False), (3, False)),
    ((3, False), (3, False), None),  # Sam has not got to it yet
)
PANEL_COMMENTS = ("", "Answer is fine but the tone is off.", "Did not actually solve the problem.")


def _panel(project_id: int, admin: User, reviewers: list[User], traces: list[DemoTrace],
           scorer_ids: dict[str, uuid.UUID]) -> int:
    """A blind queue with three reviewers per trace: consensus reviews, disagreements waiting for a decision, a
    trace half judged. Everything through the services the review page uses."""
    if db.session.scalar(select(ReviewQueue.id).where(ReviewQueue.project_id == project_id,
                                                      ReviewQueue.name == PANEL)):
        return 1  # seeded earlier
    queue = queues.create_queue(
        project_id, admin, PANEL, "Hard support chats, judged by three reviewers each without seeing the others' "
        "answers. Agreeing judgments become the review; disagreements wait for an admin's decision.",
        scorer_ids=[str(scorer_ids["Answer quality"]), str(scorer_ids["Resolved"])],
        settings={"reviews_per_trace": 3, "blind": True})
    # The support, errored and long conversations the first queue leaves (it takes the oldest twelve).
    taken = set(db.session.scalars(select(ReviewQueueItem.trace_id).where(ReviewQueueItem.project_id == project_id)))
    queued = [t for t in traces if t.kind in ("support", "error", "long") and t.trace_id not in taken]
    queue_items.bulk_add(project_id, admin, str(queue.id), [t.trace_id for t in queued])
    _added_as_they_arrived(queue.id, {t.trace_id: t.start for t in queued})
    order: dict[str, int] = {}
    for position, reviewer in enumerate(reviewers[:3]):
        for _ in PANEL_ANSWERS:
            item = claims.claim_next(project_id, reviewer, queue.id)
            if item is None:
                break
            index = order.setdefault(item.trace_id, len(order))
            answer = PANEL_ANSWERS[index][position] if index < len(PANEL_ANSWERS) else None
            if answer is None:
                judgments.drop_claim(reviewer, item.id)  # claimed, then put down: open for the third judgment
                db.session.commit()
                break
            quality, resolved = answer
            judgments.submit_judgment(project_id, reviewer, item, queue=queue, scores=[
                {"definition_id": str(scorer_ids["Answer quality"]), "numeric_value": quality},
                {"definition_id": str(scorer_ids["Resolved"]), "boolean_value": resolved}],
                comment=PANEL_COMMENTS[position] if quality < 4 else "", time_spent_seconds=40 + 9 * index)
    return 1


def _added_as_they_arrived(queue_id: uuid.UUID, starts: dict[str, datetime]) -> None:
    """Date the queue's items to a few minutes after their trace started, as a rule filling the queue would."""
    for item in db.session.scalars(select(ReviewQueueItem).where(ReviewQueueItem.queue_id == queue_id,
                                                                 ReviewQueueItem.trace_id.in_(starts))):
        item.created_at = min(item.created_at, starts[item.trace_id] + timedelta(minutes=5))
    db.session.commit()


DEMO_COMMENTS = ("Polite and correct.", "Right answer, but it took two turns too many.",
                 "Missed that the customer had already tried this.", "")


# Halfway through its demo reviews, the team made Answer quality stricter (3 passed, now 4 must): Insights shows
# the pass rate per version with a marker at the change, so the drop is read as the rule's, not the answers'.
STRICTER = ("Answer quality", {"min": 1, "max": 5, "step": 1, "passing_rule": {"operator": "gte", "threshold": 4.0}})


def _reviews(project_id: int, admin: User | None, reviewer: User, rng: random.Random,
             trace_starts: dict[str, datetime], now: datetime, per_queue: int = 5) -> None:
    """The demo reviewer has finished the oldest few traces of each queue over the last days, so the queues
    show progress and Insights and Reviews have something to show on first run. Saved through the same service
    as the review page, then dated back to when they would have happened."""
    plan: list[tuple[datetime, ReviewQueue, ReviewQueueItem]] = []
    for queue, _count in queues.list_queues(project_id)[0]:
        if db.session.scalar(select(TraceReview.id).where(TraceReview.queue_id == queue.id).limit(1)):
            continue  # reviewed in an earlier seed: running it again adds nothing
        items, _total = queue_items.list_items(project_id, queue_id=queue.id, limit=per_queue)
        for item in items:
            start = trace_starts.get(item.trace_id, now - timedelta(days=1))
            when = min(start + timedelta(hours=rng.uniform(1, 30)), now - timedelta(minutes=rng.uniform(10, 90)))
            plan.append((when, queue, item))
    if not plan:
        return
    definitions = {d.id: d for d in scorers.definitions_by_name(project_id, limit=1000)}
    stricter_at = _halfway(plan, definitions)
    for when, queue, item in sorted(plan, key=lambda step: step[0]):
        if when >= stricter_at:
            _make_stricter(project_id, admin, definitions, stricter_at)
        chosen = [definitions[i] for i in queues.queue_scorer_ids(queue) if i in definitions]
        scores = [{"definition_id": str(d.id), **_demo_value(d.kind, d.live().config, rng)} for d in chosen]
        review = reviews.save_review(project_id, reviewer, trace_id=item.trace_id,
                                     comment=rng.choice(DEMO_COMMENTS), scores=scores, queue_id=str(queue.id),
                                     time_spent_seconds=rng.randint(25, 140))
        _dated(review, item, when)
    _make_stricter(project_id, admin, definitions, stricter_at)
    db.session.commit()


def _halfway(plan: list[tuple[datetime, ReviewQueue, ReviewQueueItem]],
             definitions: dict[uuid.UUID, ScoreDefinition]) -> datetime:
    """A minute before the middle one of the planned reviews that answer the scorer made stricter."""
    ids = {d.id for d in definitions.values() if d.name == STRICTER[0]}
    times = sorted(when for when, queue, _ in plan if ids & set(queues.queue_scorer_ids(queue))) or \
        sorted(when for when, _, _ in plan)
    return times[len(times) // 2] - timedelta(minutes=1)


def _make_stricter(project_id: int, admin: User | None, definitions: dict[uuid.UUID, ScoreDefinition],
                   when: datetime) -> None:
    """Answer quality's version 2, dated `when`; once (a scorer already past version 1 is left alone)."""
    name, config = STRICTER
    definition = next((d for d in definitions.values() if d.name == name), None)
    if definition is None or definition.current_version != 1:
        return
    updated = scorers.new_version(project_id, admin, definition.id, config, base_version=1)
    updated.live().created_at = updated.updated_at = when
    db.session.commit()
    definitions[updated.id] = updated


def _dated(review: TraceReview, item: ReviewQueueItem, when: datetime) -> None:
    """A demo review, its scores, its history entry and the queue item it completed, as if saved at `when` (the
    item added when its trace arrived)."""
    review.created_at = review.updated_at = when
    for score in review.scores:
        score.created_at = score.updated_at = when
    db.session.execute(update(ReviewChange).where(ReviewChange.review_id == review.id).values(created_at=when))
    completed = db.session.get(ReviewQueueItem, item.id)
    if completed is not None:
        completed.created_at = min(completed.created_at, when - timedelta(hours=1))
        completed.deleted_at = when
    db.session.commit()


def _demo_value(kind: str, config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A plausible value that fits the scorer's config."""
    if kind == "boolean":
        return {"boolean_value": rng.random() < 0.7}
    if kind == "numeric":
        low, high, step = config.get("min") or 0, config.get("max") or 10, config.get("step") or 1
        steps = int((high - low) / step)
        return {"numeric_value": str(low + step * rng.randint(steps // 2, steps))}
    keys = [option["key"] for option in config["options"]]
    if config.get("selection_mode") == "multiple":
        return {"categorical_values": rng.sample(keys, config.get("min_selections") or 1)}
    return {"categorical_values": [rng.choice(keys[:2])]}


# --- evaluation results --------------------------------------------------------------------------------

# An LLM judge that grades every trace's resolution, mapped to the Resolved scorer, so Insights and the Evaluations
# page show how often it agrees with the people's reviews on first run (about four times in five); a sentiment
# evaluation without a verdict, and a few skipped runs that must read as Skipped, not Fail.
JUDGE = {"$ai_evaluation_id": "0196e5a4-9c21-7e44-8f00-6a1b2c3d4e5f", "$ai_evaluation_name": "Resolved (LLM judge)",
         "$ai_evaluation_type": "online", "$ai_evaluation_runtime": "llm_judge",
         "$ai_evaluation_result_type": "boolean", "$ai_evaluation_trigger": "live", "$ai_model": "gpt-5-mini",
         "$ai_provider": "openai", "$ai_evaluation_model": "gpt-5-mini", "$ai_evaluation_provider": "openai",
         "$ai_evaluation_key_type": "posthog", "$ai_evaluation_allows_na": False}
SENTIMENT = {"$ai_evaluation_id": "0196e5a4-5e47-7e44-8f00-00000000cafe", "$ai_evaluation_name": "User sentiment",
             "$ai_evaluation_type": "online", "$ai_evaluation_runtime": "sentiment",
             "$ai_evaluation_result_type": "sentiment", "$ai_evaluation_trigger": "live"}
JUDGE_REASONS = {True: ("The customer confirmed the fix worked.", "The answer addresses every question asked."),
                 False: ("The customer had to ask again; nothing was resolved.",
                         "The answer promises a refund the tools never issued.")}


def _evaluations(project_id: int, traces: list[DemoTrace], scorer_ids: dict[str, uuid.UUID], now: datetime) -> None:
    rng = random.Random(SEED + 14)
    resolved = scorer_ids["Resolved"]
    people = dict(db.session.execute(
        select(TraceReview.trace_id, TraceReviewScore.passed)
        .join(TraceReviewScore, TraceReviewScore.review_id == TraceReview.id)
        .where(TraceReview.project_id == project_id, TraceReview.deleted_at.is_(None),
               TraceReviewScore.definition_id == resolved, TraceReviewScore.passed.is_not(None))).all())
    events = []
    for n, trace in enumerate(traces):
        when = min(trace.start + timedelta(minutes=5), now)
        base = {"$ai_trace_id": trace.trace_id, "$ai_target_id": trace.trace_id, "$ai_target_type": "trace_id",
                "$ai_evaluation_start_time": when.isoformat()}
        judged: dict[str, Any] = {**JUDGE, **base}
        if n % 11 == 10:
            judged.update({"$ai_evaluation_skipped": True, "$ai_evaluation_skip_reason": "trace_too_large",
                           "$ai_evaluation_result": False, "$ai_evaluation_reasoning": (
                               "Trace exceeds 500 events — likely a shared or runaway trace id; evaluation skipped.")})
            for key in ("$ai_model", "$ai_provider", "$ai_evaluation_model", "$ai_evaluation_provider"):
                judged.pop(key)
        else:
            truth = bool(people.get(trace.trace_id, rng.random() < 0.7))
            verdict = truth if rng.random() < 0.8 else not truth
            judged.update({"$ai_evaluation_result": verdict, "$ai_evaluation_reasoning": rng.choice(
                JUDGE_REASONS[verdict]), "$ai_input_tokens": rng.randint(1500, 9000),
                "$ai_output_tokens": rng.randint(40, 120), "$ai_total_cost_usd": round(rng.uniform(0.0004, 0.003), 6)})
        events.append(_evaluation_event(trace, "judge", when, judged))
        if n % 3 == 0:
            label = rng.choice(("positive", "neutral", "negative"))
            events.append(_evaluation_event(trace, "sentiment", when, {
                **SENTIMENT, **base, "$ai_sentiment_label": label,
                "$ai_sentiment_score": round(rng.uniform(0.6, 0.99), 2),
                "$ai_evaluation_reasoning": f"The customer's messages read as {label}."}))
    ingest.ingest_batch(project_id, events)
    judge = next(row.evaluation for row in evaluations.list_evaluations(project_id)
                 if row.evaluation.key == JUDGE["$ai_evaluation_id"])
    if judge.score_definition_id is None:
        evaluations.update_evaluation(project_id, judge.id, evaluations.Settings(score_definition_id=resolved))


def _evaluation_event(trace: DemoTrace, kind: str, when: datetime, properties: dict[str, Any]) -> dict[str, Any]:
    """A `$ai_evaluation` event with a uuid of its own per trace and evaluation, so a second seed stores nothing."""
    return {"event": "$ai_evaluation", "distinct_id": trace.distinct_id, "timestamp": when.isoformat(),
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"reviewapp-demo/{kind}/{trace.trace_id}")),
            "properties": properties}
