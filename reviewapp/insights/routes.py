"""HTML page: Insights — score distributions per scorer version, pass rates per version over time and per queue,
queue progress over time, reviewer throughput and skip reasons, and agreement between reviewers per scorer version,
drawn as inline SVG on the server (no script needed) with every number also as text."""
from __future__ import annotations

import csv
import io
import re

from flask import Response, render_template, request

from reviewapp.insights import bp
from reviewapp.models import Membership
from reviewapp.services import insights, queues, reliability
from reviewapp.services.common import as_uuid
from reviewapp.services.errors import NotFound
from reviewapp.web import project_view


@bp.route("/insights/")
@project_view(role="viewer")
def index(member: Membership):
    days = insights.clean_window(request.args.get("days"))
    ordinal = request.args.get("ordinal") == "1"  # α on ranks: numbers, and options in the order the scorer lists
    agreement = reliability.queues_agreement(member.project_id, reliability.several_reviewer_queues(member.project_id),
                                             ordinal=ordinal)
    return render_template("insights/index.html", data=insights.project_insights(member.project_id, days),
                           windows=insights.WINDOWS, agreement=agreement, ordinal=ordinal)


@bp.route("/insights/agreement/<queue_id>/matrix.csv")
@project_view(role="viewer")
def agreement_matrix(member: Membership, queue_id: str):
    """The reviewer × reviewer matrix (Cohen's κ and common items) of one scorer version in one queue, as CSV."""
    queue = queues.load_queue(member.project_id, queue_id)
    definition_id = as_uuid(request.args.get("definition_id"))
    version = request.args.get("version", "")
    if definition_id is None or not version.isdigit():
        raise NotFound()
    found = reliability.queue_agreement(member.project_id, queue, definition_id=definition_id, version=int(version))
    if not found.versions:
        raise NotFound()
    out = io.StringIO()
    csv.writer(out).writerows(reliability.matrix_rows(found.versions[0]))
    filename = "agreement-" + re.sub(r"[^A-Za-z0-9_-]+", "-", found.versions[0].name)[:40] + f"-v{version}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
