"""Forms of the queue pages. The services check every value; these only carry them (and the CSRF token)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from reviewapp.forms import ShowsServiceErrors
from reviewapp.services.scorer_config import format_decimal


class QueueForm(ShowsServiceErrors, FlaskForm):
    name = StringField("Name", render_kw={"maxlength": 255, "placeholder": "e.g. Support answers, week 12"})
    description = TextAreaField("Instructions for reviewers", render_kw={"rows": 3})
    scorer_ids = SelectMultipleField(
        "Scorers", choices=[], validate_choice=False,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )
    required = RadioField("Required before saving", default="all", validate_choice=False, choices={
        "all": "Every scorer of the queue", "some": "Only the scorers ticked here"})
    required_scorer_ids = SelectMultipleField(
        "Required scorers", choices=[], validate_choice=False,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )

    reviews_per_trace = StringField("Reviewers per trace", default="1",
                                    render_kw={"type": "number", "min": 1, "max": 10, "inputmode": "numeric"})
    blind = BooleanField("Blind review")
    numeric_tolerance = StringField("Numeric tolerance", render_kw={"inputmode": "decimal", "placeholder": "e.g. 0.5"})
    assignee_ids = SelectMultipleField(
        "Assignees", choices=[], validate_choice=False,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )

    def settings(self) -> dict:
        """The review settings as the service reads them (it checks each one)."""
        return {"reviews_per_trace": (self.reviews_per_trace.data or "").strip(),
                "blind": bool(self.blind.data),
                "numeric_tolerance": (self.numeric_tolerance.data or "").strip() or None,
                "assignee_ids": list(self.assignee_ids.data or [])}

    def show_settings(self, queue) -> None:
        self.reviews_per_trace.data = str(queue.reviews_per_trace)
        self.blind.data = queue.blind
        self.numeric_tolerance.data = "" if queue.numeric_tolerance is None else format_decimal(queue.numeric_tolerance)
        self.assignee_ids.data = [str(a.user_id) for a in queue.assignees]

    def required_ids(self) -> list[str] | None:
        """What the service stores: None for every scorer of the queue, else the ticked ones (maybe none)."""
        return None if self.required.data != "some" else list(self.required_scorer_ids.data or [])

    def show_required(self, required_ids: list[str] | None) -> None:
        self.required.data = "all" if required_ids is None else "some"
        self.required_scorer_ids.data = list(required_ids or [])

    ERROR_FIELDS = {"name": "name", "description": "description", "scorer_ids": "scorer_ids",
                    "required_scorer_ids": "required_scorer_ids", "reviews_per_trace": "reviews_per_trace",
                    "blind": "blind", "numeric_tolerance": "numeric_tolerance", "assignee_ids": "assignee_ids"}
    ERROR_FIELD_DEFAULT = "name"


class ConfirmForm(FlaskForm):
    """A one-button action that asks first: without `confirmed=yes` the page asks for confirmation."""

    confirmed = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "yes"


class MoveItemForm(FlaskForm):
    queue_id = SelectField("Move to", choices=[], validate_choice=False)
