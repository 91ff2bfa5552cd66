"""HTML page: Insights — score distributions per scorer version, pass rates per version over time and per queue,
queue progress over time, reviewer throughput and skip reasons, drawn as inline SVG on the server (no script
needed) with every number also as text."""
from __future__ import annotations

from flask import render_template, request

from reviewapp.insights import bp
from reviewapp.models import Membership
from reviewapp.services import insights
from reviewapp.web import project_view


@bp.route("/insights/")
@project_view(role="viewer")
def index(member: Membership):
    days = insights.clean_window(request.args.get("days"))
    return render_template("insights/index.html", data=insights.project_insights(member.project_id, days),
                           windows=insights.WINDOWS)
