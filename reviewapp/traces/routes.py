"""HTML pages: the traces list with its filters, one trace, and PostHog's trace links leading to it."""
from __future__ import annotations

from flask import Response, current_app, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState

from reviewapp.models import Membership
from reviewapp.services import evaluations, review_history, span_tree, traces
from reviewapp.services.errors import ValidationError
from reviewapp.traces import bp
from reviewapp.traces.forms import TraceFilterForm
from reviewapp.web import page_number, project_view

SORTABLE = {"first_timestamp": "Started", "total_cost_usd": "Cost", "latency_seconds": "Latency",
            "input_tokens": "Tokens"}


@bp.route("/traces/")
@project_view(role="viewer")
def index(member: Membership):
    form = TraceFilterForm(formdata=request.args)
    form.model.choices = {"": "Any model", **{name: name for name in traces.model_names(member.project_id)}}
    per_page = current_app.config["PAGE_SIZE"]
    page = page_number(per_page)
    rows: list[traces.TraceRow] = []
    count, status = 0, 200
    if not form.validate():
        status = 400
    else:
        try:
            rows, count = traces.list_traces(
                member.project_id,
                search=form.search.data,
                model=form.model.data or None,
                date_from=form.date_from.data,
                date_to=form.date_to.data,
                errors_only=form.errors_only.data,
                evaluation_failed=form.evaluation_failed.data,
                review_state=form.review_state.data or None,
                order=form.order.data or None,
                limit=per_page,
                offset=(page - 1) * per_page,
                membership=member,
            )
        except ValidationError as exc:
            form.show_error(exc.attr, exc.detail)
            status = 400
    count, count_is_capped = traces.shown_count(count)
    filtered = any(request.args.get(name) for name in ("search", "model", "date_from", "date_to",
                                                       "errors_only", "evaluation_failed", "review_state"))
    return render_template(
        "traces/index.html", form=form, rows=rows, count=count, count_is_capped=count_is_capped, page=page,
        per_page=per_page,
        order=form.order.data or traces.DEFAULT_ORDER, sortable=SORTABLE, filtered=filtered,
    ), status


@bp.route("/traces/<trace:trace_id>")
@project_view(role="viewer")
def detail(member: Membership, trace_id: str):
    detail = traces.get_trace(member.project_id, trace_id, focus=request.args.get("span"),
                              start=request.args.get("from", 0, type=int), membership=member)
    all_history = request.args.get("history") == "all"
    history, older = review_history.recent_for_trace(member.project_id, trace_id,
                                                     limit=None if all_history else review_history.SHOWN,
                                                     membership=member)
    return render_template("traces/detail.html", detail=detail, history=history, older_history=older,
                           evaluation_results=evaluations.results_shown_to(member, trace_id, detail.blind))


@bp.route("/traces/<trace:trace_id>/messages")
@project_view(role="viewer")
def messages(member: Membership, trace_id: str):
    """The conversation's bubbles from the `from`th message on: the review page paints its first ones, and
    review.js fetches these when the reviewer scrolls to them."""
    detail = traces.get_trace(member.project_id, trace_id, membership=member)
    start = max(request.args.get("from", 0, type=int), 0)
    return render_template("traces/_messages.html", detail=detail, msg_from=start, msg_to=None, t=detail.trace)


@bp.route("/traces/<trace:trace_id>/spans")
@project_view(role="viewer")
def spans(member: Membership, trace_id: str):
    """Rows of the span tree from the `from`th listed span to before `to` (TREE_NODES at most), indented from the
    trace's top: the review page paints the first rows of a long tree, and review.js fetches these when the
    reviewer scrolls to them."""
    start = max(request.args.get("from", 0, type=int), 0)
    end = min(max(request.args.get("to", start + span_tree.TREE_NODES, type=int), start + 1),
              start + span_tree.TREE_NODES)
    detail = traces.get_trace(member.project_id, trace_id, membership=member)
    view = span_tree.tree_view(detail.tree, start=start, size=end - start, base=0)
    return render_template("traces/_tree.html", rows=view.rows, t=detail.trace, lazy=True, new_tab=True)


@project_view(role="viewer")
def posthog_trace_link(member: Membership, trace_id: str):
    """PostHog's trace address, the `trace_url` the API gives each review: on to the trace's page here."""
    return redirect(url_for("traces.detail", project_id=member.project_id, trace_id=trace_id))


@bp.record_once
def _serve_posthog_trace_links(state: BlueprintSetupState) -> None:
    # PostHog's path starts with /project/, outside this blueprint's /projects/<id> prefix: the app serves it.
    state.app.add_url_rule("/project/<int:project_id>/ai-observability/traces/<trace:trace_id>",
                           endpoint="traces.posthog_trace_link", view_func=posthog_trace_link)


@bp.route("/events/<event_uuid>")
@project_view(role="viewer")
def event(member: Membership, event_uuid: str):
    """One raw event, whole, as JSON: the page shows only the start of a long one."""
    return _inert(traces.event_json(traces.load_event(member.project_id, event_uuid)), "application/json")


@bp.route("/events/<event_uuid>/body")
@project_view(role="viewer")
def event_body(member: Membership, event_uuid: str):
    """The body of a collapsed span (`?part=span`) or raw event (`?part=raw`) of the trace view, which the review
    page leaves out of its first paint and review.js fetches when the reviewer opens one."""
    part = "raw" if request.args.get("part") == "raw" else "span"
    return render_template("traces/_event_body.html", node=traces.span_node(member.project_id, event_uuid),
                           part=part)


@bp.route("/events/<event_uuid>/<any(input, output):source>")
@project_view(role="viewer")
def generation_io(member: Membership, event_uuid: str, source: str):
    """A generation's own input or output, whole, as JSON (the page shows the thread once, across generations)."""
    return _inert(traces.generation_io(member.project_id, event_uuid, source), "application/json")


@bp.route("/events/<event_uuid>/<any(input, output):source>/<int:index>/<int:part>")
@project_view(role="viewer")
def message_part(member: Membership, event_uuid: str, source: str, index: int, part: int):
    """One part of a generation's message, whole, as plain text: the page shows only the start of a long one."""
    return _inert(traces.message_text(member.project_id, event_uuid, source, index, part), "text/plain")


def _inert(body: str, mimetype: str) -> Response:
    """Trace content served as data, never allowed to run or load anything (every answer is nosniff: guards)."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
