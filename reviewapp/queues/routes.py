"""HTML pages: the queues of a project (the home page) and one queue with its pending traces."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from reviewapp.models import Membership, ReviewQueue
from reviewapp.queues import bp
from reviewapp.queues.forms import ConfirmForm, MoveItemForm, QueueForm, RuleForm
from reviewapp.services import (
    claims,
    members,
    queue_items,
    queue_rules,
    queue_settings,
    queues,
    reliability,
    rule_conditions,
    scorers,
)
from reviewapp.services.errors import NotFound, ValidationError
from reviewapp.services.scorer_config import format_decimal
from reviewapp.web import page_number, project_view

QUEUE_SORTS = {"name": "Name", "-updated_at": "Recently updated", "-created_at": "Newest", "created_at": "Oldest"}
ITEM_SORTS = {"created_at": "Oldest first", "-created_at": "Newest first", "-updated_at": "Recently changed"}
SCORER_CHOICES_MAX = 500
RULES_SHOWN = 50


def _search() -> str:
    return (request.args.get("search") or "").strip()[:200]


def _sort(allowed: dict[str, str], default: str) -> str:
    order = request.args.get("order") or default
    return order if order in allowed else default


def _with_scorer_choices(form: QueueForm, project_id: int) -> QueueForm:
    definitions = scorers.definitions_by_name(project_id, archived=False, limit=SCORER_CHOICES_MAX)
    form.scorer_ids.choices = [(str(d.id), f"{d.name} ({d.kind})") for d in definitions]
    form.required_scorer_ids.choices = [(str(d.id), d.name) for d in definitions]
    return form


def _with_choices(form: QueueForm, project_id: int) -> QueueForm:
    """The full form's choices: scorers, and the members who may be assigned (reviewers and admins)."""
    _with_scorer_choices(form, project_id)
    form.assignee_ids.choices = [
        (str(m.user_id), f"{m.user.display_name} ({m.role})") for m in members.list_members(project_id)
        if m.role in queue_settings.ASSIGNEE_ROLES]
    return form


def _queue_data(form: QueueForm) -> dict:
    return {"name": form.name.data or "", "description": form.description.data or "",
            "scorer_ids": list(form.scorer_ids.data or []), "required_scorer_ids": form.required_ids(),
            **form.settings()}


# --- the queues ---------------------------------------------------------------------------------------

@bp.route("/queues/")
@project_view(role="viewer")
def index(member: Membership):
    per_page = current_app.config["PAGE_SIZE"]
    page, search, order = page_number(per_page), _search(), _sort(QUEUE_SORTS, "name")
    rows, count = queues.list_queues(member.project_id, search=search or None, order=order,
                                     limit=per_page, offset=(page - 1) * per_page)
    queue_ids = [queue.id for queue, _ in rows]
    form = _with_scorer_choices(QueueForm(), member.project_id) if member.has_role("admin") else None
    return render_template(
        "queues/index.html", rows=rows, count=count, page=page, per_page=per_page, search=search, order=order,
        sorts=QUEUE_SORTS, reviewed=queues.reviewed_counts(member.project_id, queue_ids),
        reviewers=claims.reviewers_now(member.project_id, queue_ids), form=form, confirm=ConfirmForm(),
    )


@bp.route("/queues/new", methods=["GET", "POST"])
@project_view(role="admin")
def create(member: Membership):
    form = _with_choices(QueueForm(), member.project_id)

    def save(data: dict[str, Any]) -> ReviewQueue:
        return queues.create_queue(member.project_id, current_user, data["name"], data["description"],
                                   data["scorer_ids"], data["required_scorer_ids"],
                                   settings={k: data[k] for k in queue_settings.SETTINGS})

    return _save_queue(member, form, None, save, "Queue “{name}” created. Add traces to it from the Traces page.")


@bp.route("/queues/<queue_id>/edit", methods=["GET", "POST"])
@project_view(role="admin")
def edit(member: Membership, queue_id: str):
    queue = queues.load_queue(member.project_id, queue_id)
    form = _with_choices(QueueForm(obj=None if request.method == "POST" else queue), member.project_id)
    if request.method == "GET":
        form.scorer_ids.data = [str(i) for i in queues.queue_scorer_ids(queue)]
        form.show_required(queue.required_scorer_ids)
        form.show_settings(queue)
    return _save_queue(member, form, queue,
                       lambda data: queues.update_queue(member.project_id, current_user, queue.id, data),
                       "Queue “{name}” saved.")


def _save_queue(member: Membership, form: QueueForm, queue: ReviewQueue | None,
                save: Callable[[dict[str, Any]], ReviewQueue], saved_message: str) -> ResponseReturnValue:
    """The queue form's submit: saved, a flash and the queue's page; refused, the form again with the error beside
    its field (and a 400)."""
    if form.validate_on_submit():
        try:
            saved = save(_queue_data(form))
        except ValidationError as exc:
            form.show_error(exc.attr, exc.detail)
        else:
            flash(saved_message.format(name=saved.name), "success")
            return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=saved.id))
    status = 400 if form.errors else 200
    return render_template("queues/form.html", form=form, queue=queue), status


