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
from reviewapp.services import insights, judge_agreement, queues, reliability, scorers
from reviewapp.web import project_view


@bp.route("/insights/")
@project_view(role="viewer")
def index(member: Membership):
    days = insights.clean_window(request.args.get("days"))
    ordinal = request.args.get("ordinal") == "1"  # α on ranks: numbers, and options in the order the scorer lists
    agreement = reliability.queues_agreement(member.project_id, reliability.several_reviewer_queues(member.project_id),
                                             visible_to=member, ordinal=ordinal)
    data = insights.project_insights(member.project_id, days, visible_to=member)
    judges = judge_agreement.project_judge_agreement(member.project_id, visible_to=member)
    return render_template("insights/index.html", data=data, windows=insights.WINDOWS, agreement=agreement,
                           ordinal=ordinal, judges=judges)


@bp.route("/insights/agreement/<queue_id>/<definition_id>/<int:version>/matrix.csv")
@project_view(role="viewer")
def agreement_matrix(member: Membership, queue_id: str, definition_id: str, version: int):
    """The reviewer × reviewer matrix (Cohen's κ and common items) of one scorer version in one queue, as CSV; a
    version no two reviewers have judged a trace under yet gives the header alone."""
    queue = queues.load_queue(member.project_id, queue_id)
    definition = scorers.load_definition(member.project_id, definition_id)
    found = reliability.queue_agreement(member.project_id, queue, visible_to=member, definition_id=definition.id,
                                        version=version)
    out = io.StringIO()
    csv.writer(out).writerows(reliability.matrix_rows(found.versions[0]) if found.versions else [["reviewer"]])
    filename = "agreement-" + re.sub(r"[^A-Za-z0-9_-]+", "-", definition.name)[:40] + f"-v{version}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
