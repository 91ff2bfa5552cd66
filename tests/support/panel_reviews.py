"""A project whose reviews came about every way: two traces settled by two reviewers' judgments (a consensus and
an adjudication) under two scorers with passing rules, and one review saved alone. For the Reviews page and
export tests."""
from __future__ import annotations

from dataclasses import dataclass

from reviewapp.models import Judgment, Project, ReviewQueue, ScoreDefinition, TraceReview, User
from reviewapp.services import reviews, scorers
from tests.support import judgment_rows
from tests.support.factories import Factory


@dataclass
class Panel:
    project: Project
    ada: User  # admin
    rita: User  # reviewer
    vic: User  # viewer
    quality: ScoreDefinition  # categorical: good passes
    rating: ScoreDefinition  # numeric 0..10: ≥ 5 passes
    queue: ReviewQueue  # two reviewers per trace
    consensus: TraceReview  # trace "t-agree"
    adjudicated: TraceReview  # trace "t-split"
    single: TraceReview  # trace "t-alone"
    judgments: dict[tuple[str, str], Judgment]  # (trace id, "ada" | "rita") → judgment


def answers(panel_or_scorers, quality: str | None, rating: str | None) -> list[dict]:
    q, r = panel_or_scorers
    out = []
    if quality is not None:
        out.append({"definition_id": str(q.id), "categorical_values": [quality]})
    if rating is not None:
        out.append({"definition_id": str(r.id), "numeric_value": rating})
    return out


def build(factory: Factory, *, blind: bool = False) -> Panel:
    project = factory.project("Panel project")
    ada = factory.user(email=f"ada{project.id}@example.com", project=project, role="admin", first_name="Ada",
                       last_name="Admin")
    rita = factory.user(email=f"rita{project.id}@example.com", project=project, role="reviewer", first_name="Rita",
                        last_name="Reviewer")
    vic = factory.user(email=f"vic{project.id}@example.com", project=project, role="viewer")
    quality = scorers.create_definition(project.id, ada, name="Quality", kind="categorical", config={
        "options": [{"key": "good", "label": "Good"}, {"key": "bad", "label": "Bad"}],
        "passing_rule": {"categories": ["good"]}})
    rating = scorers.create_definition(project.id, ada, name="Rating", kind="numeric", config={
        "min": 0, "max": 10, "passing_rule": {"operator": "gte", "threshold": 5}})
    pair = (quality, rating)
    queue = judgment_rows.queue(project.id, "Pairs", per_trace=2, blind=blind)
    judgments = {}
    agree = judgment_rows.item(queue, "t-agree")
    judgments[("t-agree", "rita")] = judgment_rows.judge(agree, rita, answers(pair, "good", "7"), "Fine", minutes_ago=9)
    judgments[("t-agree", "ada")] = judgment_rows.judge(agree, ada, answers(pair, "good", "7"), minutes_ago=8)
    consensus = judgment_rows.settle(agree, ada, answers(pair, "good", "7"))
    split = judgment_rows.item(queue, "t-split")
    judgments[("t-split", "rita")] = judgment_rows.judge(split, rita, answers(pair, "bad", "3"), minutes_ago=7)
    judgments[("t-split", "ada")] = judgment_rows.judge(split, ada, answers(pair, "good", None), "Rating n/a",
                                                        minutes_ago=6)
    adjudicated = judgment_rows.settle(split, ada, answers(pair, "good", "4"), resolution="adjudicated",
                                       comment="Tone was fine")
    single = reviews.save_review(project.id, rita, trace_id="t-alone", scores=answers(pair, "bad", None))
    return Panel(project, ada, rita, vic, quality, rating, queue, consensus, adjudicated, single, judgments)
