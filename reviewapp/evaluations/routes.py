"""HTML pages: the evaluations seen in the project's `$ai_evaluation` events with how their results came out, and
one evaluation with its settings (admins), its judge-against-people comparison and its latest results."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from reviewapp.evaluations import bp
from reviewapp.evaluations.forms import EvaluationSettingsForm
from reviewapp.models import Membership
from reviewapp.services import evaluations, judge_agreement, scorers
from reviewapp.services.errors import ValidationError
from reviewapp.web import project_view


@bp.route("/evaluations/")
@project_view(role="viewer")
def index(member: Membership):
    return render_template("evaluations/index.html", rows=evaluations.list_evaluations(member.project_id),
                           outcome_labels=evaluations.OUTCOME_LABELS, describe_evaluation=evaluations.describe_rule)


@bp.route("/evaluations/<int:evaluation_id>")
@project_view(role="viewer")
def detail(member: Membership, evaluation_id: int):
    evaluation = evaluations.load_evaluation(member.project_id, evaluation_id)
    form = EvaluationSettingsForm()
    form.fill(evaluation)
    return _page(member, evaluation, form)


@bp.route("/evaluations/<int:evaluation_id>", methods=["POST"])
@project_view(role="admin")
def save(member: Membership, evaluation_id: int):
    evaluation = evaluations.load_evaluation(member.project_id, evaluation_id)
    form = EvaluationSettingsForm()
    if not form.validate():
        return _page(member, evaluation, form, 400)
    try:
        evaluations.update_evaluation(member.project_id, evaluation.id, form.settings())
    except ValidationError as exc:
        form.show_error(exc.attr, exc.detail)
        return _page(member, evaluation, form, 400)
    flash("Evaluation settings saved; its results were read again under them.", "success")
    return redirect(url_for("evaluations.detail", project_id=member.project_id, evaluation_id=evaluation.id))


def _page(member: Membership, evaluation, form: EvaluationSettingsForm, status: int = 200):
    definitions, _ = scorers.list_definitions(member.project_id, limit=500)
    form.scorer.choices = {"": "No scorer", **{str(d.id): d.name for d in definitions}}
    rows = evaluations.list_evaluations(member.project_id, evaluation.id)
    comparison = judge_agreement.project_judge_agreement(member.project_id, evaluation.id, visible_to=member)
    return render_template(
        "evaluations/detail.html", evaluation=evaluation, row=rows[0], form=form,
        comparison=comparison[0] if comparison else None,
        results=evaluations.recent_results(member, evaluation.id),
        outcome_labels=evaluations.OUTCOME_LABELS, describe_evaluation=evaluations.describe_rule,
    ), status
