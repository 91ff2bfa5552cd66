"""API: trace reviews (PostHog's contract) and their export as CSV or JSON Lines."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request, stream_with_context

from reviewapp.api.core import (
    ApiContext,
    api_route,
    iso,
    json_body,
    list_response,
    parse_uuid,
    path_uuid,
    query_list,
    query_param,
    query_uuid,
    user_json,
)
from reviewapp.models import ReviewChange, TraceReview, TraceReviewScore, utcnow
from reviewapp.services import export, review_history, reviews, visibility
from reviewapp.services.errors import NotFound


def score_json(score: TraceReviewScore) -> dict[str, Any]:
    return {
        "id": str(score.id),
        "definition_id": str(score.definition_id),
        "definition_name": score.definition.name,
        "definition_kind": score.definition.kind,
        "definition_archived": score.definition.archived,
        "definition_version_id": str(score.definition_version_id),
        "definition_version": score.definition_version,
        "definition_config": score.definition_config,
        "categorical_values": score.categorical_values,
        "numeric_value": None if score.numeric_value is None else export.numeric_text(score.numeric_value),
        "boolean_value": score.boolean_value,
        "created_at": iso(score.created_at),
        "updated_at": iso(score.updated_at),
    }


def trace_url(project_id: int, trace_id: str) -> str:
    """PostHog's absolute link to a trace, its id as it is (not URL-encoded), on REVIEWAPP_SITE_URL or else the
    address the request came to. reviewapp serves that path too: it redirects to the trace's page here."""
    site = current_app.config["SITE_URL"] or request.url_root.rstrip("/")
    return f"{site}/project/{project_id}/ai-observability/traces/{trace_id}"


def review_json(review: TraceReview) -> dict[str, Any]:
    return {
        "id": str(review.id),
        "trace_id": review.trace_id,
        "trace_url": trace_url(review.project_id, review.trace_id),
        "comment": review.comment,
        "created_at": iso(review.created_at),
        "updated_at": iso(review.updated_at),
        "created_by": user_json(review.created_by),
        "reviewed_by": user_json(review.reviewed_by),
        "team": review.project_id,
        "scores": [score_json(s) for s in reviews.sorted_scores(review)],
        # Extensions: the queue whose item the review completed, and the reviewer's time on the trace.
        "queue_id": None if review.queue_id is None else str(review.queue_id),
        "time_spent_seconds": review.time_spent_seconds,
        # Extension: how the review came about ("single", "consensus" of judgments, or "adjudicated").
        "resolution": review.resolution,
    }


def change_json(change: ReviewChange) -> dict[str, Any]:
    """An entry of a review's history (an extension): who changed it, when, how, and its values before and after
    (snapshots as services/review_history keeps them)."""
    return {
        "id": str(change.id),
        "subject": change.subject,
        "review_id": None if change.review_id is None else str(change.review_id),
        "trace_id": change.trace_id,
        "action": change.action,
        "actor": user_json(change.actor),
        "created_at": iso(change.created_at),
        "before": change.before,
        "after": change.after,
        "team": change.project_id,
    }


def _filters(ctx: ApiContext) -> reviews.ReviewFilters:
    def uuids(name: str) -> list | None:
        values = query_list(name)
        return None if values is None else [parse_uuid(v, name) for v in values]

    return reviews.ReviewFilters(
        trace_id=query_param("trace_id"),
        trace_ids=query_list("trace_id__in"),
        definition_id=query_uuid("definition_id"),
        definition_ids=uuids("definition_id__in"),
        search=query_param("search"),
        visible_to=ctx.membership,  # blind review: reviews hidden from the caller are left out
    )


def _visible_review(ctx: ApiContext, review_id: str) -> TraceReview:
    """The live review, or a 404 when blind review hides it from the caller as when there is none."""
    review = reviews.load_review(ctx.project_id, path_uuid(review_id))
    if not visibility.can_see_others_work(ctx.membership, review.trace_id):
        raise NotFound()
    return review


def _saved(body: dict[str, Any]) -> dict[str, Any]:
    """The optional fields of a save, passed on only when the body has them."""
    fields = {name: body[name] for name in ("comment", "scores") if name in body}
    return fields | {"queue_id": body.get("queue_id"), "time_spent_seconds": body.get("time_spent_seconds")}


@api_route("/trace_reviews/", methods=["GET"])
def list_trace_reviews(ctx: ApiContext):
    return list_response(ctx, reviews.list_reviews, review_json, reviews.ORDERS, lambda: {"filters": _filters(ctx)})


@api_route("/trace_reviews/", methods=["POST"], role="reviewer")
def create_trace_review(ctx: ApiContext):
    body = json_body()
    review = reviews.save_review(ctx.project_id, ctx.user, trace_id=body.get("trace_id"), visible_to=ctx.membership,
                                 **_saved(body))
    return jsonify(review_json(review)), 201


@api_route("/trace_reviews/export/", methods=["GET"])
def export_trace_reviews(ctx: ApiContext):
    fmt = export.validate_format(query_param("format"))
    form = export.validate_form(query_param("form"))
    chunks = export.export_reviews(ctx.project_id, fmt, _filters(ctx), form)
    response = Response(stream_with_context(chunks), content_type=export.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{export.filename(ctx.project_id, fmt, utcnow(), form)}"'
    )
    return response


@api_route("/trace_reviews/<review_id>/", methods=["GET"])
def get_trace_review(ctx: ApiContext, review_id: str):
    return jsonify(review_json(_visible_review(ctx, review_id)))


@api_route("/trace_reviews/<review_id>/history/", methods=["GET"])
def trace_review_history(ctx: ApiContext, review_id: str):
    """Extension: every change to the review, newest first; a deleted review's too."""
    wanted = path_uuid(review_id)
    return list_response(ctx, review_history.review_history, change_json, review_history.ORDERS,
                         lambda: {"review_id": wanted, "membership": ctx.membership})


@api_route("/trace_reviews/<review_id>/", methods=["PATCH"], role="reviewer")
def update_trace_review(ctx: ApiContext, review_id: str):
    body = json_body()
    _visible_review(ctx, review_id)  # blind review: a hidden review is not there to change
    review = reviews.save_review(ctx.project_id, ctx.user, review_id=path_uuid(review_id),
                                 trace_id=body.get("trace_id"), **_saved(body))
    return jsonify(review_json(review))


@api_route("/trace_reviews/<review_id>/", methods=["DELETE"], role="reviewer")
def delete_trace_review(ctx: ApiContext, review_id: str):
    _visible_review(ctx, review_id)
    reviews.delete_review(ctx.project_id, ctx.user, path_uuid(review_id))
    return "", 204