@bp.route("/queues/<queue_id>/delete", methods=["GET", "POST"])
@project_view(role="admin")
def delete(member: Membership, queue_id: str):
    queue, pending = queues.load_queue_with_count(member.project_id, queue_id)
    form = ConfirmForm()
    if form.validate_on_submit() and form.is_confirmed:
        queues.delete_queue(member.project_id, current_user, queue.id)
        flash(f"Queue “{queue.name}” deleted; its {pending} pending traces are no longer queued.", "success")
        return redirect(url_for("queues.index", project_id=member.project_id))
    return render_template(
        "queues/confirm.html", form=form, title=f"Delete queue “{queue.name}”?",
        message=f"Its {pending} pending traces leave the queue; reviews already saved stay. This cannot be undone.",
        action=url_for("queues.delete", project_id=member.project_id, queue_id=queue.id),
        button="Delete queue", cancel=url_for("queues.detail", project_id=member.project_id, queue_id=queue.id),
    )


# --- one queue ----------------------------------------------------------------------------------------

@bp.route("/queues/<queue_id>/")
@project_view(role="viewer")
def detail(member: Membership, queue_id: str):
    return _queue_page(member, queue_id)


def _queue_page(member: Membership, queue_id: str, rule_form: RuleForm | None = None,
                status: int = 200) -> ResponseReturnValue:
    """The queue's page; with the rule form as an admin sent it when it was refused."""
    queue, pending = queues.load_queue_with_count(member.project_id, queue_id)
    per_page = current_app.config["PAGE_SIZE"]
    page, search, order = page_number(per_page), _search(), _sort(ITEM_SORTS, "created_at")
    rows, count = queue_items.list_items_with_traces(member.project_id, queue.id, search=search or None, order=order,
                                                limit=per_page, offset=(page - 1) * per_page,
                                                total=None if search else pending)
    move = None
    if member.has_role("reviewer"):
        move = MoveItemForm()
        move.queue_id.choices = [(str(queue_id), name) for queue_id, name in queues.queue_names(member.project_id)
                                 if queue_id != queue.id]
    reviewed = queues.reviewed_counts(member.project_id, [queue.id]).get(queue.id, 0)
    reviewers = claims.reviewers_now(member.project_id, [queue.id]).get(queue.id, [])
    several = queue.takes_judgments
    rules, _ = queue_rules.list_rules(member.project_id, queue_id=queue.id, limit=RULES_SHOWN)
    return render_template(
        "queues/detail.html", queue=queue, pending=pending, reviewed=reviewed, reviewers=reviewers, rows=rows,
        verdicts=queues.verdict_counts(member.project_id, queue.id, visible_to=member), several=several,
        states=queues.state_counts(member.project_id, queue.id) if several else None,
        judging=queues.judges_now([item.id for item, _ in rows]) if several else {},
        agreement=reliability.latest_per_scorer(
            reliability.queue_agreement(member.project_id, queue, visible_to=member, alpha_only=True))
        if several else [],
        assignees=queue_settings.assignees(queue),
        tolerance=None if queue.numeric_tolerance is None else format_decimal(queue.numeric_tolerance),
        count=count, page=page, per_page=per_page, search=search, order=order, sorts=ITEM_SORTS, move=move,
        confirm=ConfirmForm(), active_claim=claims.active_claim, rules=rules, describe_rule=queue_rules.describe,
        rule_stats=queue_rules.stats(
            rule.id for rule in rules),
        rule_form=rule_form or (_rule_form(member.project_id) if member.has_role("admin") else None),
    ), status


def _item_in(member: Membership, queue_id: str, item_id: str):
    queue = queues.load_queue(member.project_id, queue_id)
    item = queue_items.load_item(member.project_id, item_id)
    if item.queue_id != queue.id:
        raise NotFound()
    return queue, item


@bp.route("/queues/<queue_id>/items/<item_id>/remove", methods=["GET", "POST"])
@project_view(role="reviewer")
def remove_item(member: Membership, queue_id: str, item_id: str):
    queue, item = _item_in(member, queue_id, item_id)
    form = ConfirmForm()
    if form.validate_on_submit() and form.is_confirmed:
        queue_items.remove_item(member.project_id, current_user, item.id)
        flash(f"Trace {item.trace_id} removed from “{queue.name}”.", "success")
        return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=queue.id))
    return render_template(
        "queues/confirm.html", form=form, title=f"Remove trace {item.trace_id} from “{queue.name}”?",
        message="The trace stays stored and can be queued again later.",
        action=url_for("queues.remove_item", project_id=member.project_id, queue_id=queue.id, item_id=item.id),
        button="Remove from queue", cancel=url_for("queues.detail", project_id=member.project_id, queue_id=queue.id),
    )


