"""Settings forms. The services check the values, so these only carry the input (and the choices to offer)."""
from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, widgets

from reviewapp.forms import ShowsServiceErrors
from reviewapp.models import ROLES

ROLE_CHOICES = {"viewer": "Viewer: reads results", "reviewer": "Reviewer: also reviews traces",
                "admin": "Admin: everything"}
SCOPE_CHOICES = {
    "llm_analytics:read": "llm_analytics:read — list and read queues, scorers, reviews and traces",
    "llm_analytics:write": "llm_analytics:write — create and change them",
    "*": "* — every scope",
}
assert set(ROLE_CHOICES) == set(ROLES)


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ProjectForm(ShowsServiceErrors, FlaskForm):
    name = StringField("Project name", render_kw={"maxlength": 200})

    ERROR_FIELD_DEFAULT = "name"


class InviteForm(ShowsServiceErrors, FlaskForm):
    email = StringField("Email", render_kw={"type": "email", "autocomplete": "off"})
    role = SelectField("Role", choices=ROLE_CHOICES, default="reviewer", validate_choice=False)
    password = StringField("Temporary password", render_kw={"autocomplete": "new-password"},
                           description="Only for a new account: tell it to the person, who changes it after "
                                       "signing in. Someone who already has an account is just added.")
    first_name = StringField("First name", render_kw={"autocomplete": "off"})
    last_name = StringField("Last name", render_kw={"autocomplete": "off"})

    def suggest_password(self) -> None:
        if not self.password.data:
            self.password.data = secrets.token_urlsafe(12)

    ERROR_FIELDS = {name: name for name in ("email", "role", "password", "first_name", "last_name")}
    ERROR_FIELD_DEFAULT = "email"


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=False)


class ApiKeyForm(ShowsServiceErrors, FlaskForm):
    label = StringField("Label", render_kw={"maxlength": 100, "placeholder": "e.g. Export script"},
                        description="To recognise the key later.")
    scopes = CheckboxesField("Scopes", choices=SCOPE_CHOICES, default=["llm_analytics:read"],
                             validate_choice=False)
    projects = CheckboxesField("Limit to projects", coerce=int, validate_choice=False,
                               description="None ticked: every project you are a member of, now and later.")

    ERROR_FIELDS = {"scopes": "scopes", "project": "projects", "label": "label"}
    ERROR_FIELD_DEFAULT = "label"
