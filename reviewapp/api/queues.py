"""API: review queues and review queue items (PostHog's contract), plus claim_next and bulk add."""
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
    query_list,
    query_param,
    query_uuid,
    user_json,
)
from reviewapp.models import ItemClaim, ReviewQueue, ReviewQueueItem
from reviewapp.services import claims, export, judgments, queue_items, queue_settings, queues
from reviewapp.services.errors import PermissionDenied


def queue_json(queue: ReviewQueue, pending_item_count: int) -> dict[str, Any]:
    return {
        "id": str(queue.id),
        "name": queue.name,
        "description": queue.description,
        "pending_item_count": pending_item_count,
        "scorer_ids": [str(i) for i in queues.queue_scorer_ids(queue)],
        "required_scorer_ids": queue.required_scorer_ids,
        "created_at": iso(queue.created_at),
        "updated_at": iso(queue.updated_at),
        "created_by": user_json(queue.created_by),
        "team": queue.project_id,
        # Extensions: several reviewers per trace, blind review, the numeric tolerance and the assignees.
        "reviews_per_trace": queue.reviews_per_trace,
        "blind": queue.blind,
        "numeric_tolerance": None if queue.numeric_tolerance is None else export.numeric_text(queue.numeric_tolerance),
        "assignee_ids": queue_settings.assignee_ids(queue),
    }


def item_state(item: ReviewQueueItem) -> str:
    """"pending" or "needs_decision" while live; "done" once it left its queue reviewed."""
    if item.deleted_at is not None and item.deleted_reason == "reviewed":
        return "done"
    return item.state


def item_json(item: ReviewQueueItem, claim: ItemClaim | None = None) -> dict[str, Any]:
    """An item; `claim` is the caller's own claim on it in a queue with several reviewers per trace, whose
    claims are each reviewer's (claim_next answers with it)."""
    claimed = claim is None and claims.active_claim(item)
    return {
        "id": str(item.id),
        "queue_id": str(item.queue_id),
        "queue_name": item.queue.name,
        "trace_id": item.trace_id,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "created_by": user_json(item.created_by),
        "team": item.project_id,
        "claimed_by": user_json(claim.user) if claim else user_json(item.claimed_by) if claimed else None,
        "claim_expires_at": iso(claim.expires_at) if claim else iso(item.claim_expires_at) if claimed else None,
        # Extensions: judgments saved so far (queues with several reviewers per trace) and the item's state.
        "judgment_count": item.judgment_count,
        "state": item_state(item),
    }


def _queue_response(ctx: ApiContext, queue_id, status: int = 200):
    queue, count = queues.load_queue_with_count(ctx.project_id, queue_id)
    return jsonify(queue_json(queue, count)), status


# --- review_queues/ ----------------------------------------------------------------------------------

@api_route("/review_queues/", methods=["GET"])
def list_review_queues(ctx: ApiContext):
    return list_response(ctx, queues.list_queues, lambda row: queue_json(*row), queues.QUEUE_ORDERS,
                         lambda: {"search": query_param("search"), "name": query_param("name")})


@api_route("/review_queues/", methods=["POST"], role="admin")
def create_review_queue(ctx: ApiContext):
    body = json_body()
    queue = queues.create_queue(ctx.project_id, ctx.user, body.get("name"), body.get("description"),
                                body.get("scorer_ids"), body.get("required_scorer_ids"),
                                settings={k: body[k] for k in queue_settings.SETTINGS if k in body})
    return jsonify(queue_json(queue, 0)), 201


@api_route("/review_queues/<queue_id>/", methods=["GET"])
def get_review_queue(ctx: ApiContext, queue_id: str):
    return _queue_response(ctx, path_uuid(queue_id))


@api_route("/review_queues/<queue_id>/", methods=["PATCH"], role="admin")
def update_review_queue(ctx: ApiContext, queue_id: str):
    body = json_body()
    queue = queues.update_queue(ctx.project_id, ctx.user, path_uuid(queue_id), body)
    return _queue_response(ctx, queue.id)


@api_route("/review_queues/<queue_id>/", methods=["DELETE"], role="admin")
def delete_review_queue(ctx: ApiContext, queue_id: str):
    queues.delete_queue(ctx.project_id, ctx.user, path_uuid(queue_id))
    return "", 204


@api_route("/review_queues/<queue_id>/claim_next/", methods=["POST"], role="reviewer")
def claim_next_item(ctx: ApiContext, queue_id: str):
    json_body()  # a body, if any, must still be well-formed and within size
    item = claims.claim_next(ctx.project_id, ctx.user, path_uuid(queue_id))
    if item is None:
        refusal = claims.refusal(queues.load_queue(ctx.project_id, path_uuid(queue_id)), ctx.user)
        if refusal is not None:  # a queue with assignees, and the caller is not one of them
            raise PermissionDenied(refusal)
        return "", 204
    mine = next((c for c in judgments.holders(item) if c.user_id == ctx.user.id), None)
    return jsonify(item_json(item, mine)), 200


# --- review_queue_items/ -----------------------------------------------------------------------------

@api_route("/review_queue_items/", methods=["GET"])
def list_review_queue_items(ctx: ApiContext):
    return list_response(ctx, queue_items.list_items, item_json, queue_items.ITEM_ORDERS, lambda: {
        "queue_id": query_uuid("queue_id"),
        "trace_id": query_param("trace_id"),
        "trace_ids": query_list("trace_id__in"),
        "search": query_param("search"),
    })


@api_route("/review_queue_items/", methods=["POST"], role="reviewer")
def create_review_queue_item(ctx: ApiContext):
    body = json_body()
    item = queue_items.add_item(ctx.project_id, ctx.user, body.get("queue_id"), body.get("trace_id"))
    return jsonify(item_json(item)), 201


@api_route("/review_queue_items/bulk/", methods=["POST"], role="reviewer")
def bulk_add_review_queue_items(ctx: ApiContext):
    body = json_body()
    result = queue_items.bulk_add(ctx.project_id, ctx.user, body.get("queue_id"), body.get("trace_ids"))
    return jsonify({"added": [item_json(i) for i in result.added], "skipped": result.skipped}), 200


@api_route("/review_queue_items/<item_id>/", methods=["GET"])
def get_review_queue_item(ctx: ApiContext, item_id: str):
    return jsonify(item_json(queue_items.load_item(ctx.project_id, path_uuid(item_id))))


@api_route("/review_queue_items/<item_id>/", methods=["PATCH"], role="reviewer")
def move_review_queue_item(ctx: ApiContext, item_id: str):
    body = json_body()
    item = queue_items.move_item(ctx.project_id, ctx.user, path_uuid(item_id), body.get("queue_id"))
    return jsonify(item_json(item))


@api_route("/review_queue_items/<item_id>/", methods=["DELETE"], role="reviewer")
def delete_review_queue_item(ctx: ApiContext, item_id: str):
    queue_items.remove_item(ctx.project_id, ctx.user, path_uuid(item_id))
    return "", 204