@bp.route("/queues/<queue_id>/items/<item_id>/move", methods=["POST"])
@project_view(role="reviewer")
def move_item(member: Membership, queue_id: str, item_id: str):
    queue, item = _item_in(member, queue_id, item_id)
    form = MoveItemForm()
    back = url_for("queues.detail", project_id=member.project_id, queue_id=queue.id)
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(back)
    try:
        moved = queue_items.move_item(member.project_id, current_user, item.id, form.queue_id.data)
    except ValidationError as exc:
        flash(f"Trace {item.trace_id} was not moved: {exc.detail}", "error")
    else:
        flash(f"Trace {item.trace_id} moved to “{moved.queue.name}”.", "success")
    return redirect(back)


# --- a queue's rules ----------------------------------------------------------------------------------

def _rule_form(project_id: int) -> RuleForm:
    form = RuleForm()
    evaluations = rule_conditions.evaluation_choices(project_id)
    form.evaluation.choices = [("", "Any (no evaluation condition)")] + [
        (key, name if name == key else f"{name} ({key})") for key, name in evaluations]
    return form


def _rule_in(member: Membership, queue_id: str, rule_id: str):
    queue = queues.load_queue(member.project_id, queue_id)
    rule = queue_rules.load_rule(member.project_id, rule_id)
    if rule.queue_id != queue.id:
        raise NotFound()
    return queue, rule


@bp.route("/queues/<queue_id>/rules/", methods=["POST"])
@project_view(role="admin")
def add_rule(member: Membership, queue_id: str):
    queue = queues.load_queue(member.project_id, queue_id)
    form = _rule_form(member.project_id)
    if form.validate_on_submit():
        try:
            rule = queue_rules.create_rule(member.project_id, current_user, queue.id, form.data_for_service())
        except ValidationError as exc:
            form.show_error(exc.attr, exc.detail)
        else:
            flash(f"Rule “{rule.name}” added: from now on it sends {queue_rules.describe(rule)} to “{queue.name}”. "
                  "Backfill it from its page to add stored traces.", "success")
            return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=queue.id) + "#rules")
    else:
        form.name.errors = list(form.name.errors) + ["The form expired; try again."]
    return _queue_page(member, queue_id, form, 400)


@bp.route("/queues/<queue_id>/rules/<rule_id>/")
@project_view(role="viewer")
def rule_detail(member: Membership, queue_id: str, rule_id: str):
    queue, found = _rule_in(member, queue_id, rule_id)
    per_page = current_app.config["PAGE_SIZE"]
    page = page_number(per_page)
    additions, count = queue_rules.list_additions(member.project_id, found.id, limit=per_page,
                                                  offset=(page - 1) * per_page)
    return render_template(
        "queues/rule.html", queue=queue, rule=found, stats=queue_rules.stats([found.id])[found.id],
        describe=queue_rules.describe, additions=additions, count=count, page=page, per_page=per_page,
        preview=queue_rules.preview(member.project_id, found.id) if member.has_role("admin") else None,
        backfill_max=queue_rules.BACKFILL_MAX, percent=rule_conditions.format_number(found.sample_percent))


def _confirmed_rule_action(act: Callable[[], str]) -> None:
    """Run a one-button rule action behind its CSRF form and flash what it did."""
    if ConfirmForm().validate_on_submit():
        flash(act(), "success")
    else:
        flash("The form expired; try again.", "error")


@bp.route("/queues/<queue_id>/rules/<rule_id>/pause", methods=["POST"])
@project_view(role="admin")
def pause_rule(member: Membership, queue_id: str, rule_id: str):
    queue, found = _rule_in(member, queue_id, rule_id)

    def pause() -> str:
        paused = request.form.get("paused") == "yes"
        queue_rules.update_rule(member.project_id, current_user, found.id, {"paused": paused})
        return f"Rule “{found.name}” {'paused' if paused else 'resumed'}."
    _confirmed_rule_action(pause)
    return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=queue.id) + "#rules")


@bp.route("/queues/<queue_id>/rules/<rule_id>/delete", methods=["POST"])
@project_view(role="admin")
def delete_rule(member: Membership, queue_id: str, rule_id: str):
    queue, found = _rule_in(member, queue_id, rule_id)

    def remove() -> str:
        queue_rules.delete_rule(member.project_id, current_user, found.id)
        return f"Rule “{found.name}” deleted; the traces it added stay in the queue."
    _confirmed_rule_action(remove)
    return redirect(url_for("queues.detail", project_id=member.project_id, queue_id=queue.id) + "#rules")


@bp.route("/queues/<queue_id>/rules/<rule_id>/backfill", methods=["POST"])
@project_view(role="admin")
def backfill_rule(member: Membership, queue_id: str, rule_id: str):
    queue, found = _rule_in(member, queue_id, rule_id)

    def backfill() -> str:
        added = queue_rules.backfill(member.project_id, current_user, found.id)
        return f"Backfill of “{found.name}”: {added} stored trace{'s' if added != 1 else ''} added to “{queue.name}”."
    _confirmed_rule_action(backfill)
    return redirect(url_for("queues.rule_detail", project_id=member.project_id, queue_id=queue.id, rule_id=found.id))
