"""HTML pages: the scorers list, creating a scorer with its config editor, editing its name and description,
new config versions (with the stale-edit check), duplicating, archiving, and the version history.

Every member may read the list, a scorer and its versions (reviewers need the rubric); only admins change them."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from reviewapp.models import KINDS, Membership
from reviewapp.scorers import bp
from reviewapp.scorers.changes import config_changes
from reviewapp.scorers.forms import (
    KIND_HELP,
    KIND_LABELS,
    ConfigEditor,
    ConfigForm,
    DetailsForm,
    FilterForm,
    NewScorerForm,
)
from reviewapp.services import distributions, passing, scorer_config, scorers
from reviewapp.services.errors import Conflict, ValidationError
from reviewapp.web import page_number, project_view

SORTABLE = ("name", "kind", "current_version", "updated_at", "created_at")
ARCHIVED = {"false": False, "true": True, "all": None}


@bp.route("/scorers/")
@project_view(role="viewer")
def index(member: Membership):
    form = FilterForm(formdata=request.args)
    form.validate()
    order = form.order.data if (form.order.data or "").lstrip("-") in SORTABLE else ""
    kind = form.kind.data if form.kind.data in KINDS else None
    per_page = current_app.config["PAGE_SIZE"]
    page = page_number(per_page)
    definitions, count = scorers.list_definitions(
        member.project_id, archived=ARCHIVED.get(form.archived.data or "false", False), kind=kind,
        search=(form.search.data or "").strip() or None, order=order or None, limit=per_page,
        offset=(page - 1) * per_page,
    )
    filtered = bool(form.search.data or kind or form.archived.data in ("true", "all"))
    return render_template(
        "scorers/index.html", form=form, definitions=definitions, count=count, page=page, per_page=per_page,
        order=order or "name", filtered=filtered, kind_labels=KIND_LABELS, describe_rule=passing.describe,
        review_counts=distributions.review_counts(member.project_id, [d.id for d in definitions]),
    )


@bp.route("/scorers/new", methods=["GET", "POST"])
@project_view(role="admin")
def create(member: Membership):
    kind = request.values.get("kind")
    if kind not in KINDS:
        return render_template("scorers/choose_kind.html", kind_labels=KIND_LABELS, kind_help=KIND_HELP)
    form = NewScorerForm()
    if request.method == "GET":
        editor = ConfigEditor.from_config(kind, form, None)
        return render_template("scorers/new.html", form=form, editor=editor, kind=kind, kind_labels=KIND_LABELS)

    editor = ConfigEditor.from_request(kind, form, request.form)
    action = request.form.get("row_action")
    if action and editor.apply_row_action(action):
        return render_template("scorers/new.html", form=form, editor=editor, kind=kind, kind_labels=KIND_LABELS)
    config = editor.config()
    try:
        definition = scorers.create_definition(member.project_id, current_user, name=form.name.data,
                                               description=form.description.data, kind=kind, config=config)
    except ValidationError as exc:
        _show(exc, form, editor)
        if not exc.attr or not exc.attr.startswith("config"):
            # The service stops at the first refusal; check the config too, so one submit shows both.
            try:
                scorer_config.validate_config(kind, config)
            except ValidationError as config_exc:
                editor.show_error(config_exc)
        editor.ensure_blank_rows()
        return render_template("scorers/new.html", form=form, editor=editor, kind=kind,
                               kind_labels=KIND_LABELS), 400
    flash(f"Scorer “{definition.name}” created (version 1).", "success")
    return redirect(url_for("scorers.edit", project_id=member.project_id, definition_id=definition.id))


@bp.route("/scorers/<definition_id>/")
@project_view(role="viewer")
def edit(member: Membership, definition_id: str):
    """The editor for an admin; for everyone else the scorer as reviewers use it, read-only."""
    definition = scorers.load_definition(member.project_id, definition_id)
    if not member.has_role("admin"):
        return render_template(
            "scorers/detail.html", definition=definition, kind_labels=KIND_LABELS, describe_rule=passing.describe,
            review_count=distributions.review_counts(member.project_id, [definition.id]).get(definition.id, 0))
    details = DetailsForm(obj=definition, formdata=None)
    config_form = ConfigForm(formdata=None)
    config_form.base_version.data = str(definition.current_version)
    editor = ConfigEditor.from_config(definition.kind, config_form, definition.live().config)
    return _edit_page(member, definition, details, editor)


@bp.route("/scorers/<definition_id>/details", methods=["POST"])
@project_view(role="admin")
def update_details(member: Membership, definition_id: str):
    definition = scorers.load_definition(member.project_id, definition_id)
    details = DetailsForm()
    try:
        scorers.update_definition(member.project_id, current_user, definition.id,
                                  {"name": details.name.data, "description": details.description.data})
    except ValidationError as exc:
        _show(exc, details, None)
        config_form = ConfigForm(formdata=None)
        config_form.base_version.data = str(definition.current_version)
        editor = ConfigEditor.from_config(definition.kind, config_form, definition.live().config)
        return _edit_page(member, definition, details, editor, status=400)
    flash("Name and description saved.", "success")
    return redirect(url_for("scorers.edit", project_id=member.project_id, definition_id=definition.id))


@bp.route("/scorers/<definition_id>/config", methods=["POST"])
@project_view(role="admin")
def update_config(member: Membership, definition_id: str):
    """Save the editor's config as a new version, unless someone made one since the page was opened."""
    definition = scorers.load_definition(member.project_id, definition_id)
    config_form = ConfigForm()
    editor = ConfigEditor.from_request(definition.kind, config_form, request.form)
    details = DetailsForm(obj=definition, formdata=None)
    action = request.form.get("row_action")
    if action and editor.apply_row_action(action):
        return _edit_page(member, definition, details, editor)
    base = config_form.base_version.data
    try:
        updated = scorers.new_version_if_changed(member.project_id, current_user, definition.id, editor.config(),
                                                 base_version=base)
    except Conflict as exc:
        definition = scorers.load_definition(member.project_id, definition_id)
        # The user's input stays; the form now builds on the version that is current, so saving again is a
        # deliberate choice made after seeing what changed.
        config_form.base_version.data = str(definition.current_version)
        editor.ensure_blank_rows()
        return _edit_page(member, definition, details, editor, status=409, conflict=exc.detail, base=base)
    except ValidationError as exc:
        if not editor.show_error(exc):
            editor.errors.append(exc.detail)
        editor.ensure_blank_rows()
        return _edit_page(member, definition, details, editor, status=400)
    if updated is None:
        flash(f"No change: the settings are the same as version {definition.current_version}.", "info")
        return redirect(url_for("scorers.edit", project_id=member.project_id, definition_id=definition.id))
    flash(f"Saved as version {updated.current_version}. Existing reviews keep the version they were "
          "scored against.", "success")
    return redirect(url_for("scorers.edit", project_id=member.project_id, definition_id=definition.id))


