"""Seeded data for the judge-against-people tests (service, API, page, browser): a yes/no scorer "Correct", an LLM
judge "Correctness" mapped to it, and traces reviewed by two reviewers alone, the judge right about 80% of the time."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from reviewapp.models import Evaluation, Project, ScoreDefinition, User
from reviewapp.services import evaluations, reviews, scorers
from reviewapp.services.ingest.posthog import ingest_batch
from tests.ingest.builders import event, generation

JUDGE_KEY = "0196e5a4-0000-7000-8000-00000000c0de"


def judge_event(trace_id: str, seconds: float, result: bool | None, *, skipped: bool = False,
                name: str = "Correctness", key: str = JUDGE_KEY, **extra) -> dict:
    props = {"$ai_evaluation_id": key, "$ai_evaluation_name": name, "$ai_evaluation_type": "online",
             "$ai_evaluation_runtime": "llm_judge", "$ai_evaluation_result_type": "boolean",
             "$ai_evaluation_reasoning": f"Judged {trace_id}.", "$ai_model": "gpt-5-mini",
             "$ai_target_id": trace_id, "$ai_target_type": "trace_id", **extra}
    if result is not None:
        props["$ai_evaluation_result"] = result
    if skipped:
        props["$ai_evaluation_skipped"] = True
    return event("$ai_evaluation", trace_id, seconds, **props)


@dataclass
class Seeded:
    scorer: ScoreDefinition
    evaluation: Evaluation
    judge: dict[str, str]  # trace id -> judge outcome (pass/fail)
    people: dict[str, str]  # trace id -> the final review's outcome
    by_reviewer: dict[int, dict[str, str]]


def build(project: Project, ann: User, ben: User, *, traces: int = 60, seed: int = 14,
          mapped: bool = True) -> Seeded:
    rng = random.Random(seed)
    scorer = scorers.create_definition(project.id, ann, name="Correct", kind="boolean",
                                       config={"true_label": "Correct", "false_label": "Wrong"})
    judge: dict[str, str] = {}
    people: dict[str, str] = {}
    by_reviewer: dict[int, dict[str, str]] = {ann.id: {}, ben.id: {}}
    events = []
    for n in range(traces):
        trace_id = f"seeded-{n:03d}"
        truth = rng.random() < 0.6
        said = truth if rng.random() < 0.8 else not truth
        events += [generation(trace_id, n), judge_event(trace_id, n + 30, said)]
        judge[trace_id] = "pass" if said else "fail"
        if n % 5 == 4:
            continue  # judged, never reviewed: not compared
        people[trace_id] = "pass" if truth else "fail"
        reviewer = ann if n % 2 else ben
        by_reviewer[reviewer.id][trace_id] = people[trace_id]
        reviews.save_review(project.id, reviewer, trace_id=trace_id,
                            scores=[{"definition_id": str(scorer.id), "boolean_value": truth}])
    # Reviewed, but the judge skipped it: left out (a skipped run still says result=false).
    events.append(judge_event("seeded-skip", 500, False, skipped=True))
    reviews.save_review(project.id, ann, trace_id="seeded-skip",
                        scores=[{"definition_id": str(scorer.id), "boolean_value": True}])
    ingest_batch(project.id, events)
    evaluation = evaluations.list_evaluations(project.id)[0].evaluation
    if mapped:
        evaluations.update_evaluation(project.id, evaluation.id, evaluations.Settings(score_definition_id=scorer.id))
    return Seeded(scorer, evaluation, {t: v for t, v in judge.items() if t in people}, people, by_reviewer)


def generation_uuid() -> str:
    return str(uuid.uuid4())
