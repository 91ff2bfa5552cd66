"""HTML: adding traces to a queue from the traces list (the ticked ones, or every one matching the filter), with
a per-trace report of what was added and what was skipped and why."""
from __future__ import annotations

from flask import render_template, url_for

from reviewapp.curation import bp
from reviewapp.curation.forms import AddToQueueForm
from reviewapp.models import Membership, ReviewQueue
from reviewapp.services import curation, queues
from reviewapp.services.errors import ValidationError
from reviewapp.web import project_view

QUEUE_CHOICES_MAX = 500


@bp.app_context_processor
def queue_picker() -> dict:
    """`add_to_queue_choices(project_id)` for the picker the traces list includes (queried only when shown)."""

    def add_to_queue_choices(project_id: int) -> list[tuple[ReviewQueue, int]]:
        rows, _ = queues.list_queues(project_id, limit=QUEUE_CHOICES_MAX)
        return rows

    return {"add_to_queue_choices": add_to_queue_choices}


@bp.route("/traces/add-to-queue", methods=["POST"])
@project_view(role="reviewer")
def add_to_queue(member: Membership):
    form = AddToQueueForm()
    filters = form.filters()
    try:
        report = curation.add_to_queue(member, trace_ids=form.trace_ids.data, filters=filters,
                                       queue_id=form.queue_id.data, new_queue_name=form.new_queue_name.data)
    except ValidationError as exc:
        form.show_error(exc.attr, exc.detail)
        return render_template("curation/add.html", form=form, filters=filters or curation.TraceFilters(),
                               back=_traces_url(member.project_id, form)), 400
    return render_template("curation/report.html", report=report, filters=filters,
                           back=_traces_url(member.project_id, form))


def _traces_url(project_id: int, form: AddToQueueForm) -> str:
    """The traces list as the user left it (its filter kept)."""
    args = {"search": form.filter_search.data, "model": form.filter_model.data,
            "date_from": form.filter_date_from.data, "date_to": form.filter_date_to.data,
            "errors_only": "y" if form.filter_errors_only.data else None,
            "review_state": form.filter_review_state.data}
    return url_for("traces.index", project_id=project_id, **{k: v for k, v in args.items() if v})
