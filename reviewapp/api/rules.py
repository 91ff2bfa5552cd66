"""API (extension): a queue's rules, which add matching traces by themselves; their preview, backfill and
additions."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from reviewapp.api.core import (
    ApiContext,
    api_route,
    iso,
    json_body,
    page_params,
    paginated,
    path_uuid,
    query_uuid,
    user_json,
)
from reviewapp.models import QueueRule, QueueRuleAddition
from reviewapp.services import queue_rules

FIELDS = ("name", "conditions", "sample_percent", "daily_cap", "paused")


def rule_json(rule: QueueRule, stats: queue_rules.RuleStats) -> dict[str, Any]:
    return {
        "id": str(rule.id),
        "queue_id": str(rule.queue_id),
        "name": rule.name,
        "description": queue_rules.describe(rule),
        "conditions": [c.as_json() for c in queue_rules.conditions_of(rule)],
        "sample_percent": rule.sample_percent,
        "daily_cap": rule.daily_cap,
        "paused": rule.paused,
        "added_count": stats.added,
        "added_today": stats.added_today,
        "last_added_at": iso(stats.last_added_at),
        "created_at": iso(rule.created_at),
        "updated_at": iso(rule.updated_at),
        "created_by": user_json(rule.created_by),
        "team": rule.project_id,
    }


def _one(rule: QueueRule, status: int = 200):
    return jsonify(rule_json(rule, queue_rules.stats([rule.id])[rule.id])), status


def addition_json(addition: QueueRuleAddition) -> dict[str, Any]:
    return {"trace_id": addition.trace_id, "item_id": None if addition.item_id is None else str(addition.item_id),
            "source": addition.source, "added_at": iso(addition.added_at)}


@api_route("/queue_rules/", methods=["GET"])
def list_queue_rules(ctx: ApiContext):
    limit, offset = page_params()
    rules, count = queue_rules.list_rules(ctx.project_id, queue_id=query_uuid("queue_id"), limit=limit,
                                          offset=offset)
    stats = queue_rules.stats(rule.id for rule in rules)
    return paginated([rule_json(rule, stats[rule.id]) for rule in rules], count, limit, offset)


@api_route("/queue_rules/", methods=["POST"], role="admin")
def create_queue_rule(ctx: ApiContext):
    body = json_body()
    rule = queue_rules.create_rule(ctx.project_id, ctx.user, body.get("queue_id"),
                                   {k: body[k] for k in FIELDS if k in body})
    return _one(rule, 201)


@api_route("/queue_rules/<rule_id>/", methods=["GET"])
def get_queue_rule(ctx: ApiContext, rule_id: str):
    return _one(queue_rules.load_rule(ctx.project_id, path_uuid(rule_id)))


@api_route("/queue_rules/<rule_id>/", methods=["PATCH"], role="admin")
def update_queue_rule(ctx: ApiContext, rule_id: str):
    body = json_body()
    data = {k: body[k] for k in (*FIELDS, "queue_id") if k in body}
    return _one(queue_rules.update_rule(ctx.project_id, ctx.user, path_uuid(rule_id), data))


@api_route("/queue_rules/<rule_id>/", methods=["DELETE"], role="admin")
def delete_queue_rule(ctx: ApiContext, rule_id: str):
    queue_rules.delete_rule(ctx.project_id, ctx.user, path_uuid(rule_id))
    return "", 204


@api_route("/queue_rules/<rule_id>/preview/", methods=["GET"])
def preview_queue_rule(ctx: ApiContext, rule_id: str):
    preview = queue_rules.preview(ctx.project_id, path_uuid(rule_id))
    return jsonify({"matching": min(preview.matching, queue_rules.BACKFILL_MAX), "matching_is_capped": preview.more,
                    "sampled": preview.sampled, "addable": preview.addable, "would_add": preview.would_add})


@api_route("/queue_rules/<rule_id>/backfill/", methods=["POST"], role="admin")
def backfill_queue_rule(ctx: ApiContext, rule_id: str):
    json_body()  # a body, if any, must still be well-formed and within size
    added = queue_rules.backfill(ctx.project_id, ctx.user, path_uuid(rule_id))
    return jsonify({"added": added}), 200


@api_route("/queue_rules/<rule_id>/additions/", methods=["GET"])
def list_queue_rule_additions(ctx: ApiContext, rule_id: str):
    limit, offset = page_params()
    rows, count = queue_rules.list_additions(ctx.project_id, path_uuid(rule_id), limit=limit, offset=offset)
    return paginated([addition_json(row) for row in rows], count, limit, offset)
