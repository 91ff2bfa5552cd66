"""Scorer configs checked and normalised by the rules of their kind, and the exact decimals configs and scores share."""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from reviewapp.models import KINDS
from reviewapp.services.errors import ValidationError, required

LABEL_MAX = 256
OPTION_KEY_MAX = 128
OPTIONS_MAX = 100
# Scores are stored as NUMERIC(24, 6): numbers in configs and values must fit that.
DECIMAL_PLACES = 6
NUMBER_LIMIT = Decimal(10) ** 18
OPTION_KEY_RE = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")
WHOLE_NUMBER_RE = re.compile(r"^[0-9]{1,9}$")
SELECTION_MODES = ("single", "multiple")

CONFIG_KEYS = {
    "categorical": ("options", "selection_mode", "min_selections", "max_selections"),
    "numeric": ("min", "max", "step"),
    "boolean": ("true_label", "false_label"),
}


class ConfigError(ValidationError):
    """A refused scorer config. `index` is the option row at fault (0-based), when there is one, so an editor
    can show the message beside that row; the API answers only with detail and attr."""

    def __init__(self, detail: str, attr: str = "config", code: str = "invalid_input", index: int | None = None):
        super().__init__(detail, attr, code)
        self.index = index


def shown(raw: Any, limit: int = 60) -> str:
    """A caller's value quoted in a message, cut short so a huge input does not make a huge answer."""
    text = str(raw)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def validate_kind(raw: Any) -> str:
    if raw is None or raw == "":
        raise required("kind")
    if not isinstance(raw, str) or raw not in KINDS:
        raise ValidationError(f"“{shown(raw)}” is not a valid choice. Choose one of: {', '.join(KINDS)}.", "kind",
                              "invalid_choice")
    return raw


def validate_config(kind: str, config: Any) -> dict[str, Any]:
    """The config checked against the rules of `kind`, in its normalised form (every key present, option keys
    trimmed and lower-cased, numbers as JSON numbers). Raises ConfigError naming the field at fault."""
    if config is None:
        raise ConfigError("This field is required.", "config", "required")
    if not isinstance(config, dict):
        raise ConfigError("Expected an object with the scorer's settings.")
    allowed = CONFIG_KEYS[kind]
    unknown = sorted(shown(key) for key in config if key not in allowed)[:10]
    if unknown:
        raise ConfigError(f"Unsupported config keys for a {kind} scorer: {', '.join(unknown)}. "
                          f"Allowed keys: {', '.join(allowed)}.")
    if kind == "categorical":
        return _categorical_config(config)
    if kind == "numeric":
        return _numeric_config(config)
    return _boolean_config(config)


def normalise_option_key(raw: str) -> str:
    return raw.strip().lower()


