"""HTML pages: project settings (name, capture token and SDK snippet), members and roles for admins, and every
member's own personal API keys (created with scopes, shown once, revoked)."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from reviewapp.models import Membership
from reviewapp.services import accounts, members
from reviewapp.services.common import ID_MAX, as_uuid
from reviewapp.services.errors import ValidationError
from reviewapp.settings import bp
from reviewapp.settings.forms import ApiKeyForm, InviteForm, ProjectForm, RoleForm
from reviewapp.web import project_view


@bp.route("/settings/")
@project_view(role="viewer")
def index(member: Membership):
    return _page(member)


@bp.route("/settings/project", methods=["POST"])
@project_view(role="admin")
def rename(member: Membership):
    form = ProjectForm()
    try:
        accounts.rename_project(member.project, form.name.data)
    except ValidationError as exc:
        form.show_error(exc.attr, exc.detail)
        return _page(member, project_form=form, status=400)
    flash("Project renamed.", "success")
    return redirect(url_for("settings.index", project_id=member.project_id))


@bp.route("/settings/members", methods=["POST"])
@project_view(role="admin")
def invite(member: Membership):
    form = InviteForm()
    try:
        membership, created = members.invite(
            member.project, current_user, email=form.email.data, role=form.role.data, password=form.password.data,
            first_name=form.first_name.data or "", last_name=form.last_name.data or "")
    except ValidationError as exc:
        form.show_error(exc.attr, exc.detail)
        return _page(member, invite_form=form, status=400)
    email = membership.user.email
    if created:
        flash(f"Created an account for {email} as {membership.role}. Give them the temporary password; they can "
              "change it after signing in.", "success")
    else:
        flash(f"Added {email} as {membership.role}.", "success")
    return redirect(url_for("settings.index", project_id=member.project_id) + "#members")


# A member id past what the database holds matches no route (a 404), not an overflow in the query (a 500).
@bp.route(f"/settings/members/<int(max={ID_MAX}):membership_id>/role", methods=["POST"])
@project_view(role="admin")
def change_role(member: Membership, membership_id: int):
    form = RoleForm()
    try:
        changed = members.change_role(member.project_id, current_user, membership_id, form.role.data)
    except ValidationError as exc:
        return _page(member, member_error=(membership_id, exc.detail), status=400)
    flash(f"{changed.user.email} is now {changed.role}.", "success")
    return redirect(url_for("settings.index", project_id=member.project_id) + "#members")


@bp.route(f"/settings/members/<int(max={ID_MAX}):membership_id>/remove", methods=["POST"])
@project_view(role="admin")
def remove(member: Membership, membership_id: int):
    own = membership_id == member.id
    project_id = member.project_id
    try:
        user = members.remove_member(project_id, current_user, membership_id)
    except ValidationError as exc:
        return _page(member, member_error=(membership_id, exc.detail), status=400)
    if own:
        flash("You left the project.", "success")
        return redirect(url_for("auth.index"))
    flash(f"Removed {user.email} from the project. Their account stays.", "success")
    return redirect(url_for("settings.index", project_id=project_id) + "#members")


@bp.route("/settings/api-keys", methods=["POST"])
@project_view(role="viewer")
def create_api_key(member: Membership):
    """Every member manages their own keys. The secret is shown on this answer only, never again."""
    form = ApiKeyForm()
    form.projects.choices = _project_choices()
    # Ids as typed: one that is not a number is passed on as it is, so the service refuses it by name
    # (rather than the key silently reaching every project).
    project_ids = [int(v) if v.strip().isdigit() else v for v in request.form.getlist("projects")]
    try:
        key, secret = accounts.create_api_key(current_user, form.scopes.data or [], form.label.data or "",
                                              project_ids or None)
    except ValidationError as exc:
        form.show_error(exc.attr, exc.detail)
        return _page(member, key_form=form, status=400)
    response = make_response(render_template("settings/api_key_created.html", key=key, secret=secret,
                                             project_names=dict(form.projects.choices)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/settings/api-keys/<key_id>/revoke", methods=["POST"])
@project_view(role="viewer")
def revoke_api_key(member: Membership, key_id: str):
    key_uuid = as_uuid(key_id)
    if key_uuid is None:
        abort(404)
    accounts.revoke_api_key(current_user, key_uuid)
    flash("API key revoked: it no longer works.", "success")
    return redirect(url_for("settings.index", project_id=member.project_id) + "#api-keys")


def _project_choices() -> dict[int, str]:
    return {project.id: project.name for project, _ in accounts.projects_of(current_user)}


def _page(member: Membership, *, project_form: ProjectForm | None = None, invite_form: InviteForm | None = None,
          key_form: ApiKeyForm | None = None, member_error: tuple[int, str] | None = None, status: int = 200):
    project = member.project
    project_form = project_form or ProjectForm(formdata=None, obj=project)
    invite_form = invite_form or InviteForm(formdata=None)
    invite_form.suggest_password()
    key_form = key_form or ApiKeyForm(formdata=None)
    key_form.projects.choices = _project_choices()
    host = request.url_root.rstrip("/")
    return render_template(
        "settings/index.html", member=member, project_form=project_form, invite_form=invite_form,
        key_form=key_form, role_form=RoleForm(formdata=None), member_error=member_error,
        members=members.list_members(project.id),
        keys=accounts.api_keys_of(current_user), project_names=key_form.projects.choices, host=host,
    ), status
