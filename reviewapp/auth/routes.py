from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from reviewapp.auth import bp, session
from reviewapp.auth.forms import EmptyForm, LoginForm, PasswordChangeForm
from reviewapp.services import accounts
from reviewapp.services.errors import ValidationError
from reviewapp.services.sign_in import Throttled
from reviewapp.web import is_safe_next


def _home():
    projects = accounts.projects_of(current_user)
    if projects:
        return url_for("queues.index", project_id=projects[0][0].id)
    return url_for("auth.no_project")


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(_home())


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next")
    if current_user.is_authenticated:
        return redirect(next_url if is_safe_next(next_url) else _home())
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = session.authenticate(form.email.data, form.password.data)
        except Throttled as exc:
            form.password.errors.append(exc.detail)
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        else:
            if user is not None:
                session.begin(user)
                return redirect(next_url if is_safe_next(next_url) else _home())
            form.password.errors.append("Email or password is not correct.")
    if status == 200 and request.method == "POST" and form.errors:
        status = 400
    no_users = not accounts.any_user_exists()
    return render_template("auth/login.html", form=form, next=next_url if is_safe_next(next_url) else None,
                           no_users=no_users), status, headers


@bp.route("/logout", methods=["POST"])
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        session.end()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data,
                                     keep_session=session.current_token())
        except ValidationError as exc:
            getattr(form, exc.attr or "current_password").errors.append(exc.detail)
        else:
            flash("Your password is changed. Other sessions are signed out.", "success")
            return redirect(_home())
    return render_template("auth/password.html", form=form), 200 if not form.errors else 400


@bp.route("/account/auto-advance", methods=["POST"])
@login_required
def auto_advance():
    """Turn moving on to the next scorer after a pick on or off (the review page's shortcut sheet), then go back."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    accounts.set_auto_advance(current_user, request.form.get("auto_advance") == "on")
    flash("Picking an answer now moves on to the next scorer." if current_user.auto_advance
          else "Picking an answer now stays on the scorer.", "success")
    next_url = request.form.get("next")
    return redirect(next_url if is_safe_next(next_url) else _home())


@bp.route("/no-project")
@login_required
def no_project():
    return render_template("auth/no_project.html")


@bp.route("/switch-project")
@login_required
def switch_project():
    """The project switcher: go to the chosen project's home (a 404 if you are not in it)."""
    project_id = request.args.get("project_id", type=int)
    if project_id is None or accounts.membership_for(current_user.id, project_id) is None:
        abort(404)
    return redirect(url_for("queues.index", project_id=project_id))
