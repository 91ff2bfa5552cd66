"""The "Add to queue" form of the traces list: which traces (the ticked ones or every one matching the list's
filter), and which queue (an existing one, or a new one named on the spot)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField

from reviewapp.forms import ShowsServiceErrors
from reviewapp.services.curation import TraceFilters

SCOPES = {"selected": "Selected traces", "matching": "Every trace matching the filter"}


class AddToQueueForm(ShowsServiceErrors, FlaskForm):
    scope = RadioField("Traces", choices=SCOPES, default="selected", validate_choice=False)
    trace_ids = SelectMultipleField("Traces", choices=[], validate_choice=False)
    queue_id = SelectField("Queue", choices=[], validate_choice=False)
    new_queue_name = StringField("New queue", render_kw={"maxlength": 255, "placeholder": "New queue name"})
    # The traces list's filter, carried along for "every trace matching the filter".
    filter_search = HiddenField()
    filter_model = HiddenField()
    filter_date_from = HiddenField()
    filter_date_to = HiddenField()
    filter_errors_only = BooleanField()
    filter_review_state = HiddenField()

    def filters(self) -> TraceFilters | None:
        if self.scope.data != "matching":
            return None
        return TraceFilters(
            search=(self.filter_search.data or "").strip() or None, model=self.filter_model.data or None,
            date_from=self.filter_date_from.data or None, date_to=self.filter_date_to.data or None,
            errors_only=bool(self.filter_errors_only.data), review_state=self.filter_review_state.data or None)

    ERROR_FIELDS = {"name": "new_queue_name", "queue_id": "queue_id", "trace_ids": "trace_ids"}
    ERROR_FIELD_DEFAULT = "trace_ids"
