"""Score definitions ("scorers"): creation with version 1, metadata edits, archiving, and new immutable versions
under a row lock (the config rules of each kind are in scorer_config)."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from reviewapp.extensions import db
from reviewapp.models import KINDS, ScoreDefinition, ScoreDefinitionVersion, User, utcnow, uuid7
from reviewapp.services.common import (
    as_uuid,
    clean_text,
    commit_keeping_state,
    contains,
    load_by_id,
    ordering,
    refusal_rolls_back,
)
from reviewapp.services.errors import Conflict, NotFound, ValidationError
from reviewapp.services.scorer_config import (
    MISSING,
    WHOLE_NUMBER_RE,
    shown,
    validate_config,
    validate_kind,
    with_defaults,
)

NAME_MAX = 255
DESCRIPTION_MAX = 10_000
ORDERS = {
    "name": ScoreDefinition.name,
    "kind": ScoreDefinition.kind,
    "created_at": ScoreDefinition.created_at,
    "updated_at": ScoreDefinition.updated_at,
    "current_version": ScoreDefinition.current_version,
}

# PostHog's words for a stale base_version; a clash on the version number (a race past the row lock) is the same
# news for the caller.
STALE_VERSION = "The scorer changed since you opened it. Reload the latest version and try again."


class VersionNotFound(NotFound):
    """The scorer exists, the version does not (or is another scorer's): the API names what was not found."""


# --- definitions -------------------------------------------------------------------------------------

def load_definition(project_id: int, definition_id: uuid.UUID | str) -> ScoreDefinition:
    """A score definition of this project (archived or not), or NotFound."""
    return load_by_id(select(ScoreDefinition).where(ScoreDefinition.project_id == project_id), ScoreDefinition.id,
                      definition_id)


def list_definitions(
    project_id: int,
    *,
    archived: bool | None = False,
    active_only: bool = False,
    kind: str | None = None,
    search: str | None = None,
    order: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[ScoreDefinition], int]:
    """A page of definitions with their current version (one query) and the total (one query).
    `archived=None` lists both active and archived ones; `active_only` adds "not archived" on top of `archived`
    (as PostHog's list layers its default under its filter, so both together may match nothing)."""
    conditions = _definition_conditions(project_id, archived)
    if active_only:
        conditions.append(ScoreDefinition.archived.is_(False))
    if kind is not None:
        if kind not in KINDS:  # as django-filter's choice filter refuses it
            raise ValidationError(f"Select a valid choice. {shown(kind)} is not one of the available choices.",
                                  "kind", "invalid_choice")
        conditions.append(ScoreDefinition.kind == kind)
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
    kind: Any = MISSING,
    config: Any = MISSING,
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
    for field, value in _metadata(data).items():
        setattr(definition, field, value)
    if "archived" in data and data["archived"] is not None:
        definition.archived = _boolean(data["archived"], "archived")
    definition.updated_at = utcnow()
    db.session.commit()
    return definition


def _metadata(data: Mapping[str, Any]) -> dict[str, str]:
    """The name and description in `data`, cleaned, as PATCH and new_version take them: only the keys present;
    a name is trimmed, not blank and at most NAME_MAX; a null description is stored as ""."""
    fields = {}
    if "name" in data:
        fields["name"] = clean_text(data["name"], "name", max_length=NAME_MAX)
    if "description" in data:
        fields["description"] = clean_text(data["description"], "description", max_length=DESCRIPTION_MAX,
                                           required=False)
    return fields


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
def new_version(project_id: int, actor: User | None, definition_id: uuid.UUID | str, config: Any = MISSING,
                base_version: Any = None, metadata: Mapping[str, Any] | None = None) -> ScoreDefinition:
    """Add version current+1 with `config` (always, even an unchanged one), and apply the `name` and
    `description` in `metadata` in the same transaction. With `base_version`, refuse (Conflict) if someone else
    made a version since, changing nothing. The definition row is locked while checking and writing, so
    concurrent calls queue up, and the metadata is applied over whatever the locked row holds (a rename made
    meanwhile is overwritten); the unique (definition, version) constraint turns any race that slips through
    into the same Conflict."""
    definition = load_definition(project_id, definition_id)
    base = _base_version(base_version)
    config = validate_config(definition.kind, config)
    fields = _metadata(metadata or {})
    locked = db.session.scalar(
        select(ScoreDefinition)
        .where(ScoreDefinition.id == definition.id)
        .with_for_update(of=ScoreDefinition)
        .execution_options(populate_existing=True)
    )
    if locked is None:  # deleted (with its project) between the load and the lock
        raise NotFound()
    if base is not None and base != locked.current_version:
        raise Conflict(STALE_VERSION, current_version=locked.current_version)
    for field, value in fields.items():
        if getattr(locked, field) != value:
            setattr(locked, field, value)
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
        raise Conflict(STALE_VERSION, current_version=latest) from None
    return locked


@refusal_rolls_back
def new_version_if_changed(project_id: int, actor: User | None, definition_id: uuid.UUID | str, config: Any,
                           base_version: Any) -> ScoreDefinition | None:
    """The scorer editor's save: like new_version, except that a config equal to the current one, saved from
    the current version, makes no version (None), so saving an untouched editor does not pile up versions. (The
    API keeps PostHog's rule: new_version always makes one.)"""
    definition = load_definition(project_id, definition_id)
    # Compared by meaning: configs are stored as sent, so one made by the API may leave out keys the editor sends.
    if _base_version(base_version) == definition.current_version and \
            with_defaults(definition.kind, validate_config(definition.kind, config)) == \
            with_defaults(definition.kind, definition.live().config):
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


def version_page(project_id: int, definition_id: uuid.UUID | str, *, limit: int,
                 after: tuple[int, uuid.UUID] | None = None) -> tuple[list[ScoreDefinitionVersion], int, bool]:
    """A keyset page of a definition's versions (version descending, then id), starting after `after` (the
    version number and id of the previous page's last row): the rows, the total counted now, and whether more
    follow. Versions added meanwhile are newer, so they never shift the pages still to come."""
    definition = load_definition(project_id, definition_id)
    total = db.session.scalar(select(func.count(ScoreDefinitionVersion.id)).where(
        ScoreDefinitionVersion.definition_id == definition.id)) or 0
    query = _versions(project_id, definition.id)
    if after is not None:
        number, version_id = after
        query = query.where(or_(ScoreDefinitionVersion.version < number,
                                and_(ScoreDefinitionVersion.version == number, ScoreDefinitionVersion.id > version_id)))
    rows = list(db.session.scalars(
        query.order_by(ScoreDefinitionVersion.version.desc(), ScoreDefinitionVersion.id.asc()).limit(limit + 1)))
    return rows[:limit], total, len(rows) > limit


def load_version(project_id: int, definition_id: uuid.UUID | str,
                 version_id: uuid.UUID | str) -> ScoreDefinitionVersion:
    """A version of a definition of this project: NotFound for the definition, VersionNotFound for a version it
    does not have."""
    definition = load_definition(project_id, definition_id)
    wanted = as_uuid(version_id)
    version = wanted and db.session.scalar(
        _versions(project_id, definition.id).where(ScoreDefinitionVersion.id == wanted))
    if not version:
        raise VersionNotFound()
    return version
