"""API: the stored traces (an extension beyond PostHog's review API) — the filtered list and one trace with its
events, span tree, conversation, active review and queue membership. Blind review applies to the caller (a
personal API key acts as its user's membership): a review hidden from them is left out, as if there were none."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from reviewapp.api.core import ApiContext, api_route, iso, list_response, query_bool, query_param
from reviewapp.api.queues import item_json
from reviewapp.api.reviews import change_json, review_json
from reviewapp.models import Trace, TraceEvent
from reviewapp.services import review_history, traces
from reviewapp.services.span_tree import SpanNode, preorder
from reviewapp.services.traces import TraceDetail, TraceRow


@api_route("/traces/", methods=["GET"], role="viewer")
def list_traces(ctx: ApiContext):
    return list_response(ctx, traces.list_traces, lambda row: row_json(row, ctx.project_id), traces.ORDERS, lambda: {
        "search": query_param("search"),
        "model": query_param("model"),
        "date_from": query_param("date_from"),
        "date_to": query_param("date_to"),
        "errors_only": bool(query_bool("errors_only")),
        "evaluation_failed": bool(query_bool("evaluation_failed")),
        "review_state": query_param("review_state"),
        "membership": ctx.membership,  # blind review: a review hidden from the caller counts as none
    }, count_cap=traces.shown_count)


@api_route("/traces/<trace:trace_id>/review_history/", methods=["GET"], role="viewer")
def review_history_of_trace(ctx: ApiContext, trace_id: str):
    """Extension: every change to the trace's reviews, deleted ones included, newest first. (This path wins over
    retrieving a trace whose own id ends in "/review_history"; the traces list's search still finds that one.)"""
    return list_response(ctx, review_history.trace_history, change_json, review_history.ORDERS,
                         lambda: {"trace_id": trace_id, "membership": ctx.membership})


@api_route("/traces/<trace:trace_id>/", methods=["GET"], role="viewer")
def get_trace(ctx: ApiContext, trace_id: str):
    return jsonify(detail_json(traces.get_trace(ctx.project_id, trace_id, membership=ctx.membership)))


# --- serializers -------------------------------------------------------------------------------------

def summary_json(trace: Trace) -> dict[str, Any]:
    return {
        "id": trace.trace_id,
        "trace_id": trace.trace_id,
        "name": trace.name,
        "first_timestamp": iso(trace.first_timestamp),
        "last_timestamp": iso(trace.last_timestamp),
        "session_id": trace.session_id,
        "distinct_id": trace.distinct_id,
        "models": list(trace.models or []),
        "event_count": trace.event_count,
        "generation_count": trace.generation_count,
        "input_tokens": trace.input_tokens,
        "output_tokens": trace.output_tokens,
        "total_cost_usd": float(trace.total_cost_usd or 0),
        "latency_seconds": trace.latency_seconds,
        "has_error": trace.has_error,
        "input_preview": trace.input_preview,
        "output_preview": trace.output_preview,
        "team": trace.project_id,
    }


def row_json(row: TraceRow, project_id: int) -> dict[str, Any]:
    queue = None
    if row.queue_item_id is not None:
        queue = {"id": str(row.queue_id), "name": row.queue_name, "item_id": str(row.queue_item_id)}
    return {
        **summary_json(row.trace),
        "review_state": row.review_state,
        "review_id": str(row.review_id) if row.review_id else None,
        "queue": queue,
        "evaluation_outcome": row.evaluation_outcome,
        "evaluations_failed": row.evaluations_failed,
        "evaluations_passed": row.evaluations_passed,
    }


def detail_json(detail: TraceDetail) -> dict[str, Any]:
    item = detail.queue_item
    return {
        **summary_json(detail.trace),
        "review_state": detail.review_state,
        "review_id": str(detail.review.id) if detail.review else None,
        "queue": {"id": str(item.queue_id), "name": item.queue.name, "item_id": str(item.id)} if item else None,
        "queue_item": item_json(item) if item else None,
        "review": review_json(detail.review) if detail.review else None,
        "events": [event_json(event) for event in detail.events],
        "spans": spans_json(detail.tree),
        "conversation": [message.as_dict() for message in detail.conversation],
    }


def event_json(event: TraceEvent) -> dict[str, Any]:
    return {
        "uuid": event.uuid,
        "event": event.event,
        "distinct_id": event.distinct_id,
        "timestamp": iso(event.timestamp),
        "span_id": event.span_id,
        "parent_id": event.parent_id,
        "properties": event.properties,
    }


def spans_json(tree: SpanNode) -> list[dict[str, Any]]:
    """The span tree flattened depth-first (a parent before its children, siblings by time): each node with its
    `depth` (the root is 0) and `parent_index`, its parent's position in the list. Flat, so that a tree nested
    10,000 deep is a list any JSON client reads, not 10,000 levels of nesting."""
    spans: list[dict[str, Any]] = []
    parent_index: dict[int, int] = {}  # a child's parent's position, known before the child is reached
    for node, depth in preorder(tree):
        for child in node.children:
            parent_index[id(child)] = len(spans)
        spans.append(node_json(node, depth, parent_index.get(id(node))))
    return spans


def node_json(node: SpanNode, depth: int, parent_index: int | None) -> dict[str, Any]:
    return {
        "id": node.id,
        "kind": node.kind,
        "name": node.name,
        "event_uuid": node.event.uuid if node.event else None,
        "parent_id": node.parent_id,
        "parent_index": parent_index,
        "depth": depth,
        "timestamp": iso(node.timestamp),
        "model": node.model,
        "provider": node.provider,
        "latency_seconds": node.latency_seconds,
        "input_tokens": node.input_tokens,
        "output_tokens": node.output_tokens,
        "total_cost_usd": node.total_cost_usd,
        "is_error": node.is_error,
        "error": node.error,
    }
