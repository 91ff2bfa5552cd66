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


class RuleForm(FlaskForm):
    """A queue rule as the queue's page writes it: each filled-in condition must hold (the API takes any list)."""

    name = StringField("Rule name", render_kw={"maxlength": 255, "placeholder": "e.g. Judge failed"})
    evaluation = SelectField("Evaluation", choices=[], validate_choice=False)
    outcome = SelectField("Outcome", default="fail", validate_choice=False, choices={
        "fail": "failed", "pass": "passed", "na": "not applicable", "skipped": "skipped", "unknown": "unknown"})
    error = SelectField("Errors", validate_choice=False, choices={
        "": "Any", "true": "Only traces with an error", "false": "Only traces without errors"})
    model = StringField("Model", render_kw={"placeholder": "exact name, e.g. gpt-4o-mini"})
    provider = StringField("Provider", render_kw={"placeholder": "e.g. openai"})
    min_cost = StringField("Cost at least (USD)", render_kw={"inputmode": "decimal"})
    min_latency = StringField("Latency at least (s)", render_kw={"inputmode": "decimal"})
    min_tokens = StringField("Tokens at least", render_kw={"inputmode": "numeric"})
    text = StringField("Mentions", render_kw={"placeholder": "text in the name, input or output"})
    user = StringField("User (distinct id)")
    session = StringField("Session id")
    property_key = StringField("Property", render_kw={"placeholder": "e.g. plan"})
    property_value = StringField("Property value", render_kw={"placeholder": "e.g. enterprise"})
    sample_percent = StringField("Share of matches to add (%)", default="100",
                                 render_kw={"inputmode": "decimal", "placeholder": "100"})
    daily_cap = StringField("At most per day", render_kw={"inputmode": "numeric", "placeholder": "no cap"})

    TEXT_CONDITIONS = (("model", "model"), ("provider", "provider"), ("text", "text"), ("user", "user"),
                       ("session", "session"))
    NUMBER_CONDITIONS = (("min_cost", "cost"), ("min_latency", "latency"), ("min_tokens", "total_tokens"))

    def conditions(self) -> list[tuple[str, dict]]:
        """The filled-in conditions, each with the form field it came from."""
        found: list[tuple[str, dict]] = []
        if self.evaluation.data:
            found.append(("evaluation", {"field": "evaluation", "key": self.evaluation.data,
                                         "value": self.outcome.data or "fail"}))
        if self.error.data in ("true", "false"):
            found.append(("error", {"field": "error", "value": self.error.data == "true"}))
        for name, condition in self.TEXT_CONDITIONS + self.NUMBER_CONDITIONS:
            value = (getattr(self, name).data or "").strip()
            if value:
                found.append((name, {"field": condition, "op": "gte", "value": value}
                              if name.startswith("min_") else {"field": condition, "value": value}))
        key, value = (self.property_key.data or "").strip(), (self.property_value.data or "").strip()
        if key or value:
            found.append(("property_key" if not key else "property_value",
                          {"field": "property", "key": key, "value": value}))
        return found

    def data_for_service(self) -> dict:
        return {"name": self.name.data or "", "conditions": [c for _, c in self.conditions()],
                "sample_percent": (self.sample_percent.data or "").strip() or None,
                "daily_cap": (self.daily_cap.data or "").strip() or None}

    def show_error(self, attr: str | None, detail: str) -> None:
        """A service refusal beside its field: a condition's beside the field that made it."""
        name = attr if attr in ("name", "sample_percent", "daily_cap") else "name"
        if attr and attr.startswith("conditions["):
            index = int(attr[len("conditions["):-1])
            fields = [field for field, _ in self.conditions()]
            name = fields[index] if index < len(fields) else "name"
        field = getattr(self, name)
        field.errors = list(field.errors) + [detail]
