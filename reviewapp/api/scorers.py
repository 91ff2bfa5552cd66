"""API: score definitions ("scorers") and their versions. Definitions are archived, never deleted: no DELETE
route, so Flask answers 405."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request

from reviewapp.api.core import (
    ApiContext,
    api_route,
    cursor_page,
    iso,
    json_body,
    list_response,
    no_query,
    parse_uuid,
    path_uuid,
    query_integer,
    query_param,
    query_text,
    strict_query,
    user_json,
)
from reviewapp.http_errors import RequestError
from reviewapp.models import ScoreDefinition, ScoreDefinitionVersion
from reviewapp.services import scorers
from reviewapp.services.cursor import CURSOR_MAX_LENGTH, decode_version_cursor, encode_version_cursor
from reviewapp.services.scorer_config import MISSING

VERSION_NOT_FOUND = "Scorer version not found."
VERSION_QUERY = {"limit": query_integer(1, 100), "cursor": query_text(CURSOR_MAX_LENGTH)}
VERSION_PAGE_DEFAULT = 50
# `archived=` is read as PostHog reads it, in two layers, and is never refused. First, unless the value (trimmed,
# lower-cased) is one of these, only active scorers are listed...
ARCHIVED_KNOWN = {"true", "false", "1", "0"}
# ...then Django's NullBooleanSelect filters on the exact value, and ignores any other.
ARCHIVED_FILTER = {"true": True, "True": True, "2": True, "false": False, "False": False, "3": False}


def definition_json(definition: ScoreDefinition) -> dict[str, Any]:
    return {
        "id": str(definition.id),
        "name": definition.name,
        "description": definition.description,
        "kind": definition.kind,
        "archived": definition.archived,
        "current_version": definition.current_version,
        "current_version_id": str(definition.current_version_id),
        "config": definition.live().config,
        "created_by": user_json(definition.created_by),
        "created_at": iso(definition.created_at),
        "updated_at": iso(definition.updated_at),
        "team": definition.project_id,
    }


def version_json(version: ScoreDefinitionVersion) -> dict[str, Any]:
    return {
        "id": str(version.id),
        "definition_id": str(version.definition_id),
        "version": version.version,
        "kind": version.kind,
        "config": version.config,
        "created_at": iso(version.created_at),
        "created_by": user_json(version.created_by),
    }


@api_route("/score_definitions/", methods=["GET"])
def list_score_definitions(ctx: ApiContext):
    def filters() -> dict[str, Any]:
        given = request.args.getlist("archived")
        raw = given[-1] if given else None  # as Django's QueryDict reads it: the last value
        return {"active_only": (raw or "").strip().lower() not in ARCHIVED_KNOWN,
                "archived": ARCHIVED_FILTER.get(raw or ""), "kind": query_param("kind"),
                "search": query_param("search")}

    return list_response(ctx, scorers.list_definitions, definition_json, scorers.ORDERS, filters)


@api_route("/score_definitions/", methods=["POST"], role="admin")
def create_score_definition(ctx: ApiContext):
    body = json_body()
    definition = scorers.create_definition(
        ctx.project_id, ctx.user, name=body.get("name"), kind=body.get("kind", MISSING),
        config=body.get("config", MISSING), description=body.get("description"), archived=body.get("archived"),
    )
    return jsonify(definition_json(definition)), 201


@api_route("/score_definitions/<definition_id>/", methods=["GET"])
def get_score_definition(ctx: ApiContext, definition_id: str):
    return jsonify(definition_json(scorers.load_definition(ctx.project_id, path_uuid(definition_id))))


@api_route("/score_definitions/<definition_id>/", methods=["PATCH"], role="admin")
def update_score_definition(ctx: ApiContext, definition_id: str):
    body = json_body()
    definition = scorers.update_definition(ctx.project_id, ctx.user, path_uuid(definition_id), body)
    return jsonify(definition_json(definition))


@api_route("/score_definitions/<definition_id>/new_version/", methods=["POST"], role="admin")
def new_score_definition_version(ctx: ApiContext, definition_id: str):
    body = json_body()
    metadata: dict[str, Any] = {name: body[name] for name in ("name", "description") if name in body}
    definition = scorers.new_version(ctx.project_id, ctx.user, path_uuid(definition_id), body.get("config", MISSING),
                                     body.get("base_version"), metadata)
    return jsonify(definition_json(definition))


@api_route("/score_definitions/<definition_id>/versions/", methods=["GET"])
def list_score_definition_versions(ctx: ApiContext, definition_id: str):
    query = strict_query(VERSION_QUERY)
    after = decode_version_cursor(query["cursor"]) if "cursor" in query else None
    versions, count, more = scorers.version_page(ctx.project_id, path_uuid(definition_id),
                                                 limit=query.get("limit", VERSION_PAGE_DEFAULT), after=after)
    next_cursor = encode_version_cursor(versions[-1].version, versions[-1].id) if more else None
    return cursor_page([version_json(v) for v in versions], count, next_cursor)


@api_route("/score_definitions/<definition_id>/versions/<version_id>/", methods=["GET"])
def get_score_definition_version(ctx: ApiContext, definition_id: str, version_id: str):
    no_query()  # before the scorer is looked up, as PostHog checks it
    wanted = parse_uuid(version_id, "version_id")
    try:
        version = scorers.load_version(ctx.project_id, path_uuid(definition_id), wanted)
    except scorers.VersionNotFound:
        raise RequestError(404, "not_found", VERSION_NOT_FOUND) from None
    return jsonify(version_json(version))
