"""API (an extension): adjudicating an item whose judgments disagree — the same decision as the decision page."""
from __future__ import annotations

from flask import jsonify

from reviewapp.api.core import ApiContext, api_route, json_body, path_uuid
from reviewapp.api.reviews import review_json
from reviewapp.http_errors import STATUS_ERRORS, error_response
from reviewapp.services import adjudication
from reviewapp.services.errors import required


@api_route("/review_queue_items/<item_id>/adjudicate/", methods=["POST"], role="admin")
def adjudicate_review_queue_item(ctx: ApiContext, item_id: str):
    """Settle the item with final `scores` (a judgment's values or the adjudicator's own) and a `comment`; the
    answer is the trace's final review."""
    body = json_body()
    if "scores" not in body:
        raise required("scores")
    try:
        review = adjudication.decide(ctx.project_id, ctx.user, path_uuid(item_id), scores=body["scores"],
                                     comment=body.get("comment"))
    except adjudication.NotDecidable as exc:
        # The app's error shape ({type, code, detail, attr}), not the bare detail of PostHog's stale-version 409.
        return error_response(409, STATUS_ERRORS[409][0], exc.code, exc.detail)
    return jsonify(review_json(review))
