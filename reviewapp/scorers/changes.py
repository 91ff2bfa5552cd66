"""What changed between two versions of a scorer's config, in words an admin reads at a glance."""
from __future__ import annotations

from typing import Any


def config_changes(kind: str, old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """The differences from `old` to `new` (both normalised configs of `kind`), one sentence each.
    `old` is None for a first version."""
    if old is None:
        return ["First version."]
    if kind == "categorical":
        changes = _option_changes(old.get("options") or [], new.get("options") or [])
        changes += _setting_changes(old, new, {"selection_mode": "Selection", "min_selections": "At least",
                                               "max_selections": "At most"})
    elif kind == "numeric":
        changes = _setting_changes(old, new, {"min": "Minimum", "max": "Maximum", "step": "Step"})
    else:
        changes = _setting_changes(old, new, {"true_label": "Label for yes", "false_label": "Label for no"})
    return changes or ["No change to the settings."]


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
    return str(value)
