"""Score definitions ("scorers"): config validation per kind, creation with version 1, metadata edits,
archiving, and new immutable versions under a row lock."""
from __future__ import annotations

import math
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError

from reviewapp.extensions import db
from reviewapp.models import KINDS, ScoreDefinition, ScoreDefinitionVersion, User, utcnow, uuid7
from reviewapp.services.common import as_uuid, clean_text, commit_keeping_state, contains, ordering, refusal_rolls_back
from reviewapp.services.errors import Conflict, NotFound, ValidationError, required

NAME_MAX = 255
DESCRIPTION_MAX = 10_000
OPTION_KEY_MAX = 128
LABEL_MAX = 256
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
ORDERS = {
    "name": ScoreDefinition.name,
    "kind": ScoreDefinition.kind,
    "created_at": ScoreDefinition.created_at,
    "updated_at": ScoreDefinition.updated_at,
    "current_version": ScoreDefinition.current_version,
}

STALE_VERSION = ("This scorer was changed since you opened it: it is now at version {current}, "
                 "not {base}. Reload it and apply your change again.")
VERSION_RACE = ("This scorer was changed by someone else while saving (it is now at version {current}). "
                "Reload it and apply your change again.")


class ConfigError(ValidationError):
    """A refused scorer config. `index` is the option row at fault (0-based), when there is one, so an editor
    can show the message beside that row; the API answers only with detail and attr."""

    def __init__(self, detail: str, attr: str = "config", code: str = "invalid_input", index: int | None = None):
        super().__init__(detail, attr, code)
        self.index = index


# --- config ------------------------------------------------------------------------------------------

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


# --- definitions -------------------------------------------------------------------------------------

def load_definition(project_id: int, definition_id: uuid.UUID | str) -> ScoreDefinition:
    """A score definition of this project (archived or not), or NotFound."""
    wanted = as_uuid(definition_id)
    definition = wanted and db.session.scalar(
        select(ScoreDefinition).where(ScoreDefinition.project_id == project_id, ScoreDefinition.id == wanted)
    )
    if not definition:
        raise NotFound()
    return definition


def list_definitions(
    project_id: int,
    *,
    archived: bool | None = False,
    kind: str | None = None,
    search: str | None = None,
    order: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[ScoreDefinition], int]:
    """A page of definitions with their current version (one query) and the total (one query).
    `archived=None` lists both active and archived ones."""
    conditions = _definition_conditions(project_id, archived)
    if kind is not None:
        conditions.append(ScoreDefinition.kind == validate_kind(kind))
    if search:
        pattern = contains(search)
        conditions.append(or_(ScoreDefinition.name.ilike(pattern, escape="\\"),
                              ScoreDefinition.description.ilike(pattern, escape="\\")))
    total = db.session.scalar(select(func.count(ScoreDefinition.id)).where(*conditions)) or 0
    order_by = ordering(order, ORDERS, [ScoreDefinition.name.asc(), ScoreDefinition.id.asc()], ScoreDefinition.id)
    definitions = db.session.scalars(
        select(ScoreDefinition).where(*conditions).order_by(*order_by).limit(limit).offset(offset)
    ).all()
    return list(definitions), total


def definitions_by_name(project_id: int, *, archived: bool | None = False, limit: int = 100) -> list[ScoreDefinition]:
    """The project's definitions by name, without a total (one query): for pickers and the review panel."""
    return list(db.session.scalars(
        select(ScoreDefinition).where(*_definition_conditions(project_id, archived))
        .order_by(ScoreDefinition.name, ScoreDefinition.id).limit(limit)
    ))


def _definition_conditions(project_id: int, archived: bool | None) -> list[Any]:
    conditions = [ScoreDefinition.project_id == project_id]
    if archived is not None:
        conditions.append(ScoreDefinition.archived.is_(archived))
    return conditions