def suggest_option_key(label: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A valid option key derived from a label ("Very good!" → "very_good"), unique among `taken`."""
    base = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")[:OPTION_KEY_MAX] or "option"
    key, n = base, 2
    while key in taken:
        suffix = f"_{n}"
        key = base[:OPTION_KEY_MAX - len(suffix)] + suffix
        n += 1
    return key


def _categorical_config(config: dict[str, Any]) -> dict[str, Any]:
    options = _options(config.get("options"))

    mode = config.get("selection_mode")
    if mode is None or mode == "":
        mode = "single"
    if mode not in SELECTION_MODES:
        raise ConfigError(f"“{shown(mode)}” is not a valid selection mode. Choose single or multiple.",
                          "config__selection_mode", "invalid_choice")

    bounds: dict[str, int | None] = {}
    for name in ("min_selections", "max_selections"):
        value = _whole_number(config.get(name), f"config__{name}")
        if value is not None and mode != "multiple":
            raise ConfigError(f"{name} is only allowed when selection_mode is multiple.", f"config__{name}")
        if value is not None and value > len(options):
            raise ConfigError(f"{name} cannot be more than the number of options ({len(options)}).",
                              f"config__{name}")
        bounds[name] = value
    low, high = bounds["min_selections"], bounds["max_selections"]
    if low is not None and high is not None and low > high:
        raise ConfigError(f"min_selections ({low}) cannot be greater than max_selections ({high}).",
                          "config__min_selections")
    return {"options": options, "selection_mode": mode, "min_selections": low, "max_selections": high}


def _options(raw: Any) -> list[dict[str, str]]:
    attr = "config__options"
    if raw is None:
        raise ConfigError("This field is required.", attr, "required")
    if not isinstance(raw, list):
        raise ConfigError("Expected a list of options, each with a key and a label.", attr)
    if not raw:
        raise ConfigError("Add at least one option.", attr)
    if len(raw) > OPTIONS_MAX:
        raise ConfigError(f"A scorer can have at most {OPTIONS_MAX} options.", attr)
    options: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, option in enumerate(raw):
        options.append(_option(index, option, seen))
        seen.add(options[-1]["key"])
    return options


def _option(index: int, option: Any, seen: set[str]) -> dict[str, str]:
    """One checked option of a categorical scorer; `seen` holds the keys of the options before it."""
    attr = "config__options"
    where = f"Option {index + 1}"
    if not isinstance(option, dict):
        raise ConfigError(f"{where}: expected an object with a key and a label.", attr, index=index)
    unknown = sorted(shown(key) for key in option if key not in ("key", "label"))
    if unknown:
        raise ConfigError(f"{where}: unsupported keys {', '.join(unknown)}. Allowed keys: key, label.",
                          attr, index=index)
    key, label = option.get("key"), option.get("label")
    if not isinstance(key, str) or not key.strip():
        raise ConfigError(f"{where}: the key is required.", attr, index=index)
    key = normalise_option_key(key)
    if len(key) > OPTION_KEY_MAX:
        raise ConfigError(f"{where}: the key must be at most {OPTION_KEY_MAX} characters.", attr, index=index)
    if not OPTION_KEY_RE.match(key):
        raise ConfigError(f"{where}: the key “{shown(key)}” may only contain lowercase letters and digits, "
                          "separated by single - or _ (for example “very_good”).", attr, index=index)
    if key in seen:
        raise ConfigError(f"{where}: the key “{key}” is used by another option; keys must be unique.",
                          attr, index=index)
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"{where}: the label is required.", attr, index=index)
    label = label.strip()
    if len(label) > LABEL_MAX:
        raise ConfigError(f"{where}: the label must be at most {LABEL_MAX} characters.", attr, index=index)
    return {"key": key, "label": label}


def _numeric_config(config: dict[str, Any]) -> dict[str, Any]:
    low = to_decimal(config.get("min"), "config__min")
    high = to_decimal(config.get("max"), "config__max")
    step = to_decimal(config.get("step"), "config__step")
    if low is not None and high is not None and low > high:
        raise ConfigError(f"min ({format_decimal(low)}) cannot be greater than max ({format_decimal(high)}).",
                          "config__min")
    if step is not None and step <= 0:
        raise ConfigError("step must be greater than 0.", "config__step")
    return {"min": json_number(low), "max": json_number(high), "step": json_number(step)}


def _boolean_config(config: dict[str, Any]) -> dict[str, Any]:
    labels: dict[str, str | None] = {}
    for name in ("true_label", "false_label"):
        raw = config.get(name)
        if raw is None:
            labels[name] = None
            continue
        if not isinstance(raw, str) or not raw.strip():
            raise ConfigError(f"{name} must be a non-blank text when given.", f"config__{name}")
        if len(raw.strip()) > LABEL_MAX:
            raise ConfigError(f"{name} must be at most {LABEL_MAX} characters.", f"config__{name}")
        labels[name] = raw.strip()
    return labels


def _whole_number(raw: Any, attr: str) -> int | None:
    if raw is None or raw == "":
        return None
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and WHOLE_NUMBER_RE.match(raw.strip()):
        value = int(raw.strip())
    if value is None or value < 1:
        raise ConfigError("Must be a whole number of at least 1, or null.", attr)
    return value


def to_decimal(raw: Any, attr: str, *, error: type[ValidationError] = ConfigError) -> Decimal | None:
    """A JSON number (or numeric string) as an exact Decimal, via its shortest text so 0.3 stays 0.3."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise error("A valid number is required.", attr)
    if isinstance(raw, float) and not math.isfinite(raw):
        raise error("A valid number is required.", attr)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise error("A valid number is required.", attr) from None
    if not value.is_finite():
        raise error("A valid number is required.", attr)
    if abs(value) >= NUMBER_LIMIT:
        raise error("Ensure the number is smaller than 10^18 in size.", attr)
    exponent = value.normalize().as_tuple().exponent  # an int for every finite number
    if isinstance(exponent, int) and -exponent > DECIMAL_PLACES:
        raise error(f"Ensure that there are no more than {DECIMAL_PLACES} decimal places.", attr)
    return value


def format_decimal(value: Decimal) -> str:
    """Plain notation without trailing zeros: 4.50 → "4.5", 1E+1 → "10"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def json_number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(format_decimal(value))
