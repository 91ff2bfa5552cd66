"""API: score definitions ("scorers") and their versions. Definitions are archived, never deleted: no DELETE
route, so Flask answers 405."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from reviewapp.api.core import (
    ApiContext,
    api_route,
    iso,
    json_body,
    list_response,
    page_params,
    paginated,
    path_uuid,
    query_bool,
    query_param,
    user_json,
)
from reviewapp.models import ScoreDefinition, ScoreDefinitionVersion
from reviewapp.services import scorers
from reviewapp.services.scorer_config import MISSING


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
        archived = query_bool("archived")
        return {"archived": False if archived is None else archived, "kind": query_param("kind"),
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
    definition = scorers.new_version(ctx.project_id, ctx.user, path_uuid(definition_id), body.get("config", MISSING),
                                     body.get("base_version"))
    return jsonify(definition_json(definition))


@api_route("/score_definitions/<definition_id>/versions/", methods=["GET"])
def list_score_definition_versions(ctx: ApiContext, definition_id: str):
    limit, offset = page_params()
    versions, count = scorers.list_versions(ctx.project_id, path_uuid(definition_id), limit=limit, offset=offset)
    return paginated([version_json(v) for v in versions], count, limit, offset)


@api_route("/score_definitions/<definition_id>/versions/<version_id>/", methods=["GET"])
def get_score_definition_version(ctx: ApiContext, definition_id: str, version_id: str):
    version = scorers.load_version(ctx.project_id, path_uuid(definition_id), path_uuid(version_id))
    return jsonify(version_json(version))
