"""Pass/fail: whether a score passes its scorer version's passing rule, as PostHog's offline-result tags decide it.

- boolean: always decided; a value passes when it differs from `true_is_failure` (absent or null means false, so
  true passes);
- numeric: decided only with a `passing_rule` {operator: gte|lte, threshold}; otherwise neutral (None);
- categorical: decided only with `passing_rule.categories`; a selection passes when every chosen key is a passing
  category (an empty selection passes only when the category list is empty).

The verdict is worked out once, when the score is written (the version it pins never changes), and stored on the
score, so lists filter and count it in SQL."""
from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

OPERATORS = {"gte": "≥", "lte": "≤"}


def numeric_rule(config: dict[str, Any]) -> tuple[str, float] | None:
    """The numeric rule as (operator, threshold), or None when the config has no usable one."""
    rule = config.get("passing_rule")
    if not isinstance(rule, dict):
        return None
    operator, threshold = rule.get("operator"), rule.get("threshold")
    if operator not in OPERATORS or isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        return None
    try:
        finite = math.isfinite(threshold)
    except OverflowError:  # an integer too large for a float
        return None
    return (operator, float(threshold)) if finite else None


def passing_categories(config: dict[str, Any]) -> list[str] | None:
    """The categorical rule's passing option keys, or None when the config has no rule."""
    rule = config.get("passing_rule")
    if not isinstance(rule, dict) or not isinstance(rule.get("categories"), list):
        return None
    return [key for key in rule["categories"] if isinstance(key, str)]


def true_is_failure(config: dict[str, Any]) -> bool:
    return config.get("true_is_failure") is True


def has_rule(kind: str, config: dict[str, Any]) -> bool:
    """Whether scores of this version get a pass/fail verdict at all (booleans always do)."""
    if kind == "boolean":
        return True
    if kind == "numeric":
        return numeric_rule(config) is not None
    return passing_categories(config) is not None


def verdict(kind: str, config: dict[str, Any], *, categorical_values: Sequence[str] | None = None,
            numeric_value: Decimal | float | None = None, boolean_value: bool | None = None) -> bool | None:
    """True (passes), False (fails) or None (neutral: no rule, or no value of the scorer's kind)."""
    if kind == "boolean":
        return None if boolean_value is None else boolean_value != true_is_failure(config)
    if kind == "numeric":
        rule = numeric_rule(config)
        if rule is None or numeric_value is None:
            return None
        operator, threshold = rule
        value = float(numeric_value)
        return value >= threshold if operator == "gte" else value <= threshold
    categories = passing_categories(config)
    if categories is None or categorical_values is None:
        return None
    if not categorical_values:  # an empty selection passes only when the category list is empty too
        return not categories
    return all(key in categories for key in categorical_values)


def describe(kind: str, config: dict[str, Any]) -> str | None:
    """The rule in a few words, as the editor, the scorers list and the review page show it ("≥ 4 passes",
    "No means pass", "Good and Great pass"); None when scores stay neutral."""
    if kind == "boolean":
        if true_is_failure(config):
            return f"{config.get('false_label') or 'No'} means pass"
        return f"{config.get('true_label') or 'Yes'} means pass"
    if kind == "numeric":
        rule = numeric_rule(config)
        if rule is None:
            return None
        operator, threshold = rule
        shown = int(threshold) if threshold.is_integer() else threshold
        return f"{OPERATORS[operator]} {shown} passes"
    categories = passing_categories(config)
    if categories is None:
        return None
    if not categories:
        return "Every answer fails"
    labels = {option.get("key"): option.get("label") for option in config.get("options", [])
              if isinstance(option, dict)}
    # In the scorer's own option order, by label.
    order = [option.get("key") for option in config.get("options", []) if isinstance(option, dict)]
    names = [str(labels.get(key) or key) for key in sorted(categories, key=lambda k: order.index(k)
                                                           if k in order else len(order))]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{joined} {'passes' if len(names) == 1 else 'pass'}"
