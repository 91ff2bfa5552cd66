"""Scorer configs checked by the rules of their kind, exactly as PostHog's config serializers check them, and the
exact decimals configs and scores share.

A config is stored as sent: only the keys the client sent, explicit nulls kept, no defaults filled in. What does
change: option keys are trimmed and lower-cased, labels and passing categories trimmed, categories sorted, numbers
made floats (selection bounds ints), booleans parsed leniently, unknown keys inside an option dropped. Readers
treat a missing key as its default (`with_defaults`). The first refusal is the one PostHog would report: fields in
the serializer's order, then the checks across fields."""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from reviewapp.models import KINDS
from reviewapp.services.errors import ValidationError, required

LABEL_MAX = 256
OPTION_KEY_MAX = 128
OPTIONS_MAX = 100
# Scores are stored as NUMERIC(24, 6): numbers in configs and values must fit that (our limit, not PostHog's).
DECIMAL_PLACES = 6
NUMBER_LIMIT = Decimal(10) ** 18
OPTION_KEY_RE = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")
WHOLE_NUMBER_RE = re.compile(r"^[0-9]{1,9}$")
SELECTION_MODES = ("single", "multiple")
OPERATORS = ("gte", "lte")
MAX_STRING_LENGTH = 1000  # DRF's guard on numbers sent as text
TRAILING_ZEROS = re.compile(r"\.0*\s*$")  # DRF's IntegerField reads "3.0" as 3
# DRF's BooleanField values (True, False and 0.0 are in these sets too: they hash as 1 and 0).
TRUE_VALUES = {"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1", 1}
FALSE_VALUES = {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0", 0}
NULL_VALUES = {"null", "Null", "NULL", "", None}

CONFIG_KEYS = {
    "categorical": ("options", "selection_mode", "min_selections", "max_selections", "passing_rule"),
    "numeric": ("min", "max", "step", "passing_rule"),
    "boolean": ("true_is_failure", "true_label", "false_label"),
}


class _Missing:
    """A key the client did not send (unlike null, which it did)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


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


def validate_kind(raw: Any = MISSING) -> str:
    """A scorer kind, refused as DRF's choice field refuses it."""
    if raw is MISSING:
        raise required("kind")
    if raw is None:
        raise ValidationError("This field may not be null.", "kind", "null")
    if str(raw) not in KINDS:
        raise ValidationError(f'"{raw}" is not a valid choice.', "kind", "invalid_choice")
    return str(raw)


def validate_config(kind: str | None, config: Any = MISSING) -> dict[str, Any]:
    """The config checked against the rules of `kind`, as it is stored (see the module's docstring). Raises
    ConfigError naming the field at fault."""
    if config is MISSING:
        raise ConfigError("This field is required.", "config", "required")
    if config is None:
        raise ConfigError("This field may not be null.", "config", "null")
    if not isinstance(kind, str) or not kind:
        raise ConfigError("Set `kind` before validating `config`.", "config__kind")
    if kind not in CONFIG_KEYS:
        raise ConfigError("Unsupported score definition kind.", "config__kind")
    allowed = CONFIG_KEYS[kind]
    if isinstance(config, dict):
        unknown = sorted(key for key in config if key not in allowed)
        if unknown:
            raise ConfigError(f"Unsupported keys for `kind` `{kind}`: {unknown!r}. Allowed keys: {sorted(allowed)!r}.")
    _expect_object(config, "config")
    checks: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "categorical": _categorical_config, "numeric": _numeric_config, "boolean": _boolean_config}
    return checks[kind](config)