def _boolean(raw: Any, attr: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise ValidationError("Must be a valid boolean.", attr)


@refusal_rolls_back
def create_definition(
    project_id: int,
    actor: User | None,
    *,
    name: Any,
    kind: Any,
    config: Any,
    description: Any = None,
    archived: Any = None,
) -> ScoreDefinition:
    """A new active definition and its version 1, in one transaction."""
    name = clean_text(name, "name", max_length=NAME_MAX)
    description = clean_text(description, "description", max_length=DESCRIPTION_MAX, required=False)
    kind = validate_kind(kind)
    if archived is not None and _boolean(archived, "archived"):
        raise ValidationError("New scorers must be created as active.", "archived")
    config = validate_config(kind, config)
    actor_id = actor.id if actor else None
    now = utcnow()
    definition = ScoreDefinition(id=uuid7(), project_id=project_id, name=name, description=description, kind=kind,
                                 archived=False, current_version=1, created_by_id=actor_id, created_at=now,
                                 updated_at=now)
    db.session.add(definition)
    db.session.flush()  # the version refers to the definition, and the definition back to its version
    version = ScoreDefinitionVersion(definition_id=definition.id, project_id=project_id, version=1, kind=kind,
                                     config=config, created_by_id=actor_id, created_at=now)
    db.session.add(version)
    db.session.flush()
    definition.current = version
    db.session.commit()
    return definition


@refusal_rolls_back
def update_definition(project_id: int, actor: User | None, definition_id: uuid.UUID | str,
                      data: dict[str, Any]) -> ScoreDefinition:
    """Metadata only (name, description, archived); keys absent from `data` are left alone. Never a version."""
    definition = load_definition(project_id, definition_id)
    if "name" in data:
        definition.name = clean_text(data["name"], "name", max_length=NAME_MAX)
    if "description" in data:
        definition.description = clean_text(data["description"], "description", max_length=DESCRIPTION_MAX,
                                            required=False)
    if "archived" in data and data["archived"] is not None:
        definition.archived = _boolean(data["archived"], "archived")
    definition.updated_at = utcnow()
    db.session.commit()
    return definition


def set_archived(project_id: int, actor: User | None, definition_id: uuid.UUID | str,
                 archived: bool) -> ScoreDefinition:
    return update_definition(project_id, actor, definition_id, {"archived": archived})


def _base_version(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and WHOLE_NUMBER_RE.match(raw.strip()):
        value = int(raw.strip())
    else:
        raise ValidationError("A valid integer is required.", "base_version")
    if value < 1:
        raise ValidationError("Ensure this value is greater than or equal to 1.", "base_version")
    return value


@refusal_rolls_back
def new_version(project_id: int, actor: User | None, definition_id: uuid.UUID | str, config: Any,
                base_version: Any = None) -> ScoreDefinition:
    """Add version current+1 with `config`. With `base_version`, refuse (Conflict) if someone else made a
    version since. The definition row is locked while checking and inserting, so concurrent calls queue up;
    the unique (definition, version) constraint turns any race that slips through into the same Conflict."""
    definition = load_definition(project_id, definition_id)
    base = _base_version(base_version)
    config = validate_config(definition.kind, config)
    locked = db.session.scalar(
        select(ScoreDefinition)
        .where(ScoreDefinition.id == definition.id)
        .with_for_update(of=ScoreDefinition)
        .execution_options(populate_existing=True)
    )
    if locked is None:  # deleted (with its project) between the load and the lock
        raise NotFound()
    if base is not None and base != locked.current_version:
        current = locked.current_version
        raise Conflict(STALE_VERSION.format(current=current, base=base), current_version=current)
    now = utcnow()
    version = ScoreDefinitionVersion(definition_id=locked.id, project_id=project_id,
                                     version=locked.current_version + 1, kind=locked.kind, config=config,
                                     created_by_id=actor.id if actor else None, created_at=now)
    db.session.add(version)
    try:
        db.session.flush()
        locked.current = version
        locked.current_version = version.version
        locked.updated_at = now
        commit_keeping_state()
    except IntegrityError:
        db.session.rollback()
        latest = db.session.scalar(select(ScoreDefinition.current_version).where(
            ScoreDefinition.id == definition.id))
        raise Conflict(VERSION_RACE.format(current=latest), current_version=latest) from None
    return locked


@refusal_rolls_back
def new_version_if_changed(project_id: int, actor: User | None, definition_id: uuid.UUID | str, config: Any,
                           base_version: Any) -> ScoreDefinition | None:
    """The scorer editor's save: like new_version, except that a config equal to the current one, saved from
    the current version, makes no version (None), so saving an untouched editor does not pile up versions. (The
    API keeps PostHog's rule: new_version always makes one.)"""
    definition = load_definition(project_id, definition_id)
    if _base_version(base_version) == definition.current_version and \
            validate_config(definition.kind, config) == definition.live().config:
        return None
    return new_version(project_id, actor, definition.id, config, base_version=base_version)


def duplicate_definition(project_id: int, actor: User | None, definition_id: uuid.UUID | str,
                         name: Any = None) -> ScoreDefinition:
    """A new active definition with the source's kind, description and current config (as its version 1)."""
    source = load_definition(project_id, definition_id)
    if name is None:
        name = f"{source.name} (copy)"[:NAME_MAX]
    return create_definition(project_id, actor, name=name, kind=source.kind, config=source.live().config,
                             description=source.description)


# --- versions ----------------------------------------------------------------------------------------

def _versions(project_id: int, definition_id: uuid.UUID) -> Select:
    return select(ScoreDefinitionVersion).where(ScoreDefinitionVersion.project_id == project_id,
                                                ScoreDefinitionVersion.definition_id == definition_id)


def list_versions(project_id: int, definition_id: uuid.UUID | str, *, limit: int = 100,
                  offset: int = 0) -> tuple[list[ScoreDefinitionVersion], int]:
    """A page of a definition's versions, newest first."""
    definition = load_definition(project_id, definition_id)
    total = db.session.scalar(select(func.count(ScoreDefinitionVersion.id)).where(
        ScoreDefinitionVersion.definition_id == definition.id)) or 0
    versions = db.session.scalars(
        _versions(project_id, definition.id).order_by(ScoreDefinitionVersion.version.desc())
        .limit(limit).offset(offset)
    ).all()
    return list(versions), total


def load_version(project_id: int, definition_id: uuid.UUID | str,
                 version_id: uuid.UUID | str) -> ScoreDefinitionVersion:
    definition = load_definition(project_id, definition_id)
    wanted = as_uuid(version_id)
    version = wanted and db.session.scalar(
        _versions(project_id, definition.id).where(ScoreDefinitionVersion.id == wanted))
    if not version:
        raise NotFound()
    return version
