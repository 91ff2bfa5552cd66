"""API (an extension): the evaluations seen in `$ai_evaluation` events, an admin's settings on them (polarity,
passing rule, the scorer they are compared with), a trace's results, and the judge against people."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from reviewapp.api.core import ApiContext, api_route, iso, json_body, list_response, query_integer, strict_query
from reviewapp.models import Evaluation, TraceEvaluation
from reviewapp.services import evaluations, judge_agreement, traces
from reviewapp.services.common import ID_MAX


def evaluation_json(row: evaluations.EvaluationRow) -> dict[str, Any]:
    e = row.evaluation
    return {
        "id": e.id, "key": e.key, "name": e.name, "runtime": e.runtime, "result_type": e.result_type,
        "true_is_failure": e.true_is_failure, "passing_rule": e.passing_rule,
        "score_definition_id": str(e.score_definition_id) if e.score_definition_id else None,
        "results": row.total, "counts": {outcome: row.counts.get(outcome, 0) for outcome in evaluations.OUTCOME_LABELS},
        "pass_rate": row.pass_rate, "last_result_at": iso(row.last_seen), "created_at": iso(e.created_at),
    }


def result_json(result: TraceEvaluation, name: str) -> dict[str, Any]:
    return {
        "id": result.id, "evaluation_id": result.evaluation_id, "evaluation_name": name, "trace_id": result.trace_id,
        "target_kind": result.target_kind, "target_id": result.target_id, "outcome": result.outcome,
        "result_type": result.result_type, "boolean_result": result.bool_result,
        "numeric_result": result.numeric_result, "labels": result.labels, "skip_reason": result.skip_reason,
        "reasoning": result.reasoning, "judge_model": result.judge_model, "cost_usd": result.cost_usd,
        "timestamp": iso(result.timestamp),
    }


def _row(project_id: int, evaluation: Evaluation) -> evaluations.EvaluationRow:
    return next(row for row in evaluations.list_evaluations(project_id) if row.evaluation.id == evaluation.id)


@api_route("/evaluations/", methods=["GET"])
def list_evaluations(ctx: ApiContext):
    return list_response(ctx, evaluations.evaluation_page, evaluation_json, ["name"])


@api_route("/evaluations/<evaluation_id>/", methods=["GET"])
def get_evaluation(ctx: ApiContext, evaluation_id: str):
    evaluation = evaluations.load_evaluation(ctx.project_id, evaluation_id)
    return jsonify(evaluation_json(_row(ctx.project_id, evaluation)))


@api_route("/evaluations/<evaluation_id>/", methods=["PATCH"], role="admin")
def update_evaluation(ctx: ApiContext, evaluation_id: str):
    body = json_body()
    evaluation = evaluations.patch_settings(ctx.project_id, evaluation_id, body)
    return jsonify(evaluation_json(_row(ctx.project_id, evaluation)))


@api_route("/traces/<trace:trace_id>/evaluations/", methods=["GET"], role="viewer")
def trace_evaluations(ctx: ApiContext, trace_id: str):
    """A trace's evaluation results, oldest first; none while blind review hides others' work on the trace from
    the key's owner. (This path wins over retrieving a trace whose own id ends in
    "/evaluations"; the traces list's search still finds that one.)"""
    traces.load_trace(ctx.project_id, trace_id)
    return jsonify({"trace_id": trace_id, "results": [
        result_json(found.result, found.name) for found in evaluations.results_shown_to(ctx.membership, trace_id)]})


def comparison_json(c: judge_agreement.Comparison) -> dict[str, Any]:
    return {
        "against": c.against, "reviewer_id": c.reviewer_id, "traces": c.traces,
        "confusion": {f"judge_{judge}_people_{people}": c.cell(judge, people)
                      for judge in ("pass", "fail") for people in ("pass", "fail")},
        "accuracy": c.accuracy, "kappa": c.kappa, "kappa_interval": None if c.interval is None else list(c.interval),
        "precision_fail": c.precision_fail, "recall_fail": c.recall_fail, "reading": c.reading,
    }


def judge_json(a: judge_agreement.JudgeAgreement) -> dict[str, Any]:
    return {
        "evaluation_id": a.evaluation.id, "evaluation_name": a.evaluation.name, "scorer_id": str(a.scorer_id),
        "scorer_name": a.scorer_name, "judged_traces": a.judged_traces, "final": comparison_json(a.final),
        "reviewers": [comparison_json(c) for c in a.reviewers],
        "disagreements": [{"trace_id": d.trace_id, "judge": d.judge, "people": d.people,
                           "judged_at": iso(d.judged_at)} for d in a.disagreements],
    }


@api_route("/judge_agreement/", methods=["GET"])
def get_judge_agreement(ctx: ApiContext):
    query = strict_query({"evaluation_id": query_integer(1, ID_MAX)})
    evaluation_id = query.get("evaluation_id")
    if evaluation_id is not None:
        evaluations.load_evaluation(ctx.project_id, evaluation_id)
    return jsonify({"results": [judge_json(a) for a in judge_agreement.project_judge_agreement(
        ctx.project_id, evaluation_id, visible_to=ctx.membership)]})
