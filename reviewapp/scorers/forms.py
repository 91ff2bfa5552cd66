"""Scorer forms: name and description, the kind-specific config editor and the list filters.

The service checks every value (so the page refuses exactly what the API refuses); these forms only carry the
input, and `ConfigEditor` turns the editor's fields into the config the API takes, and a refusal back into a
message beside the field (or the option row) it is about, in the form's own words ("At least", not
`min_selections`)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField

from reviewapp.forms import ShowsServiceErrors
from reviewapp.services import scorer_config, scorers
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
}


# The API's words in a refusal, and what the form calls them. Field names become the labels the user sees.
API_PHRASES = (
    ("is only allowed when selection_mode is multiple", "applies to multiple choice only"),
    ("selection_mode", "Selection"),
    ("or null", "or blank"),
    ("must be a non-blank text when given", "cannot be only spaces (leave it empty for the default)"),
)


def in_form_words(detail: str, form: ConfigForm) -> str:
    """A service refusal as the editor would say it: each config field named by its label, quoted."""
    for phrase, words in API_PHRASES:
        detail = detail.replace(phrase, words)
    labels = {attr.removeprefix("config__"): getattr(form, name).label.text for attr, name in FIELD_FOR_ATTR.items()}
    # Longest names first, so min_selections is not read as min.
    pattern = re.compile(r"(?<![\w“])(" + "|".join(sorted(labels, key=len, reverse=True)) + r")(?![\w”])")
    text = pattern.sub(lambda m: f"“{labels[m.group(1)]}”", detail)
    return text[:1].upper() + text[1:]


@dataclass
class ConfigEditor:
    """A scorer's config as the editor shows it: the scalar fields of `form` plus the option rows."""

    kind: str
    form: ConfigForm
    rows: list[OptionRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # about the config as a whole (or the option list)
    # Position in `rows` of each option sent to the service, so a refusal of option i lands on its row.
    _sent_rows: list[int] = field(default_factory=list)

    @classmethod
    def from_config(cls, kind: str, form: ConfigForm, config: dict[str, Any] | None) -> ConfigEditor:
        """The editor opened on a saved config (or empty, for a new scorer)."""
        config = config or {}
        editor = cls(kind, form)
        if kind == "categorical":
            editor.rows = [OptionRow(o["label"], o["key"]) for o in config.get("options") or []]
            form.selection_mode.data = config.get("selection_mode") or "single"
            form.min_selections.data = _text(config.get("min_selections"))
            form.max_selections.data = _text(config.get("max_selections"))
            editor.rows += [OptionRow() for _ in range(BLANK_ROWS if editor.rows else ADD_ROWS)]
        elif kind == "numeric":
            form.min_value.data = _text(config.get("min"))
            form.max_value.data = _text(config.get("max"))
            form.step.data = _text(config.get("step"))
        else:
            form.true_label.data = config.get("true_label") or ""
            form.false_label.data = config.get("false_label") or ""
        return editor

    @classmethod
    def from_request(cls, kind: str, form: ConfigForm, formdata: MultiDict) -> ConfigEditor:
        """The editor as the user submitted it: the rows in page order (scripts may have moved them)."""
        editor = cls(kind, form)
        if kind == "categorical":
            labels, keys = formdata.getlist("option_label"), formdata.getlist("option_key")
            editor.rows = [OptionRow(label or "", key or "") for label, key in zip_longest(labels, keys)]
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
        """The config to send to the service. A row with a label and no key gets one made from its label
        (and shows it, so the user sees the key their scores will carry); fully blank rows are left out."""
        form = self.form
        if self.kind == "numeric":
            return {"min": _given(form.min_value.data), "max": _given(form.max_value.data),
                    "step": _given(form.step.data)}
        if self.kind == "boolean":
            return {"true_label": _given(form.true_label.data), "false_label": _given(form.false_label.data)}
        taken = {scorer_config.normalise_option_key(row.key) for row in self.rows if row.key.strip()}
        options, self._sent_rows = [], []
        for position, row in enumerate(self.rows):
            if row.blank:
                continue
            if not row.key.strip() and row.label.strip():
                row.key = scorer_config.suggest_option_key(row.label, taken)
                taken.add(row.key)
            options.append({"key": row.key, "label": row.label})
            self._sent_rows.append(position)
        return {
            "options": options,
            "selection_mode": form.selection_mode.data or "single",
            "min_selections": _given(form.min_selections.data),
            "max_selections": _given(form.max_selections.data),
        }

    def show_error(self, exc: ValidationError) -> bool:
        """Put a config refusal beside its field or row; False when it is not about the config."""
        attr = exc.attr or ""
        detail = in_form_words(exc.detail, self.form)
        if attr in FIELD_FOR_ATTR:
            target = getattr(self.form, FIELD_FOR_ATTR[attr])
            target.errors = list(target.errors) + [detail]
            return True
        index = getattr(exc, "index", None)
        if attr == "config__options" and index is not None and index < len(self._sent_rows):
            self.rows[self._sent_rows[index]].error = detail
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
        return bool(self.errors or any(row.error for row in self.rows)
                    or any(getattr(self.form, name).errors for name in FIELD_FOR_ATTR.values()))


def _given(raw: str | None) -> str | None:
    """A blank input means "not set" (null in the API); anything else goes to the service as typed."""
    return None if raw is None or raw == "" else raw


def _text(value: Any) -> str:
    return "" if value is None else str(value)
