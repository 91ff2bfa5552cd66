"""HTML pages: the reviews list, filtered by search, scorer, queue, reviewer and failing, and its export."""
from __future__ import annotations

from flask import Response, current_app, render_template, request, stream_with_context

from reviewapp.models import Membership, utcnow
from reviewapp.review import bp
from reviewapp.services import export, members, queues, reviews, scorers
from reviewapp.services.common import ID_MAX, as_uuid
from reviewapp.services.errors import ValidationError
from reviewapp.services.review_judgments import judgments_behind
from reviewapp.services.reviews import ReviewFilters, sorted_scores
from reviewapp.web import page_number, project_view

CHOICES_MAX = 1000
FILTERS = ("search", "scorer", "queue", "reviewer", "failing")  # the reviews list's, kept by its export link
FAILING_VALUES = {"1": True, "true": True, "on": True, "0": False, "false": False}


def _filters(member: Membership) -> tuple[ReviewFilters, dict[str, str]]:
    """The list's filters from the query string, and the refusal of any malformed one, by parameter."""
    args, problems = request.args, {}
    filters = ReviewFilters(search=(args.get("search") or "").strip()[:200] or None, visible_to=member)
    for name, attr in (("scorer", "definition_id"), ("queue", "queue_id")):
        raw = args.get(name)
        if raw:
            value = as_uuid(raw)
            if value is None:
                problems[name] = f"“{raw[:60]}” is not a valid id."
            setattr(filters, attr, value)
    raw = args.get("failing")
    if raw:
        if raw in FAILING_VALUES:
            filters.failing = FAILING_VALUES[raw]
        else:
            problems["failing"] = f"“{raw[:60]}” is not a valid choice for Failing only."
    raw = args.get("reviewer")
    if raw:
        if raw.isdigit() and int(raw) <= ID_MAX:  # a longer number would overflow in the database
            filters.reviewer_id = int(raw)
        else:
            problems["reviewer"] = f"“{raw[:60]}” is not a valid reviewer."
    return filters, problems


@bp.route("/reviews/", endpoint="reviews")
@project_view(role="viewer")
def reviews_page(member: Membership):
    filters, problems = _filters(member)
    per_page = current_app.config["PAGE_SIZE"]
    page = page_number(per_page)
    rows, count = ([], 0) if problems else reviews.list_reviews(
        member.project_id, filters, order="-created_at", limit=per_page, offset=(page - 1) * per_page)
    judgments = judgments_behind(member.project_id, rows)
    definitions = scorers.definitions_by_name(member.project_id, archived=None, limit=CHOICES_MAX)
    live_queues, _ = queues.list_queues(member.project_id, limit=CHOICES_MAX)
    filtered = any(request.args.get(name) for name in FILTERS)
    return render_template(
        "review/reviews.html", rows=rows, count=count, page=page, per_page=per_page, problems=problems,
        definitions=definitions, queues=[q for q, _ in live_queues], members=members.list_members(member.project_id),
        queue_names={q.id: q.name for q, _ in live_queues}, sorted_scores=sorted_scores, filtered=filtered,
        export_args={k: v for k, v in request.args.items() if k in FILTERS and v}, failing=filters.failing,
        judgments=judgments,
    ), 400 if problems else 200


@bp.route("/reviews/export")
@project_view(role="viewer")
def export_reviews(member: Membership):
    filters, problems = _filters(member)
    if problems:
        raise ValidationError(next(iter(problems.values())), next(iter(problems)))
    fmt = export.validate_format(request.args.get("format"))
    form = export.validate_form(request.args.get("form"))
    chunks = export.export_reviews(member.project_id, fmt, filters, form)
    name = export.filename(member.project_id, fmt, utcnow(), form)
    return Response(stream_with_context(chunks), content_type=export.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
