"""What changed between two versions of a scorer's config, in words an admin reads at a glance."""
from __future__ import annotations

from typing import Any

from reviewapp.services import passing
from reviewapp.services.scorer_config import with_defaults

NO_RULE = "none (neutral)"


def config_changes(kind: str, old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """The differences from `old` to `new` (both stored configs of `kind`, read with their defaults), one sentence
    each. `old` is None for a first version."""
    if old is None:
        return ["First version."]
    old_full, new_full = with_defaults(kind, old), with_defaults(kind, new)
    if kind == "categorical":
        changes = _option_changes(old_full["options"], new_full["options"])
        changes += _setting_changes(old_full, new_full, {"selection_mode": "Selection", "min_selections": "At least",
                                                         "max_selections": "At most"})
    elif kind == "numeric":
        changes = _setting_changes(old_full, new_full, {"min": "Minimum", "max": "Maximum", "step": "Step"})
    else:
        changes = _setting_changes(old_full, new_full, {"true_label": "Label for yes", "false_label": "Label for no"})
    changes += _rule_change(kind, old, new)
    return changes or ["No change to the settings."]


def _rule_change(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """"Passing rule: ≥ 3 passes → ≥ 4 passes." when the rule itself changed (a relabelled option or boolean
    answer changes its wording, not the rule)."""
    rule = {"numeric": passing.numeric_rule, "boolean": passing.true_is_failure,
            "categorical": passing.passing_categories}[kind]
    if rule(old) == rule(new):  # categories are stored sorted, so equal rules compare equal
        return []
    before, after = passing.describe(kind, old) or NO_RULE, passing.describe(kind, new) or NO_RULE
    return [f"Passing rule: {before} → {after}."]


def _option_changes(old: list[dict[str, str]], new: list[dict[str, str]]) -> list[str]:
    old_labels = {o["key"]: o["label"] for o in old}
    new_labels = {o["key"]: o["label"] for o in new}
    changes = [f"Added option “{o['label']}” ({o['key']})." for o in new if o["key"] not in old_labels]
    changes += [f"Removed option “{o['label']}” ({o['key']})." for o in old if o["key"] not in new_labels]
    changes += [f"Relabelled {o['key']}: “{old_labels[o['key']]}” → “{o['label']}”."
                for o in new if o["key"] in old_labels and old_labels[o["key"]] != o["label"]]
    kept_old = [o["key"] for o in old if o["key"] in new_labels]
    kept_new = [o["key"] for o in new if o["key"] in old_labels]
    if kept_old != kept_new:
        changes.append("Reordered options: " + ", ".join(kept_new) + ".")
    return changes


def _setting_changes(old: dict[str, Any], new: dict[str, Any], names: dict[str, str]) -> list[str]:
    return [f"{label}: {_shown(old.get(key))} → {_shown(new.get(key))}."
            for key, label in names.items() if old.get(key) != new.get(key)]


def _shown(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