def with_defaults(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """A stored config with every key its reader would assume: what it means, for comparing two configs."""
    if kind == "categorical":
        return {"options": config.get("options") or [], "selection_mode": config.get("selection_mode") or "single",
                "min_selections": config.get("min_selections"), "max_selections": config.get("max_selections"),
                "passing_rule": config.get("passing_rule")}
    if kind == "numeric":
        return {"min": config.get("min"), "max": config.get("max"), "step": config.get("step"),
                "passing_rule": config.get("passing_rule")}
    return {"true_label": config.get("true_label"), "false_label": config.get("false_label"),
            "true_is_failure": config.get("true_is_failure") is True}


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


# --- field parsers, each refusing as the DRF field PostHog declares ----------------------------------------

def _expect_object(raw: Any, attr: str) -> None:
    if not isinstance(raw, dict):
        raise ConfigError(f"Invalid data. Expected a dictionary, but got {type(raw).__name__}.",
                          f"{attr}__non_field_errors")


def _present(raw: Any, attr: str, *, nullable: bool) -> bool:
    """Whether a sent value is there to parse: refuses a missing required value and a forbidden null."""
    if raw is MISSING:
        raise ConfigError("This field is required.", attr, "required")
    if raw is None:
        if not nullable:
            raise ConfigError("This field may not be null.", attr, "null")
        return False
    return True


def _text(raw: Any, attr: str, max_length: int | None = None) -> str:
    """DRF's CharField: numbers become text, surrounding spaces go, blank is refused."""
    if raw is MISSING or raw is None:
        _present(raw, attr, nullable=False)
    if raw == "" or str(raw).strip() == "":
        raise ConfigError("This field may not be blank.", attr, "blank")
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise ConfigError("Not a valid string.", attr)
    text = str(raw).strip()
    if max_length is not None and len(text) > max_length:
        raise ConfigError(f"Ensure this field has no more than {max_length} characters.", attr, "max_length")
    return text


def _choice(raw: Any, attr: str, choices: tuple[str, ...]) -> str:
    if str(raw) not in choices:
        raise ConfigError(f'"{raw}" is not a valid choice.', attr, "invalid_choice")
    return str(raw)


def _whole_number(raw: Any, attr: str) -> int:
    """DRF's IntegerField(min_value=1)."""
    if isinstance(raw, str) and len(raw) > MAX_STRING_LENGTH:
        raise ConfigError("String value too large.", attr, "max_string_length")
    try:
        value = int(TRAILING_ZEROS.sub("", str(raw)))
    except (TypeError, ValueError):
        raise ConfigError("A valid integer is required.", attr) from None
    if value < 1:
        raise ConfigError("Ensure this value is greater than or equal to 1.", attr, "min_value")
    return value


def _float(raw: Any, attr: str) -> float:
    """DRF's FloatField, then our limit: the number must fit the NUMERIC(24, 6) scores are compared in."""
    if isinstance(raw, str) and len(raw) > MAX_STRING_LENGTH:
        raise ConfigError("String value too large.", attr, "max_string_length")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError("A valid number is required.", attr) from None
    except OverflowError:
        raise ConfigError("Integer value too large to convert to float", attr, "overflow") from None
    to_decimal(value, attr)
    return value


def _lenient_boolean(raw: Any, attr: str) -> bool | None:
    """DRF's BooleanField(allow_null=True): "yes", "on", "1", 1 … are true; "no", "off", "0", 0 … false."""
    try:
        if raw in TRUE_VALUES:
            return True
        if raw in FALSE_VALUES:
            return False
        if raw in NULL_VALUES:
            return None
    except TypeError:  # a list or an object: not hashable, so not in any of the sets
        pass
    raise ConfigError("Must be a valid boolean.", attr)


# --- categorical -------------------------------------------------------------------------------------------

def _categorical_config(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"options": _options(config.get("options", MISSING))}
    if "selection_mode" in config and _present(config["selection_mode"], "config__selection_mode", nullable=False):
        out["selection_mode"] = _choice(config["selection_mode"], "config__selection_mode", SELECTION_MODES)
    for name in ("min_selections", "max_selections"):
        if name in config:
            raw = config[name]
            out[name] = _whole_number(raw, f"config__{name}") if raw is not None else None
    if "passing_rule" in config:
        raw = config["passing_rule"]
        out["passing_rule"] = _categorical_rule(raw) if raw is not None else None
    _check_categorical(out)
    return out


def _options(raw: Any) -> list[dict[str, str]]:
    attr = "config__options"
    _present(raw, attr, nullable=False)
    if not isinstance(raw, list):
        raise ConfigError(f'Expected a list of items but got type "{type(raw).__name__}".',
                          f"{attr}__non_field_errors", "not_a_list")
    if len(raw) > OPTIONS_MAX:
        raise ConfigError(f"A scorer can have at most {OPTIONS_MAX} options.", attr)
    options = [_option(index, option) for index, option in enumerate(raw)]
    if not options:
        raise ConfigError("Provide at least one categorical option.", attr)
    seen: set[str] = set()
    for index, option in enumerate(options):
        if option["key"] in seen:
            raise ConfigError("Categorical option keys must be unique.", attr, index=index)
        seen.add(option["key"])
    return options


def _option(index: int, option: Any) -> dict[str, str]:
    """One option; PostHog answers a bad one with the list's attr (its many=True serializer), so does this."""
    attr = "config__options"
    if not isinstance(option, dict):
        raise ConfigError(f"Invalid data. Expected a dictionary, but got {type(option).__name__}.", attr,
                          index=index)
    try:
        key = normalise_option_key(_text(option.get("key", MISSING), attr, OPTION_KEY_MAX))
        if not OPTION_KEY_RE.match(key):
            raise ConfigError("`key` must use lowercase letters, numbers, underscores, or hyphens.", attr)
        label = _text(option.get("label", MISSING), attr, LABEL_MAX)
    except ConfigError as exc:
        raise ConfigError(exc.detail, attr, index=index) from None
    return {"key": key, "label": label}


def _categorical_rule(raw: Any) -> dict[str, list[str]]:
    attr = "config__passing_rule"
    if isinstance(raw, dict) and set(raw) - {"categories"}:
        raise ConfigError("Only category keys may be configured in this rule.", f"{attr}__non_field_errors")
    _expect_object(raw, attr)
    categories = raw.get("categories", MISSING)
    _present(categories, f"{attr}__categories", nullable=False)
    if not isinstance(categories, list):
        raise ConfigError(f'Expected a list of items but got type "{type(categories).__name__}".',
                          f"{attr}__categories", "not_a_list")
    keys = [_text(key, f"{attr}__categories__{i}", OPTION_KEY_MAX) for i, key in enumerate(categories)]
    if len(set(keys)) != len(keys):
        raise ConfigError("Select each passing category only once.", f"{attr}__categories")
    return {"categories": sorted(keys)}


def _check_categorical(config: dict[str, Any]) -> None:
    """The checks across fields, in PostHog's order: the rule, then the bounds of the selection mode."""
    multiple = (config.get("selection_mode") or "single") == "multiple"
    low, high = config.get("min_selections"), config.get("max_selections")
    count = len(config["options"])
    rule = config.get("passing_rule")
    if rule is not None:
        if not multiple and not rule["categories"]:
            raise ConfigError("Choose at least one passing category.", "config__passing_rule")
        if not set(rule["categories"]) <= {option["key"] for option in config["options"]}:
            raise ConfigError("Choose passing categories from the configured options.", "config__passing_rule")
    if not multiple:
        for name, value in (("min_selections", low), ("max_selections", high)):
            if value is not None:
                raise ConfigError(f"`{name}` is only supported when `selection_mode` is `multiple`.",
                                  f"config__{name}")
        return
    for name, value in (("min_selections", low), ("max_selections", high)):
        if value is not None and value > count:
            raise ConfigError(f"Ensure `{name}` is less than or equal to the number of options.", f"config__{name}")
    if low is not None and high is not None and low > high:
        raise ConfigError("Ensure `max_selections` is greater than or equal to `min_selections`.",
                          "config__max_selections")


# --- numeric -----------------------------------------------------------------------------------------------

def _numeric_config(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("min", "max", "step"):
        if name in config:
            raw = config[name]
            out[name] = _float(raw, f"config__{name}") if raw is not None else None
    if "passing_rule" in config:
        raw = config["passing_rule"]
        out["passing_rule"] = _numeric_rule(raw) if raw is not None else None
    low, high, step, rule = out.get("min"), out.get("max"), out.get("step"), out.get("passing_rule")
    if low is not None and high is not None and low > high:
        raise ConfigError("Ensure `max` is greater than or equal to `min`.", "config__max")
    if step is not None and step <= 0:
        raise ConfigError("Ensure `step` is greater than 0.", "config__step")
    if rule is not None and low is not None and rule["threshold"] < low:
        raise ConfigError("The passing threshold must be at least `min`.", "config__passing_rule")
    if rule is not None and high is not None and rule["threshold"] > high:
        raise ConfigError("The passing threshold must be at most `max`.", "config__passing_rule")
    return out


def _numeric_rule(raw: Any) -> dict[str, Any]:
    attr = "config__passing_rule"
    if isinstance(raw, dict):
        unknown = sorted(set(raw) - {"operator", "threshold"})
        if unknown:
            raise ConfigError(f"Unsupported passing rule keys: {unknown!r}.", f"{attr}__non_field_errors")
        threshold = raw.get("threshold", MISSING)
        if threshold is not MISSING and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
            raise ConfigError("Provide a finite number.", f"{attr}__threshold")
    _expect_object(raw, attr)
    operator = raw.get("operator", MISSING)
    _present(operator, f"{attr}__operator", nullable=False)
    operator = _choice(operator, f"{attr}__operator", OPERATORS)
    threshold = raw.get("threshold", MISSING)
    _present(threshold, f"{attr}__threshold", nullable=False)
    try:
        value = float(threshold)
    except OverflowError:
        raise ConfigError("Provide a finite number.", f"{attr}__threshold") from None
    if not math.isfinite(value):
        raise ConfigError("Provide a finite number.", f"{attr}__threshold")
    to_decimal(value, f"{attr}__threshold")
    return {"operator": operator, "threshold": value}


# --- boolean -----------------------------------------------------------------------------------------------

def _boolean_config(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "true_is_failure" in config:
        out["true_is_failure"] = _lenient_boolean(config["true_is_failure"], "config__true_is_failure")
    for name in ("true_label", "false_label"):
        if name in config:
            out[name] = _text(config[name], f"config__{name}", LABEL_MAX)
    return out


# --- exact decimals ----------------------------------------------------------------------------------------

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
