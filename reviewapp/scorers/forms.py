"""Scorer forms: name and description, the kind-specific config editor and the list filters.

The service checks every value (so the page refuses exactly what the API refuses); these forms only carry the
input, and `ConfigEditor` turns the editor's fields into the config the API takes (only the settings given: configs
are stored as sent), and a refusal back into a message beside the field (or the option row) it is about, in the
form's own words ("At least", not `min_selections`)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField

from reviewapp.forms import ShowsServiceErrors
from reviewapp.services import passing, scorer_config, scorers
from reviewapp.services.errors import ValidationError

BLANK_ROWS = 2  # empty option rows offered below the filled ones; "Add rows" adds more
ADD_ROWS = 3
NUMBER = {"type": "number", "step": "any", "inputmode": "decimal"}
WHOLE = {"type": "number", "min": "1", "step": "1", "inputmode": "numeric"}

KIND_LABELS = {"categorical": "Categorical", "numeric": "Numeric", "boolean": "Boolean"}
KIND_HELP = {
    "categorical": "Reviewers pick one option, or several, from a list you define.",
    "numeric": "Reviewers enter a number, optionally within a range and on a step grid.",
    "boolean": "Reviewers answer yes or no, with labels you choose.",
}


class DetailsForm(ShowsServiceErrors, FlaskForm):
    name = StringField("Name", render_kw={"maxlength": scorers.NAME_MAX, "autocomplete": "off"})
    description = TextAreaField("Description", render_kw={"rows": 3},
                                description="Shown to reviewers next to the scorer.")

    ERROR_FIELDS = {"name": "name", "description": "description"}  # anything else is the config editor's


class ConfigForm(FlaskForm):
    """The scalar settings of a config; option rows are read by `ConfigEditor` (their number varies)."""

    selection_mode = RadioField("Selection", choices={"single": "Single choice: exactly one option",
                                                       "multiple": "Multiple choice: one or more options"},
                                default="single", validate_choice=False)
    min_selections = StringField("At least", render_kw=WHOLE,
                                 description="Fewest options a reviewer must pick (blank: 1).")
    max_selections = StringField("At most", render_kw=WHOLE,
                                 description="Most options a reviewer may pick (blank: no limit).")
    min_value = StringField("Minimum", render_kw=NUMBER, description="Blank: no lower bound.")
    max_value = StringField("Maximum", render_kw=NUMBER, description="Blank: no upper bound.")
    step = StringField("Step", render_kw=NUMBER, description="Values must sit on this grid, counted from the "
                                                              "minimum (or 0). Blank: any value.")
    true_label = StringField("Label for yes", render_kw={"maxlength": scorer_config.LABEL_MAX, "placeholder": "Yes"})
    false_label = StringField("Label for no", render_kw={"maxlength": scorer_config.LABEL_MAX, "placeholder": "No"})
    # The passing rule: numeric scorers may have one; a boolean one always does (saved explicitly).
    rule_operator = RadioField("Passing rule", choices={"": "No passing rule", "gte": "Passes at or above",
                                                        "lte": "Passes at or below"},
                               default="", validate_choice=False)
    threshold = StringField("Threshold", render_kw=NUMBER)
    true_is_failure = RadioField("Passing rule", choices={"false": "Yes means pass", "true": "No means pass"},
                                 default="false", validate_choice=False)
    base_version = HiddenField()


class NewScorerForm(DetailsForm, ConfigForm):
    kind = HiddenField()


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only reads

    search = StringField("Search", render_kw={"type": "search", "placeholder": "Name or description"})
    kind = SelectField("Kind", choices={"": "Any kind", **KIND_LABELS}, validate_choice=False)
    archived = SelectField("Status", choices={"false": "Active", "true": "Archived", "all": "All"},
                           default="false", validate_choice=False)
    order = HiddenField()


# --- the config editor -------------------------------------------------------------------------------

@dataclass
class OptionRow:
    label: str = ""
    key: str = ""
    passes: bool = False  # ticked as a passing answer (categorical passing rule)
    error: str | None = None

    @property
    def blank(self) -> bool:
        return not self.label.strip() and not self.key.strip()


# Which editor field each of the service's config attrs belongs to.
FIELD_FOR_ATTR = {
    "config__selection_mode": "selection_mode",
    "config__min_selections": "min_selections",
    "config__max_selections": "max_selections",
    "config__min": "min_value",
    "config__max": "max_value",
    "config__step": "step",
    "config__true_label": "true_label",
    "config__false_label": "false_label",
    "config__true_is_failure": "true_is_failure",
    "config__passing_rule__operator": "rule_operator",
    "config__passing_rule__threshold": "threshold",
}
RULE_ATTR = "config__passing_rule"  # the rule as a whole: beside the threshold, or the passing checkboxes

# The API keeps PostHog's words; the editor says the same thing for people, in the names its fields carry.
FORM_MESSAGES = {
    "Provide at least one categorical option.": "Add at least one option.",
    "Categorical option keys must be unique.": "This key is used by another option; keys must be unique.",
    "`key` must use lowercase letters, numbers, underscores, or hyphens.":
        "The key may only contain lowercase letters and digits, separated by single - or _ (for example "
        "“very_good”).",
    "This field may not be blank.": "Cannot be only spaces (leave it empty for the default).",
    "`min_selections` is only supported when `selection_mode` is `multiple`.":
        "“At least” applies to multiple choice only.",
    "`max_selections` is only supported when `selection_mode` is `multiple`.":
        "“At most” applies to multiple choice only.",
    "Ensure `min_selections` is less than or equal to the number of options.":
        "“At least” cannot be more than the number of options.",
    "Ensure `max_selections` is less than or equal to the number of options.":
        "“At most” cannot be more than the number of options.",
    "Ensure `max_selections` is greater than or equal to `min_selections`.":
        "“At most” cannot be less than “At least”.",
    "Ensure `max` is greater than or equal to `min`.": "“Maximum” cannot be less than “Minimum”.",
    "Ensure `step` is greater than 0.": "“Step” must be greater than 0.",
    "A valid number is required.": "Enter a number, or leave it blank.",
    "A valid integer is required.": "Enter a whole number, or leave it blank.",
    "Ensure this value is greater than or equal to 1.": "Enter a whole number of at least 1, or leave it blank.",
    "Provide a finite number.": "Enter the number the rule compares with.",
    "The passing threshold must be at least `min`.": "The threshold cannot be below the “Minimum”.",
    "The passing threshold must be at most `max`.": "The threshold cannot be above the “Maximum”.",
    "Choose at least one passing category.": "Tick at least one option that passes.",
    "Choose passing categories from the configured options.": "Only options in the list above can pass.",
    "Select each passing category only once.": "Each option can pass only once: two ticked options share a key.",
}
ROW_MESSAGES = {"This field may not be blank.": "Give this option a label."}


def in_form_words(detail: str, form: ConfigForm, row: bool = False) -> str:
    """A service refusal as the editor would say it; one it does not know keeps its words, with each config
    field named by its label."""
    if row and detail in ROW_MESSAGES:
        return ROW_MESSAGES[detail]
    if detail in FORM_MESSAGES:
        return FORM_MESSAGES[detail]
    labels = {attr.removeprefix("config__"): getattr(form, name).label.text for attr, name in FIELD_FOR_ATTR.items()
              if "__" not in attr.removeprefix("config__")}
    return re.sub(r"`(\w+)`", lambda m: f"“{labels.get(m.group(1), m.group(1))}”", detail)


@dataclass
class ConfigEditor:
    """A scorer's config as the editor shows it: the scalar fields of `form` plus the option rows."""

    kind: str
    form: ConfigForm
    rows: list[OptionRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # about the config as a whole (or the option list)
    rule_errors: list[str] = field(default_factory=list)  # about the categorical passing rule
    # A rule set through the API that fails every answer; the editor cannot tick "no option", so it says so.
    fails_everything: bool = False
    # Position in `rows` of each option sent to the service, so a refusal of option i lands on its row.
    _sent_rows: list[int] = field(default_factory=list)

    @classmethod
    def from_config(cls, kind: str, form: ConfigForm, config: dict[str, Any] | None) -> ConfigEditor:
        """The editor opened on a saved config (or empty, for a new scorer)."""
        config = config or {}
        editor = cls(kind, form)
        if kind == "categorical":
            passing_keys = passing.passing_categories(config)
            editor.fails_everything = passing_keys == []
            editor.rows = [OptionRow(o["label"], o["key"], o["key"] in (passing_keys or []))
                           for o in config.get("options") or []]
            form.selection_mode.data = config.get("selection_mode") or "single"
            form.min_selections.data = _text(config.get("min_selections"))
            form.max_selections.data = _text(config.get("max_selections"))
            editor.rows += [OptionRow() for _ in range(BLANK_ROWS if editor.rows else ADD_ROWS)]
        elif kind == "numeric":
            form.min_value.data = _text(config.get("min"))
            form.max_value.data = _text(config.get("max"))
            form.step.data = _text(config.get("step"))
            rule = passing.numeric_rule(config)
            form.rule_operator.data = rule[0] if rule else ""
            form.threshold.data = _text(rule[1]) if rule else ""
        else:
            form.true_label.data = config.get("true_label") or ""
            form.false_label.data = config.get("false_label") or ""
            form.true_is_failure.data = "true" if passing.true_is_failure(config) else "false"
        return editor

    @classmethod
    def from_request(cls, kind: str, form: ConfigForm, formdata: MultiDict) -> ConfigEditor:
        """The editor as the user submitted it: the rows in page order (scripts may have moved them)."""
        editor = cls(kind, form)
        if kind == "categorical":
            labels, keys = formdata.getlist("option_label"), formdata.getlist("option_key")
            ticked = set(formdata.getlist("option_passes"))
            editor.rows = [OptionRow(label or "", key or "", str(i) in ticked)
                           for i, (label, key) in enumerate(zip_longest(labels, keys))]
        return editor

    def apply_row_action(self, action: str) -> bool:
        """Add, remove or move a row without saving (the editor's buttons when scripts are off).
        Returns False for an action it does not know."""
        verb, _, index_text = action.partition("-")
        if verb == "add":
            self.rows += [OptionRow() for _ in range(ADD_ROWS)]
            return True
        if not index_text.isdigit() or int(index_text) >= len(self.rows):
            return False
        i = int(index_text)
        if verb == "remove":
            del self.rows[i]
            if not self.rows:
                self.rows.append(OptionRow())
        elif verb == "up" and i > 0:
            self.rows[i - 1], self.rows[i] = self.rows[i], self.rows[i - 1]
        elif verb == "down" and i < len(self.rows) - 1:
            self.rows[i + 1], self.rows[i] = self.rows[i], self.rows[i + 1]
        elif verb not in ("up", "down"):
            return False
        return True

    def config(self) -> dict[str, Any]:
        """The config to send to the service: the settings the user gave, blank fields left out. A row with a
        label and no key gets one made from its label (and shows it, so the user sees the key their scores will
        carry); fully blank rows are left out."""
        form = self.form
        if self.kind == "numeric":
            numeric: dict[str, Any] = _given_fields({"min": form.min_value.data, "max": form.max_value.data,
                                                     "step": form.step.data})
            if form.rule_operator.data:
                numeric["passing_rule"] = {"operator": form.rule_operator.data,
                                           "threshold": _number(form.threshold.data)}
            return numeric
        if self.kind == "boolean":
            return {"true_is_failure": form.true_is_failure.data == "true",
                    **_given_fields({"true_label": form.true_label.data, "false_label": form.false_label.data})}
        taken = {scorer_config.normalise_option_key(row.key) for row in self.rows if row.key.strip()}
        options, self._sent_rows, passing_keys = [], [], []
        for position, row in enumerate(self.rows):
            if row.blank:
                continue
            if not row.key.strip() and row.label.strip():
                row.key = scorer_config.suggest_option_key(row.label, taken)
                taken.add(row.key)
            options.append({"key": row.key, "label": row.label})
            self._sent_rows.append(position)
            if row.passes:
                passing_keys.append(scorer_config.normalise_option_key(row.key))
        config: dict[str, Any] = {"options": options, "selection_mode": form.selection_mode.data or "single",
                                  **_given_fields({"min_selections": form.min_selections.data,
                                                   "max_selections": form.max_selections.data})}
        if passing_keys:
            config["passing_rule"] = {"categories": passing_keys}
        return config

    @property
    def preview(self) -> str | None:
        """The rule in words as it stands in the form (services.passing.describe's wording); scripts keep it
        current as the user types."""
        form = self.form
        if self.kind == "numeric":
            threshold = _number(form.threshold.data)
            if not form.rule_operator.data or not isinstance(threshold, float):
                return None
            return passing.describe("numeric", {"passing_rule": {"operator": form.rule_operator.data,
                                                                 "threshold": threshold}})
        if self.kind == "boolean":
            return self.label_for(form.true_is_failure.data or "false")
        rows = [row for row in self.rows if not row.blank]
        if not any(row.passes for row in rows):
            return None
        options = [{"key": str(i), "label": row.label.strip() or row.key} for i, row in enumerate(rows)]
        return passing.describe("categorical", {"options": options, "passing_rule": {
            "categories": [str(i) for i, row in enumerate(rows) if row.passes]}})

    def label_for(self, true_is_failure: str) -> str:
        """A boolean rule ("true" or "false": whether true fails) in the scorer's own words: "Safe means pass"."""
        labels = {name: (getattr(self.form, name).data or "").strip() or None for name in ("true_label", "false_label")}
        return passing.describe("boolean", {"true_is_failure": true_is_failure == "true", **labels}) or ""

    def show_error(self, exc: ValidationError) -> bool:
        """Put a config refusal beside its field or row; False when it is not about the config."""
        attr = exc.attr or ""
        index = getattr(exc, "index", None)
        if attr == "config__options" and index is not None and index < len(self._sent_rows):
            self.rows[self._sent_rows[index]].error = in_form_words(exc.detail, self.form, row=True)
            return True
        detail = in_form_words(exc.detail, self.form)
        if attr.startswith(RULE_ATTR) and attr not in FIELD_FOR_ATTR:
            if self.kind == "numeric":
                attr = "config__passing_rule__threshold"
            else:
                self.rule_errors.append(detail)
                return True
        if attr in FIELD_FOR_ATTR:
            target = getattr(self.form, FIELD_FOR_ATTR[attr])
            target.errors = list(target.errors) + [detail]
            return True
        if attr.startswith("config") or attr == "base_version":
            self.errors.append(detail)
            return True
        return False

    def ensure_blank_rows(self) -> None:
        if self.kind == "categorical" and not any(row.blank for row in self.rows[-BLANK_ROWS:]):
            self.rows += [OptionRow() for _ in range(BLANK_ROWS)]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.rule_errors or any(row.error for row in self.rows)
                    or any(getattr(self.form, name).errors for name in FIELD_FOR_ATTR.values()))


def _given_fields(fields: dict[str, str | None]) -> dict[str, str]:
    """The fields the user filled in, as typed: a blank one is "not set", left out of the config."""
    return {name: raw for name, raw in fields.items() if raw is not None and raw != ""}


def _number(raw: str | None) -> float | str | None:
    """A threshold as the JSON number the API takes; text that is not a finite number goes as typed, for the
    service to refuse."""
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        return raw
    return value if math.isfinite(value) else raw


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 4.0 is shown as 4, as the user typed it
    return str(value)