@bp.route("/scorers/<definition_id>/duplicate", methods=["POST"])
@project_view(role="admin")
def duplicate(member: Membership, definition_id: str):
    copy = scorers.duplicate_definition(member.project_id, current_user, definition_id)
    flash(f"Created “{copy.name}”, a copy of the current version. Rename it below.", "success")
    return redirect(url_for("scorers.edit", project_id=member.project_id, definition_id=copy.id))


@bp.route("/scorers/<definition_id>/archive", methods=["POST"])
@project_view(role="admin")
def archive(member: Membership, definition_id: str):
    return _set_archived(member, definition_id, True,
                         "“{name}” is archived. Its reviews are kept; unarchive it to use it again.")


@bp.route("/scorers/<definition_id>/unarchive", methods=["POST"])
@project_view(role="admin")
def unarchive(member: Membership, definition_id: str):
    return _set_archived(member, definition_id, False, "“{name}” is active again.")


def _set_archived(member: Membership, definition_id: str, archived: bool, message: str) -> ResponseReturnValue:
    definition = scorers.set_archived(member.project_id, current_user, definition_id, archived)
    flash(message.format(name=definition.name), "success")
    return redirect(url_for("scorers.edit", project_id=member.project_id, definition_id=definition.id))


@bp.route("/scorers/<definition_id>/versions")
@project_view(role="viewer")
def versions(member: Membership, definition_id: str):
    """Every version, newest first, with what changed from the one before and how many reviews use it."""
    definition = scorers.load_definition(member.project_id, definition_id)
    per_page = current_app.config["PAGE_SIZE"]
    page = page_number(per_page)
    # One more than the page, so the oldest version shown can be compared with the one before it.
    found, count = scorers.list_versions(member.project_id, definition.id, limit=per_page + 1,
                                         offset=(page - 1) * per_page)
    history = [
        (version, config_changes(definition.kind, found[i + 1].config if i + 1 < len(found) else None,
                                 version.config))
        for i, version in enumerate(found[:per_page])
    ]
    return render_template(
        "scorers/versions.html", definition=definition, history=history, count=count, page=page,
        per_page=per_page, kind_labels=KIND_LABELS, describe_rule=passing.describe,
        usage=distributions.review_counts_by_version(member.project_id, definition.id),
    )


def _edit_page(member: Membership, definition, details: DetailsForm, editor: ConfigEditor, status: int = 200,
               conflict: str | None = None, base: str | None = None):
    changed_since = None
    if conflict and base and base.isdigit():
        # What the other edit changed: from the version this user started from to the current one.
        started, _ = scorers.list_versions(member.project_id, definition.id, limit=1,
                                           offset=definition.current_version - int(base))
        if started:
            changed_since = config_changes(definition.kind, started[0].config, definition.live().config)
    return render_template(
        "scorers/edit.html", definition=definition, details=details, editor=editor, kind=definition.kind,
        kind_labels=KIND_LABELS, conflict=conflict, changed_since=changed_since,
        review_count=distributions.review_counts(member.project_id, [definition.id]).get(definition.id, 0),
    ), status


def _show(exc: ValidationError, form: DetailsForm, editor: ConfigEditor | None) -> None:
    if form.show_error(exc.attr, exc.detail):
        return
    if editor is not None and editor.show_error(exc):
        return
    flash(exc.detail, "error")
