"""The traces list's filter form: a GET form, so no CSRF token; the service checks the values."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from reviewapp.forms import ShowsServiceErrors

REVIEW_STATE_CHOICES = {
    "": "Any review state",
    "not_queued": "Not queued",
    "pending": "Pending in a queue",
    "reviewed": "Reviewed",
}


class TraceFilterForm(ShowsServiceErrors, FlaskForm):
    class Meta:
        csrf = False  # it only reads

    search = StringField("Search", validators=[Optional(), Length(max=200)],
                         render_kw={"type": "search", "placeholder": "Trace id, name, input, output, user"})
    model = SelectField("Model", choices={"": "Any model"}, validate_choice=False)
    date_from = StringField("From", render_kw={"type": "date"})
    date_to = StringField("To", render_kw={"type": "date"})
    errors_only = BooleanField("Errors only")
    evaluation_failed = BooleanField("Evaluation failed")
    review_state = SelectField("Review state", choices=REVIEW_STATE_CHOICES, validate_choice=False)
    order = HiddenField()

    # The service names its refusals by these attributes; each maps to the field it is shown beside.
    ERROR_FIELDS = {"search": "search", "model": "model", "date_from": "date_from", "date_to": "date_to",
                    "review_state": "review_state", "order_by": "search"}
    ERROR_FIELD_DEFAULT = "search"
