"""A small hand-made queue with three reviewers per trace, for the agreement tests (services.reliability, Insights,
the queue page, the API): four traces judged under four scorers of every kind, two of them settled (a consensus
and an adjudication) and one waiting for a decision, so every count is known by hand.

Quality (single choice)   ann   bob   cat   final
  t1                      good  good  good  good (consensus)
  t2                      good  bad   good  bad  (adjudicated: ann and cat overruled)
  t3                      ok    bad   good  –    (needs a decision)
  t4                      bad   bad   –     –    (pending)
t1 also has Tags (multi-select), Safe (boolean) and Rating (numeric) from each reviewer."""
from __future__ import annotations

from dataclasses import dataclass

from reviewapp.extensions import db
from reviewapp.models import Project, ReviewQueue, ReviewQueueItem, ScoreDefinition, User
from reviewapp.services import scorers
from tests.support import judgment_rows
from tests.support.factories import Factory


@dataclass
class Triple:
    project: Project
    ann: User  # admin
    bob: User  # reviewer
    cat: User  # reviewer
    viewer: User
    quality: ScoreDefinition
    tags: ScoreDefinition
    safe: ScoreDefinition
    rating: ScoreDefinition
    queue: ReviewQueue
    items: dict[str, ReviewQueueItem]


def build(factory: Factory) -> Triple:
    project = factory.project("Agreement project")
    ann = factory.user(email=f"ann{project.id}@example.com", project=project, role="admin", first_name="Ann",
                       last_name="Admin")
    bob = factory.user(email=f"bob{project.id}@example.com", project=project, role="reviewer", first_name="Bob",
                       last_name="Baker")
    cat = factory.user(email=f"cat{project.id}@example.com", project=project, role="reviewer", first_name="Cat",
                       last_name="Cole")
    viewer = factory.user(email=f"viv{project.id}@example.com", project=project, role="viewer")
    options = [{"key": "good", "label": "Good"}, {"key": "ok", "label": "OK"}, {"key": "bad", "label": "Bad"}]
    quality = scorers.create_definition(project.id, ann, name="Quality", kind="categorical",
                                        config={"options": options})
    tags = scorers.create_definition(project.id, ann, name="Tags", kind="categorical", config={
        "options": [{"key": "rude", "label": "Rude"}, {"key": "long", "label": "Long"},
                    {"key": "wrong", "label": "Wrong"}], "selection_mode": "multiple"})
    safe = scorers.create_definition(project.id, ann, name="Safe", kind="boolean", config={})
    rating = scorers.create_definition(project.id, ann, name="Rating", kind="numeric", config={"min": 0, "max": 10})
    queue = judgment_rows.queue(project.id, "Triple", per_trace=3)
    items = {trace: judgment_rows.item(queue, trace) for trace in ("t1", "t2", "t3", "t4")}

    def q(key: str) -> dict:
        return {"definition_id": str(quality.id), "categorical_values": [key]}

    extras = {
        ann: [{"definition_id": str(tags.id), "categorical_values": ["rude", "long"]},
              {"definition_id": str(safe.id), "boolean_value": True},
              {"definition_id": str(rating.id), "numeric_value": "7"}],
        bob: [{"definition_id": str(tags.id), "categorical_values": ["rude"]},
              {"definition_id": str(safe.id), "boolean_value": False},
              {"definition_id": str(rating.id), "numeric_value": "2.5"}],
        cat: [{"definition_id": str(tags.id), "categorical_values": ["long", "rude"]},
              {"definition_id": str(safe.id), "boolean_value": True},
              {"definition_id": str(rating.id), "numeric_value": "7"}],
    }
    for who in (ann, bob, cat):
        judgment_rows.judge(items["t1"], who, [q("good"), *extras[who]])
    judgment_rows.settle(items["t1"], ann, [q("good")])
    for who, key in ((ann, "good"), (bob, "bad"), (cat, "good")):
        judgment_rows.judge(items["t2"], who, [q(key)])
    judgment_rows.settle(items["t2"], ann, [q("bad")], resolution="adjudicated")
    for who, key in ((ann, "ok"), (bob, "bad"), (cat, "good")):
        judgment_rows.judge(items["t3"], who, [q(key)])
    items["t3"].state = "needs_decision"
    for who in (ann, bob):
        judgment_rows.judge(items["t4"], who, [q("bad")])
    db.session.commit()
    return Triple(project, ann, bob, cat, viewer, quality, tags, safe, rating, queue, items)


