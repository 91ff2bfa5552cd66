"""API: GET /api/schema/ — an OpenAPI 3 document of every route; tests keep it in step with the URL map."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from reviewapp.api import bp
from reviewapp.services.traces import COUNT_CAP

PREFIX = "/api/environments/{project_id}/llm_analytics"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


STR = {"type": "string"}
UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "format": "date-time"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
OBJ = {"type": "object", "additionalProperties": True}

# An extension of PostHog's queue: which scorers the review page requires answered (or a comment) before it saves.
# The API's own trace_reviews/ keeps PostHog's rules and ignores it.
REQUIRED_SCORERS = {"type": "array", "items": UUID, "nullable": True, "description": (
    "Extension. Scorers the review page requires answered (unless a comment is given) before it saves a review "
    "in this queue; each one of scorer_ids when the queue chose scorers. null (the default): every scorer the "
    "queue asks for; []: none, though the page never saves an empty review. trace_reviews/ ignores it.")}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["type", "code", "detail", "attr"], "properties": {
        "type": STR, "code": STR, "detail": STR, "attr": _nullable(STR)}},
    "User": {"type": "object", "nullable": True, "properties": {
        "id": INT, "uuid": UUID, "distinct_id": STR, "first_name": STR, "last_name": STR,
        "email": {"type": "string", "format": "email"}, "is_email_verified": BOOL,
        "hedgehog_config": _nullable(OBJ), "role_at_organization": _nullable(STR)}},
    "ReviewQueue": {"type": "object", "properties": {
        "id": UUID, "name": STR, "description": STR, "pending_item_count": INT,
        "scorer_ids": {"type": "array", "items": UUID}, "required_scorer_ids": REQUIRED_SCORERS,
        "created_at": TIME, "updated_at": TIME, "created_by": _ref("User"), "team": INT}},
    "ReviewQueueItem": {"type": "object", "properties": {
        "id": UUID, "queue_id": UUID, "queue_name": STR, "trace_id": STR, "created_at": TIME, "updated_at": TIME,
        "created_by": _ref("User"), "team": INT, "claimed_by": _ref("User"), "claim_expires_at": _nullable(TIME)}},
    "ScoreDefinitionConfig": {"type": "object", "description": "Per kind: categorical {options, selection_mode, "
                              "min_selections, max_selections}; numeric {min, max, step}; boolean "
                              "{true_label, false_label}.", "additionalProperties": True},
    "ScoreDefinition": {"type": "object", "properties": {
        "id": UUID, "name": STR, "description": STR, "kind": {"type": "string", "enum": ["categorical", "numeric",
                                                                                         "boolean"]},
        "archived": BOOL, "current_version": INT, "current_version_id": UUID,
        "config": _ref("ScoreDefinitionConfig"), "created_by": _ref("User"), "created_at": TIME,
        "updated_at": TIME, "team": INT}},
    "ScoreDefinitionVersion": {"type": "object", "properties": {
        "id": UUID, "definition_id": UUID, "version": INT, "kind": STR, "config": _ref("ScoreDefinitionConfig"),
        "created_at": TIME, "created_by": _ref("User")}},
    "Score": {"type": "object", "properties": {
        "id": UUID, "definition_id": UUID, "definition_name": STR, "definition_kind": STR,
        "definition_archived": BOOL, "definition_version_id": UUID, "definition_version": INT,
        "definition_config": _ref("ScoreDefinitionConfig"),
        "categorical_values": _nullable({"type": "array", "items": STR}),
        "numeric_value": _nullable({"type": "string", "pattern": r"^-?\d+\.\d{6}$"}),
        "boolean_value": _nullable(BOOL), "created_at": TIME, "updated_at": TIME}},
    "TraceReview": {"type": "object", "properties": {
        "id": UUID, "trace_id": STR, "comment": _nullable(STR), "created_at": TIME, "updated_at": TIME,
        "created_by": _ref("User"), "reviewed_by": _ref("User"), "team": INT,
        "scores": {"type": "array", "items": _ref("Score")}}},
    "ScoreInput": {"type": "object", "required": ["definition_id"], "properties": {
        "definition_id": UUID, "definition_version_id": UUID,
        "categorical_values": {"type": "array", "items": STR}, "numeric_value": {"type": ["number", "string"]},
        "boolean_value": BOOL}},
    "Trace": {"type": "object", "additionalProperties": True, "properties": {"trace_id": STR}},
    "BulkAddResult": {"type": "object", "properties": {
        "added": {"type": "array", "items": _ref("ReviewQueueItem")},
        "skipped": {"type": "array", "items": {"type": "object", "properties": {
            "trace_id": STR, "reason": STR, "detail": STR}}}}},
}


def _page_of(name: str, *, capped: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "count": INT, "next": _nullable({"type": "string", "format": "uri"}),
        "previous": _nullable({"type": "string", "format": "uri"}),
        "results": {"type": "array", "items": _ref(name)}}
    if capped:  # this app's extension: the traces list counts no further than a cap
        properties["count"] = {**INT, "description": f"Matches, counted no further than {COUNT_CAP:,}."}
        properties["count_is_capped"] = {**BOOL, "description": (
            f"True when more than `count` ({COUNT_CAP:,}) match: the list counts no further. `next` is then "
            "given while the page is full.")}
    return {"type": "object", "properties": properties}


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"required": True, "content": {"application/json": {"schema": schema}}}


LIST_PARAMS = ["limit", "offset", "order_by", "search"]

# (path, method): (summary, scope, query parameters, request body, status, response schema)
OPERATIONS: dict[tuple[str, str], tuple] = {
    ("/review_queues/", "get"): ("List review queues", "read", LIST_PARAMS + ["name"], None, 200,
                                 _page_of("ReviewQueue")),
    ("/review_queues/", "post"): ("Create a review queue", "write", [], _body(
        {"name": STR, "description": STR, "scorer_ids": {"type": "array", "items": UUID},
         "required_scorer_ids": REQUIRED_SCORERS}, ["name"]), 201,
        _ref("ReviewQueue")),
    ("/review_queues/{id}/", "get"): ("Retrieve a review queue", "read", [], None, 200, _ref("ReviewQueue")),
    ("/review_queues/{id}/", "patch"): ("Rename a review queue", "write", [], _body(
        {"name": STR, "description": STR, "scorer_ids": {"type": "array", "items": UUID},
         "required_scorer_ids": REQUIRED_SCORERS}), 200,
        _ref("ReviewQueue")),
    ("/review_queues/{id}/", "delete"): ("Delete a review queue and its items", "write", [], None, 204, None),
    ("/review_queues/{id}/claim_next/", "post"): ("Claim the next item under a lease (204 when none)", "write",
                                                  [], None, 200, _ref("ReviewQueueItem")),
    ("/review_queue_items/", "get"): ("List pending items", "read",
                                      LIST_PARAMS + ["queue_id", "trace_id", "trace_id__in"], None, 200,
                                      _page_of("ReviewQueueItem")),
    ("/review_queue_items/", "post"): ("Queue a trace", "write", [], _body({"queue_id": UUID, "trace_id": STR},
                                                                         ["queue_id", "trace_id"]), 201,
                                       _ref("ReviewQueueItem")),
    ("/review_queue_items/bulk/", "post"): ("Queue many traces, with a per-trace report", "write", [], _body(
        {"queue_id": UUID, "trace_ids": {"type": "array", "items": STR}}, ["queue_id", "trace_ids"]), 200,
        _ref("BulkAddResult")),
    ("/review_queue_items/{id}/", "get"): ("Retrieve an item", "read", [], None, 200, _ref("ReviewQueueItem")),
    ("/review_queue_items/{id}/", "patch"): ("Move an item to another queue", "write", [],
                                             _body({"queue_id": UUID}, ["queue_id"]), 200, _ref("ReviewQueueItem")),
    ("/review_queue_items/{id}/", "delete"): ("Remove an item", "write", [], None, 204, None),
    ("/score_definitions/", "get"): ("List score definitions", "read", LIST_PARAMS + ["archived", "kind"], None,
                                     200, _page_of("ScoreDefinition")),
    ("/score_definitions/", "post"): ("Create a score definition (version 1)", "write", [], _body(
        {"name": STR, "description": STR, "kind": STR, "archived": BOOL, "config": _ref("ScoreDefinitionConfig")},
        ["name", "kind", "config"]), 201, _ref("ScoreDefinition")),
    ("/score_definitions/{id}/", "get"): ("Retrieve a score definition", "read", [], None, 200,
                                          _ref("ScoreDefinition")),
    ("/score_definitions/{id}/", "patch"): ("Update name, description or archived", "write", [], _body(
        {"name": STR, "description": STR, "archived": BOOL}), 200, _ref("ScoreDefinition")),
    ("/score_definitions/{id}/new_version/", "post"): ("Create the next config version (409 if stale)", "write",
                                                       [], _body({"config": _ref("ScoreDefinitionConfig"),
                                                                  "base_version": INT}, ["config"]), 200,
                                                       _ref("ScoreDefinition")),
    ("/score_definitions/{id}/versions/", "get"): ("List versions, newest first", "read", ["limit", "offset"],
                                                   None, 200, _page_of("ScoreDefinitionVersion")),
    ("/score_definitions/{id}/versions/{version_id}/", "get"): ("Retrieve a version", "read", [], None, 200,
                                                                _ref("ScoreDefinitionVersion")),
    ("/trace_reviews/", "get"): ("List trace reviews", "read",
                                 LIST_PARAMS + ["trace_id", "trace_id__in", "definition_id", "definition_id__in"],
                                 None, 200, _page_of("TraceReview")),
    ("/trace_reviews/", "post"): ("Review a trace (completes its queue item)", "write", [], _body(
        {"trace_id": STR, "comment": _nullable(STR), "queue_id": UUID,
         "scores": {"type": "array", "items": _ref("ScoreInput")}}, ["trace_id"]), 201, _ref("TraceReview")),
    ("/trace_reviews/export/", "get"): ("Export reviews as CSV or JSON Lines (streamed)", "read",
                                        ["format", "search", "trace_id", "trace_id__in", "definition_id",
                                         "definition_id__in"], None, 200, None),
    ("/trace_reviews/{id}/", "get"): ("Retrieve a review", "read", [], None, 200, _ref("TraceReview")),
    ("/trace_reviews/{id}/", "patch"): ("Update comment or replace scores", "write", [], _body(
        {"comment": _nullable(STR), "queue_id": UUID, "scores": {"type": "array", "items": _ref("ScoreInput")}}),
        200, _ref("TraceReview")),
    ("/trace_reviews/{id}/", "delete"): ("Delete a review", "write", [], None, 204, None),
    ("/traces/", "get"): ("List stored traces", "read",
                          LIST_PARAMS + ["model", "date_from", "date_to", "errors_only", "review_state"], None, 200,
                          _page_of("Trace", capped=True)),
    ("/traces/{trace_id}/", "get"): ("Retrieve a trace with events, tree, review and queue", "read", [], None, 200,
                                     _ref("Trace")),
}

ERRORS = {"400": "Invalid input", "401": "No or bad credentials", "403": "Missing scope or role",
          "404": "Not found (or another project's)"}


def _operation(path: str, method: str, spec: tuple) -> dict[str, Any]:
    summary, scope, params, body, status, response = spec
    parameters = [{"name": "project_id", "in": "path", "required": True, "schema": INT}]
    for name in ("id", "version_id", "trace_id"):
        if "{" + name + "}" in path:
            parameters.append({"name": name, "in": "path", "required": True, "schema": STR})
    for name in params:
        schema = INT if name in ("limit", "offset") else BOOL if name in ("archived", "errors_only") else STR
        parameters.append({"name": name, "in": "query", "required": False, "schema": schema})
    responses: dict[str, Any] = {str(status): {"description": "OK"}}
    if response is not None:
        responses[str(status)]["content"] = {"application/json": {"schema": response}}
    for code, text in ERRORS.items():
        responses[code] = {"description": text, "content": {"application/json": {"schema": _ref("Error")}}}
    operation = {"summary": summary, "parameters": parameters, "responses": responses,
                 "security": [{"PersonalApiKey": [f"llm_analytics:{scope}"]}]}
    if body:
        operation["requestBody"] = body
    return operation


def build_schema() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for (path, method), spec in OPERATIONS.items():
        paths.setdefault(PREFIX + path, {})[method] = _operation(path, method, spec)
    return {
        "openapi": "3.0.3",
        "info": {"title": "reviewapp API", "version": "1",
                 "description": "PostHog-compatible LLM-analytics review API. Every path is also served under "
                                "/api/projects/{project_id}/llm_analytics/ and without the trailing slash."},
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "PersonalApiKey": {"type": "http", "scheme": "bearer"}}},
    }


@bp.route("/schema/", methods=["GET"])
@bp.route("/schema", methods=["GET"])
def openapi_schema():
    """Public: the document describes the API, it reveals no data."""
    return jsonify(build_schema())
