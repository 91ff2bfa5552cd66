"""API (extension): judgments, each reviewer's answer for a trace in a queue with several reviewers per trace. The
list applies blind review to the caller; a judgment is created for a trace pending in such a queue and edited by
its author only."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from reviewapp.api.core import (
    ApiContext,
    api_route,
    iso,
    json_body,
    list_response,
    path_uuid,
    query_param,
    query_uuid,
    user_json,
)
from reviewapp.api.reviews import score_json
from reviewapp.models import Judgment
from reviewapp.services import judgments, queue_items, queues
from reviewapp.services.common import ID_MAX
from reviewapp.services.errors import NotFound, ValidationError


def judgment_json(judgment: Judgment) -> dict[str, Any]:
    scores = sorted(judgment.scores, key=lambda s: (s.definition.name.lower(), s.definition.name,
                                                    str(s.definition_id)))
    return {
        "id": str(judgment.id),
        "queue_id": str(judgment.queue_id),
        "item_id": str(judgment.item_id),
        "trace_id": judgment.trace_id,
        "reviewer": user_json(judgment.reviewer),
        "comment": judgment.comment,
        "time_spent_seconds": judgment.time_spent_seconds,
        "scores": [score_json(s) for s in scores],  # type: ignore[arg-type]  # the same score columns
        "created_at": iso(judgment.created_at),
        "updated_at": iso(judgment.updated_at),
    }


def _reviewer_id() -> int | None:
    raw = query_param("reviewer_id")
    if raw is None:
        return None
    if not raw.strip().isdigit() or int(raw) > ID_MAX:
        raise ValidationError("A valid integer is required.", "reviewer_id")
    return int(raw)


@api_route("/judgments/", methods=["GET"])
def list_judgments(ctx: ApiContext):
    def fetch(project_id: int, **filters: Any):
        return judgments.list_judgments(project_id, ctx.membership, **filters)

    return list_response(ctx, fetch, judgment_json, judgments.ORDERS, lambda: {
        "queue_id": query_uuid("queue_id"),
        "trace_id": query_param("trace_id"),
        "reviewer_id": _reviewer_id(),
        "definition_id": query_uuid("definition_id"),
    })


@api_route("/judgments/", methods=["POST"], role="reviewer")
def create_judgment(ctx: ApiContext):
    body = json_body()
    queue = queues.queue_for_body(ctx.project_id, body.get("queue_id"))
    trace_id = queue_items.clean_trace_id(body.get("trace_id"))
    item = queue_items.pending_item_for_trace(ctx.project_id, trace_id)
    if item is None or item.queue_id != queue.id:
        raise ValidationError("This trace is not pending in this queue.", "trace_id")
    if not queue.takes_judgments:
        raise ValidationError("This queue has one reviewer per trace: review the trace with trace_reviews/.",
                              "queue_id")
    judgment = judgments.submit_judgment(ctx.project_id, ctx.user, item, scores=body.get("scores", []),
                                         comment=body.get("comment"),
                                         time_spent_seconds=body.get("time_spent_seconds"), queue=queue)
    return jsonify(judgment_json(judgment)), 201


@api_route("/judgments/<judgment_id>/", methods=["GET"])
def get_judgment(ctx: ApiContext, judgment_id: str):
    judgment = judgments.load_judgment(ctx.project_id, path_uuid(judgment_id))
    if not judgments.may_see(ctx.membership, judgment):
        raise NotFound()  # blind review: as if it did not exist
    return jsonify(judgment_json(judgment))


@api_route("/judgments/<judgment_id>/", methods=["PATCH"], role="reviewer")
def update_judgment(ctx: ApiContext, judgment_id: str):
    body = json_body()
    fields = {name: body[name] for name in ("comment", "scores", "time_spent_seconds") if name in body}
    judgment = judgments.update_judgment(ctx.project_id, ctx.user, path_uuid(judgment_id), **fields)
    return jsonify(judgment_json(judgment))