@dataclass
class Panel:
    project: Project
    admin: User
    queue: ReviewQueue
    quality: ScoreDefinition
    needs_decision: list[ReviewQueueItem]


# Per trace: three reviewers' Answer quality (1–5) and Resolved; mostly agreeing, Noor harsher now and then.
PANEL_ANSWERS = [
    ((5, True), (5, True), (5, True)), ((4, True), (2, False), (4, True)), ((2, False), (2, False), (2, False)),
    ((4, True), (4, True), (3, True)), ((4, True), (4, True), (4, True)), ((3, False), (3, False), (3, False)),
    ((5, True), (4, True), (5, True)), ((1, False), (1, False), (2, False)), ((4, True), (4, True), (4, True)),
    ((3, True), (2, False), (3, True)), ((5, True), (5, True), (5, True)), ((2, False), (2, False), (2, False)),
    ((4, True), (3, False), (4, True)), ((4, True), (4, True), (4, True)), ((5, True), (5, True), (4, True)),
    ((3, False), (3, False), (3, False)), ((1, False), (1, False), (1, False)), ((4, True), (4, True), (4, True)),
]


def build_panel(factory: Factory) -> Panel:
    """Demo-like: the demo's blind support panel (three reviewers, Answer quality 1–5 and Resolved) with eighteen
    traces judged, agreeing ones settled by consensus, most others adjudicated and a few waiting for a decision."""
    project = factory.project("Support team")
    admin = factory.user(email=f"maya{project.id}@example.com", project=project, role="admin", first_name="Maya",
                         last_name="Lead")
    judges = [factory.user(email=f"{name.lower()}{project.id}@example.com", project=project, role="reviewer",
                           first_name=name, last_name=last)
              for name, last in (("Ines", "Ortiz"), ("Noor", "Haddad"), ("Sam", "Weller"))]
    quality = scorers.create_definition(project.id, admin, name="Answer quality", kind="numeric",
                                        config={"min": 1, "max": 5, "step": 1})
    resolved = scorers.create_definition(project.id, admin, name="Resolved", kind="boolean", config={})
    queue = judgment_rows.queue(project.id, "Hard chats panel", per_trace=3, blind=True)
    waiting = []
    for n, answers in enumerate(PANEL_ANSWERS):
        row = judgment_rows.item(queue, f"support-chat-{n + 1:03d}")
        for judge, (score, ok) in zip(judges, answers, strict=True):
            judgment_rows.judge(row, judge, [{"definition_id": str(quality.id), "numeric_value": str(score)},
                                             {"definition_id": str(resolved.id), "boolean_value": ok}])
        if len(set(answers)) == 1:
            judgment_rows.settle(row, admin, [{"definition_id": str(quality.id), "numeric_value": str(answers[0][0])},
                                              {"definition_id": str(resolved.id), "boolean_value": answers[0][1]}])
        elif n % 4 == 1:
            row.state = "needs_decision"
            waiting.append(row)
        else:
            majority = max(answers, key=answers.count)
            judgment_rows.settle(row, admin, [{"definition_id": str(quality.id), "numeric_value": str(majority[0])},
                                              {"definition_id": str(resolved.id), "boolean_value": majority[1]}],
                                 resolution="adjudicated")
    db.session.commit()
    return Panel(project, admin, queue, quality, waiting)
