"""The decision form: per scorer, take one judgment's value or enter one's own (an input of the scorer's kind, as
the review page draws it), and a note. It turns a submitted form into the score entries the adjudication service
validates; the service decides what a valid decision is."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from reviewapp.models import JudgmentScore
from reviewapp.review.panel import ScorerField, read_form, saved_values
from reviewapp.services.adjudication import Decision, ScorerRow
from reviewapp.services.scorer_config import format_decimal

OWN = "own"
CHOOSE = "Choose a value: take a judgment's, or enter your own."
OWN_EMPTY = "Enter your own value, or take a judgment's."


@dataclass
class ScorerChoice:
    """One scorer's row of the form: which value is taken (`choice`: "j1"… for a judgment's, "own", "" for none
    yet), the own-value input, and the refusal to show beside it."""

    row: ScorerRow
    own: ScorerField
    choice: str
    error: str | None = None

    @property
    def name(self) -> str:
        return f"choice-{self.row.definition.id}"

    def taken(self) -> JudgmentScore | None:
        """The judgment's score the choice takes (None: that judgment gave none)."""
        index = int(self.choice[1:]) - 1
        return self.row.scores[index]

    def entry(self) -> dict[str, Any] | None:
        """The score entry the choice stands for; None for no score."""
        if self.choice == OWN:
            return self.own.entry()
        score = self.taken()
        if score is None:
            return None
        entry: dict[str, Any] = {"definition_id": str(score.definition_id),
                                 "definition_version_id": str(score.definition_version_id)}
        if score.categorical_values is not None:
            entry["categorical_values"] = list(score.categorical_values)
        elif score.numeric_value is not None:
            entry["numeric_value"] = format_decimal(score.numeric_value)
        else:
            entry["boolean_value"] = score.boolean_value
        return entry


def choices(view: Decision) -> list[ScorerChoice]:
    """The form as it opens: where the judgments agree their value is taken; where they differ nothing is chosen
    yet. The own value starts from the first judgment's (when given under the scorer's current version)."""
    made = []
    for row in view.rows:
        version = row.definition.live()
        first = row.first_answer
        prefill = saved_values(first) if first is not None and first.definition_version_id == version.id else []
        made.append(ScorerChoice(row, ScorerField(row.definition, version, prefill), "" if row.differ else "j1"))
    return made


def read(fields: list[ScorerChoice], form: MultiDict, project_id: int) -> tuple[list[dict[str, Any]], bool]:
    """Fill the fields from the submitted form; the score entries chosen, and whether every scorer has a choice
    (the refusals are set beside the scorers that have none)."""
    read_form([f.own for f in fields], form, project_id)
    complete = True
    for f in fields:
        raw = form.get(f.name, "")
        valid = raw == OWN or (raw[:1] == "j" and raw[1:].isdigit() and 1 <= int(raw[1:]) <= len(f.row.scores))
        f.choice = raw if valid else ""
        if not f.choice:
            f.error = CHOOSE
        elif f.choice == OWN and not f.own.chosen:
            f.error = OWN_EMPTY
        complete = complete and f.error is None
    entries = [entry for entry in (f.entry() for f in fields if f.choice) if entry is not None]
    return entries, complete


def attach_error(fields: list[ScorerChoice], entries: list[dict[str, Any]], exc) -> bool:
    """Put a score refusal beside its scorer; False if it names none of them."""
    definition_id = getattr(exc, "definition_id", None)
    index = getattr(exc, "index", None)
    if definition_id is None and index is not None and 0 <= index < len(entries):
        definition_id = entries[index]["definition_id"]
    for f in fields:
        if definition_id is not None and str(f.row.definition.id) == str(definition_id):
            f.error = getattr(exc, "message", None) or exc.detail
            return True
    return False
