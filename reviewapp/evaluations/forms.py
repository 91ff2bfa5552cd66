"""The evaluation settings form: what PostHog keeps on an evaluation's config and not on its events (polarity,
passing rule) and the scorer its results are compared with. The service checks every value."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField

from reviewapp.forms import ShowsServiceErrors
from reviewapp.models import Evaluation
from reviewapp.services import evaluations

POLARITY = {"true_passes": "True passes", "true_fails": "True is a failure (a detector: true means the problem "
                                                         "was found)"}


class EvaluationSettingsForm(ShowsServiceErrors, FlaskForm):
    polarity = RadioField("A boolean result", choices=POLARITY, default="true_passes")
    operator = SelectField("A score passes", choices={"": "No numeric rule", "gte": "At or above",
                                                      "lte": "At or below"}, validate_choice=False)
    threshold = StringField("Threshold", render_kw={"inputmode": "decimal", "autocomplete": "off"})
    passing_labels = StringField("Passing labels", render_kw={"autocomplete": "off"},
                                 description="Comma-separated: the labels or categories that pass.")
    scorer = SelectField("Compare with scorer", choices={"": "No scorer"}, validate_choice=False)

    ERROR_FIELDS = {"operator": "operator", "threshold": "threshold", "passing_labels": "passing_labels",
                    "score_definition_id": "scorer"}
    ERROR_FIELD_DEFAULT = "operator"

    def fill(self, evaluation: Evaluation) -> None:
        rule = evaluation.passing_rule or {}
        self.polarity.data = "true_fails" if evaluation.true_is_failure else "true_passes"
        self.operator.data = rule.get("operator", "")
        threshold = rule.get("threshold")
        self.threshold.data = "" if threshold is None else f"{threshold:g}"
        self.passing_labels.data = ", ".join(rule.get("categories", []))
        self.scorer.data = str(evaluation.score_definition_id or "")

    def settings(self) -> evaluations.Settings:
        labels = self.passing_labels.data
        return evaluations.Settings(
            true_is_failure=self.polarity.data == "true_fails",
            operator=self.operator.data or None,
            threshold=(self.threshold.data or "").strip() or None,
            passing_labels=[label for label in labels.split(",")] if labels and labels.strip() else None,
            score_definition_id=self.scorer.data or None,
        )
