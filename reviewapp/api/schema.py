"""API: GET /api/schema/ — an OpenAPI 3 document of every route; tests keep it in step with the URL map."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from reviewapp.api import bp
from reviewapp.models.scoring import KINDS
from reviewapp.services import queue_rules, rule_conditions
from reviewapp.services.common import ID_MAX, INT64_MAX
from reviewapp.services.cursor import CURSOR_MAX_LENGTH
from reviewapp.services.traces import COUNT_CAP, REVIEW_STATES

PREFIX = "/api/environments/{project_id}/llm_analytics"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _nullable_ref(name: str) -> dict[str, Any]:
    """OpenAPI 3.0 ignores keywords beside a $ref, and `nullable` only widens a `type` beside it: the object,
    or a null (the 3.0.3 spelling of "null": `nullable` with `null` in the `enum`)."""
    return {"anyOf": [_ref(name), {"type": "object", "nullable": True, "enum": [None]}]}


STR = {"type": "string"}
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S",
        "description": "Trimmed; not blank; at most 255 characters."}
TRACE_ID = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"}
UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "format": "date-time"}
INT = {"type": "integer"}
KIND = {"type": "string", "enum": list(KINDS)}
OPTION_KEY = r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$"
CURSOR_LIMIT = {**INT, "minimum": 1, "maximum": 100, "default": 50}
CURSOR = {"type": "string", "maxLength": CURSOR_MAX_LENGTH,
          "description": "The previous page's next_cursor (base64url JSON, without padding)."}
NUMBER_OR_TEXT = {"oneOf": [{"type": "number"}, {"type": "string"}],
                  "description": "A number, or a decimal number as a string (e.g. \"4.5\")."}
TIME_SPENT = {"oneOf": [{"type": "number", "minimum": 0, "nullable": True}, {"type": "string"}],
              "description": "Extension: seconds the reviewer spent on the trace, added to the review's total."}
BOOL = {"type": "boolean"}
OBJ = {"type": "object", "additionalProperties": True}

# An extension of PostHog's queue: which scorers the review page requires answered (or a comment) before it saves.
# The API's own trace_reviews/ keeps PostHog's rules and ignores it.
REQUIRED_SCORERS = _nullable({"type": "array", "items": UUID, "description": (
    "Extension. Scorers the review page requires answered (unless a comment is given) before it saves a review "
    "in this queue; each one of scorer_ids when the queue chose scorers. null (the default): every scorer the "
    "queue asks for; []: none, though the page never saves an empty review. trace_reviews/ ignores it.")})
# Extensions of PostHog's queue: several reviewers per trace, blind review, the tolerance and the assignees.
REVIEWS_PER_TRACE = {**INT, "minimum": 1, "maximum": 10, "default": 1, "description": (
    "Extension. How many reviewers judge each trace. 1 (the default): a reviewer's save is the trace's review, as "
    "in PostHog. Above 1 each save is a judgment; the last one settles the item: the final review when all agree "
    "(resolution consensus), else the item needs a decision. Lowering it stops at the most judgments a pending "
    "trace of the queue already has.")}
BLIND = {**BOOL, "default": False, "description": (
    "Extension. Blind review: a member below admin sees no other judgment of a trace pending in this queue, nor "
    "its final review, until they have submitted their own judgment of it.")}
NUMERIC_TOLERANCE = _nullable({"type": "string", "description": (
    "Extension. Numeric judgments at most this far apart still agree; null (the default): they must be equal. "
    "Answered as a decimal string like numeric_value (\"0.500000\"); written as a number ≥ 0 or such a string, at "
    "most 6 decimal places, or null.")})
NUMERIC_TOLERANCE_INPUT = {"oneOf": [{"type": "number", "minimum": 0, "nullable": True}, {"type": "string"}],
                           "description": NUMERIC_TOLERANCE["description"]}
ASSIGNEE_IDS = {"type": "array", "items": INT, "description": (
    "Extension. User ids of the only members who claim from this queue (each a reviewer or admin of the project); "
    "[] (the default): every reviewer.")}
QUEUE_SETTINGS_INPUT = {"reviews_per_trace": REVIEWS_PER_TRACE, "blind": BLIND,
                        "numeric_tolerance": NUMERIC_TOLERANCE_INPUT, "assignee_ids": ASSIGNEE_IDS}
ITEM_STATE = {"type": "string", "enum": ["pending", "needs_decision", "done"], "description": (
    "Extension. pending: open for judgments (always, at one reviewer per trace); needs_decision: every judgment "
    "is in and they disagree; done: the item left its queue reviewed.")}
RESOLUTION = {"type": "string", "enum": ["single", "consensus", "adjudicated"], "description": (
    "Extension. How the review came about: single (one reviewer saved it, as in PostHog), consensus (the "
    "judgments of a queue with several reviewers per trace agreed) or adjudicated (someone settled them).")}
TRACE_SUMMARY: dict[str, Any] = {
    "id": STR, "trace_id": STR, "name": _nullable(STR), "first_timestamp": TIME, "last_timestamp": TIME,
    "session_id": _nullable(STR), "distinct_id": _nullable(STR), "models": {"type": "array", "items": STR},
    "event_count": INT, "generation_count": INT, "input_tokens": INT, "output_tokens": INT,
    "total_cost_usd": {"type": "number"}, "latency_seconds": _nullable({"type": "number"}), "has_error": BOOL,
    "input_preview": _nullable(STR), "output_preview": _nullable(STR), "team": INT}
TRACE_STATE: dict[str, Any] = {
    "review_state": {"type": "string", "enum": list(REVIEW_STATES)}, "review_id": _nullable(UUID),
    "queue": {"type": "object", "nullable": True, "description": "The queue the trace is pending in.",
              "properties": {"id": UUID, "name": STR, "item_id": UUID}}}

OUTCOME = {"type": "string", "enum": ["pass", "fail", "na", "skipped", "unknown"], "description": (
    "Read in the spec's order: skipped (the run gave no grade), na (not applicable), then pass or fail by the "
    "evaluation's polarity or passing rule; unknown when no rule decides (a score or label without one).")}
TRACE_EVALUATIONS: dict[str, Any] = {
    "evaluation_outcome": _nullable({"type": "string", "enum": ["pass", "fail", None], "description": (
        "Extension. fail when any of the trace's evaluation results failed, else pass when any passed; null "
        "when none decided.")}),
    "evaluations_failed": {**INT, "minimum": 0, "description": "Extension. The trace's failed evaluation results."},
    "evaluations_passed": {**INT, "minimum": 0, "description": "Extension. The trace's passed evaluation results."}}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["type", "code", "detail", "attr"], "properties": {
        "type": STR, "code": STR, "detail": STR, "attr": _nullable(STR)}},
    "VersionConflict": {"type": "object", "required": ["detail", "current_version"], "description": (
        "PostHog's answer to a stale base_version: a bare detail and the definition's current version."),
        "properties": {"detail": STR, "current_version": INT}},
    "User": {"type": "object", "nullable": True, "properties": {
        "id": INT, "uuid": UUID, "distinct_id": STR, "first_name": STR, "last_name": STR,
        "email": {"type": "string", "format": "email"}, "is_email_verified": BOOL,
        "hedgehog_config": _nullable(OBJ), "role_at_organization": _nullable(STR)}},
    "ReviewQueue": {"type": "object", "properties": {
        "id": UUID, "name": STR, "description": STR, "pending_item_count": INT,
        "scorer_ids": {"type": "array", "items": UUID}, "required_scorer_ids": REQUIRED_SCORERS,
        "created_at": TIME, "updated_at": TIME, "created_by": _ref("User"), "team": INT,
        "reviews_per_trace": REVIEWS_PER_TRACE, "blind": BLIND, "numeric_tolerance": NUMERIC_TOLERANCE,
        "assignee_ids": ASSIGNEE_IDS}},
    "ReviewQueueItem": {"type": "object", "properties": {
        "id": UUID, "queue_id": UUID, "queue_name": STR, "trace_id": STR, "created_at": TIME, "updated_at": TIME,
        "created_by": _ref("User"), "team": INT, "claimed_by": _ref("User"), "claim_expires_at": _nullable(TIME),
        "judgment_count": {**INT, "minimum": 0, "description": (
            "Extension. Judgments saved so far (queues with several reviewers per trace; 0 otherwise).")},
        "state": ITEM_STATE}},
    "ScoreDefinitionConfig": {"description": (
        "The scorer's settings, by its kind (a kind's config takes only its own keys). Stored as sent: a key "
        "left out stays out (a missing selection_mode means single; a missing passing_rule, or null, means no "
        "pass/fail; a missing or null true_is_failure means true passes)."),
        "anyOf": [_ref("CategoricalConfig"), _ref("NumericConfig"), _ref("BooleanConfig")]},
    "CategoricalConfig": {"type": "object", "required": ["options"], "additionalProperties": False, "properties": {
        "options": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["key", "label"],
            "description": "Other keys in an option are dropped.",
            "properties": {"key": {**STR, "maxLength": 128, "pattern": OPTION_KEY,
                                   "description": "Trimmed and lower-cased; unique."},
                           "label": {**STR, "maxLength": 256}}}},
        "selection_mode": {"type": "string", "enum": ["single", "multiple"]},
        "min_selections": _nullable({**INT, "minimum": 1, "description": "Only with multiple."}),
        "max_selections": _nullable({**INT, "minimum": 1, "description": "Only with multiple."}),
        "passing_rule": _nullable({"type": "object", "required": ["categories"], "additionalProperties": False,
                                   "description": (
            "A result passes when every selected option is one of these (an empty selection only when the list "
            "is empty). Single selection needs at least one; stored sorted."),
            "properties": {"categories": {"type": "array", "items": {**STR, "maxLength": 128}}}})}},
    "NumericConfig": {"type": "object", "additionalProperties": False, "properties": {
        "min": _nullable({"type": "number"}), "max": _nullable({"type": "number"}),
        "step": _nullable({"type": "number", "description": "Greater than 0; counted from min (or 0)."}),
        "passing_rule": _nullable({"type": "object", "required": ["operator", "threshold"],
                                   "additionalProperties": False, "description": (
            "A value passes when it is at or above (gte) or at or below (lte) the threshold, which lies within "
            "min and max."),
            "properties": {"operator": {"type": "string", "enum": ["gte", "lte"]},
                           "threshold": {"type": "number"}}})}},
    "BooleanConfig": {"type": "object", "additionalProperties": False, "properties": {
        "true_label": _nullable(STR), "false_label": _nullable(STR),
        "true_is_failure": _nullable({**BOOL, "description": "true: false passes. Left out, false or null: true "
                                                             "passes."})}},
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
        "id": UUID, "trace_id": STR,
        "trace_url": {"type": "string", "description": (
            "The trace in PostHog's address shape, {site}/project/{project_id}/ai-observability/traces/{trace_id} "
            "(the id not URL-encoded): reviewapp serves it as a redirect to its trace page. The site is "
            "REVIEWAPP_SITE_URL, or the address the request came to.")},
        "comment": _nullable(STR), "created_at": TIME, "updated_at": TIME,
        "created_by": _ref("User"), "reviewed_by": _ref("User"), "team": INT,
        "scores": {"type": "array", "items": _ref("Score")},
        "queue_id": _nullable({**UUID, "description": "Extension: the queue whose item this review completed."}),
        "time_spent_seconds": _nullable({"type": "number", "description": (
            "Extension: the reviewer's time on the trace, added up over saves.")}),
        "resolution": RESOLUTION}},
    "ReviewChange": {"type": "object", "description": (
        "Extension: one change to a review (PostHog has no history). Entries are only added: every creation, "
        "edit and deletion of the trace's final review, in the transaction of the write. An edit that changes "
        "nothing is not recorded, unless it makes someone else the reviewer."), "properties": {
        "id": UUID, "subject": {"type": "string", "enum": ["review", "judgment"], "description": (
            "What changed: the trace's final review, or one reviewer's judgment (queues with several reviewers "
            "per trace; blind review leaves out what the caller may not see yet).")},
        "review_id": _nullable(UUID), "trace_id": STR,
        "action": {"type": "string", "enum": ["created", "updated", "deleted", "adjudicated"]},
        "actor": _ref("User"),  # who made the change; null for a user since removed
        "created_at": TIME,
        "before": _nullable_ref("ReviewSnapshot"), "after": _nullable_ref("ReviewSnapshot"), "team": INT}},
    "ReviewSnapshot": {"type": "object", "description": (
        "A review's values as a change found or left them: null before a creation and after a deletion."),
        "properties": {
            "comment": _nullable(STR),
            "reviewed_by": {"type": "object", "nullable": True, "description": (
                "Who the review named as its reviewer, with their name at the time."),
                "properties": {"id": INT, "name": STR}},
            "scores": {"type": "array", "items": _ref("ReviewSnapshotScore"), "description": "By scorer name."}}},
    "ReviewSnapshotScore": {"type": "object", "properties": {
        "definition_id": UUID, "definition_name": {**STR, "description": "The scorer's name at the time."},
        "definition_kind": KIND, "definition_version_id": UUID, "definition_version": INT,
        "categorical_values": _nullable({"type": "array", "items": STR}),
        "numeric_value": _nullable({"type": "string", "pattern": r"^-?\d+\.\d{6}$"}),
        "boolean_value": _nullable(BOOL),
        "display_value": {**STR, "description": (
            "The value in words, as the pages show it: option labels, the boolean's label, the number.")},
        "passed": _nullable({**BOOL, "description": (
            "Whether the value passed its version's passing rule; null when the version has none.")})}},
    "ScoreInput": {"type": "object", "required": ["definition_id"], "properties": {
        "definition_id": UUID, "definition_version_id": UUID,
        "categorical_values": {"type": "array", "items": STR}, "numeric_value": NUMBER_OR_TEXT,
        "boolean_value": BOOL}},
    "Trace": {"type": "object", "description": "A stored trace in the list: its summary and review state.",
              "properties": {**TRACE_SUMMARY, **TRACE_STATE, **TRACE_EVALUATIONS}},
    "TraceDetail": {"type": "object", "description": "One trace with its events, span tree and conversation.",
                    "properties": {
                        **TRACE_SUMMARY, **TRACE_STATE,
                        "queue_item": _nullable_ref("ReviewQueueItem"), "review": _nullable_ref("TraceReview"),
                        "events": {"type": "array", "items": {"type": "object", "properties": {
                            "uuid": STR, "event": STR, "distinct_id": _nullable(STR), "timestamp": _nullable(TIME),
                            "span_id": _nullable(STR), "parent_id": _nullable(STR), "properties": OBJ}}},
                        "spans": {"type": "array", "description": (
                            "The span tree flattened depth-first (a parent before its children): the root has "
                            "depth 0 and no parent_index; every other span names its parent's position in the list."),
                            "items": {"type": "object", "required": ["id", "kind", "depth", "parent_index"],
                                      "properties": {
                                "id": STR, "kind": STR, "name": _nullable(STR), "event_uuid": _nullable(STR),
                                "parent_id": _nullable(STR), "parent_index": _nullable({**INT, "minimum": 0}),
                                "depth": {**INT, "minimum": 0}, "timestamp": _nullable(TIME),
                                "model": _nullable(STR), "provider": _nullable(STR),
                                "latency_seconds": _nullable({"type": "number"}),
                                "input_tokens": _nullable(INT), "output_tokens": _nullable(INT),
                                "total_cost_usd": _nullable({"type": "number"}), "is_error": BOOL,
                                "error": {"nullable": True}}}},
                        "conversation": {"type": "array", "items": OBJ,
                                         "description": "The messages of the thread, in order."}}},
    "BulkAddResult": {"type": "object", "properties": {
        "added": {"type": "array", "items": _ref("ReviewQueueItem")},
        "skipped": {"type": "array", "items": {"type": "object", "properties": {
            "trace_id": STR, "reason": STR, "detail": STR}}}}},
}


def _exact(schema: dict[str, Any]) -> dict[str, Any]:
    """Every property is sent, and nothing else: a field the API adds must be documented here first."""
    return {**schema, "required": list(schema["properties"]), "additionalProperties": False}


# Applied here rather than in each entry above, so an entry stays a plain list of its fields.
for _name in ("User", "ReviewQueue", "ReviewQueueItem", "ScoreDefinition", "ScoreDefinitionVersion", "Score",
              "TraceReview", "Trace", "TraceDetail", "BulkAddResult", "ReviewChange", "ReviewSnapshot",
              "ReviewSnapshotScore"):
    SCHEMAS[_name] = _exact(SCHEMAS[_name])
SCHEMAS["ReviewSnapshot"]["properties"]["reviewed_by"] = _exact(SCHEMAS["ReviewSnapshot"]["properties"]["reviewed_by"])
for _name in ("Trace", "TraceDetail"):
    SCHEMAS[_name]["properties"]["queue"] = _exact(SCHEMAS[_name]["properties"]["queue"])
_events = SCHEMAS["TraceDetail"]["properties"]["events"]
_events["items"] = _exact(_events["items"])


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
    return _exact({"type": "object", "properties": properties})


def _cursor_page_of(name: str) -> dict[str, Any]:
    return _exact({"type": "object", "properties": {
        "count": {**INT, "description": "Every row, counted at request time (the cursor aside)."},
        "next_cursor": _nullable({"type": "string", "description": (
            "Pass as `cursor` for the next page; null on the last page. Pages hold still when rows are added.")}),
        "results": {"type": "array", "items": _ref(name)}}})


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"required": True, "content": {"application/json": {"schema": schema}}}


LIST_PARAMS = ["limit", "offset", "order_by", "search"]
HISTORY_PARAMS = ["limit", "offset", ("order_by", {"type": "string", "enum": ["created_at", "-created_at"],
                                                   "description": "Default: newest first (-created_at)."})]

# (path, method): (summary, scope, query parameters, request body, status, response schema)
OPERATIONS: dict[tuple[str, str], tuple] = {
    ("/review_queues/", "get"): ("List review queues", "read", LIST_PARAMS + ["name"], None, 200,
                                 _page_of("ReviewQueue")),
    ("/review_queues/", "post"): ("Create a review queue", "write", [], _body(
        {"name": NAME, "description": STR, "scorer_ids": {"type": "array", "items": UUID},
         "required_scorer_ids": REQUIRED_SCORERS, **QUEUE_SETTINGS_INPUT}, ["name"]), 201,
        _ref("ReviewQueue")),
    ("/review_queues/{id}/", "get"): ("Retrieve a review queue", "read", [], None, 200, _ref("ReviewQueue")),
    ("/review_queues/{id}/", "patch"): ("Rename a review queue or change its settings", "write", [], _body(
        {"name": NAME, "description": STR, "scorer_ids": {"type": "array", "items": UUID},
         "required_scorer_ids": REQUIRED_SCORERS, **QUEUE_SETTINGS_INPUT}), 200,
        _ref("ReviewQueue")),
    ("/review_queues/{id}/", "delete"): ("Delete a review queue and its items", "write", [], None, 204, None),
    ("/review_queues/{id}/claim_next/", "post"): ("Claim the next item under a lease (204 when none)", "write",
                                                  [], None, 200, _ref("ReviewQueueItem")),
    ("/review_queue_items/", "get"): ("List pending items", "read",
                                      LIST_PARAMS + ["queue_id", "trace_id", "trace_id__in"], None, 200,
                                      _page_of("ReviewQueueItem")),
    ("/review_queue_items/", "post"): ("Queue a trace", "write", [], _body({"queue_id": UUID, "trace_id": TRACE_ID},
                                                                         ["queue_id", "trace_id"]), 201,
                                       _ref("ReviewQueueItem")),
    ("/review_queue_items/bulk/", "post"): ("Queue many traces, with a per-trace report", "write", [], _body(
        {"queue_id": UUID, "trace_ids": {"type": "array", "items": STR}}, ["queue_id", "trace_ids"]), 200,
        _ref("BulkAddResult")),
    ("/review_queue_items/{id}/", "get"): ("Retrieve an item", "read", [], None, 200, _ref("ReviewQueueItem")),
    ("/review_queue_items/{id}/", "patch"): ("Move an item to another queue", "write", [],
                                             _body({"queue_id": UUID}, ["queue_id"]), 200, _ref("ReviewQueueItem")),
    ("/review_queue_items/{id}/", "delete"): ("Remove an item", "write", [], None, 204, None),
    ("/review_queue_items/{id}/adjudicate/", "post"): (
        "Extension (admins): settle an item whose judgments disagree; answers the trace's final review", "write", [],
        _body({"scores": {"type": "array", "items": _ref("ScoreInput"), "description": (
                   "The final scores: per scorer a judgment's value or the adjudicator's own, validated as a "
                   "review's.")},
               "comment": _nullable({**STR, "description": "The adjudicator's note: the final review's comment."})},
              ["scores"]), 200, _ref("TraceReview")),
    ("/score_definitions/", "get"): ("List score definitions", "read", LIST_PARAMS + ["archived", "kind"], None,
                                     200, _page_of("ScoreDefinition")),
    ("/score_definitions/", "post"): ("Create a score definition (version 1)", "write", [], _body(
        {"name": NAME, "description": STR, "kind": KIND, "archived": BOOL,
         "config": _ref("ScoreDefinitionConfig")},
        ["name", "kind", "config"]), 201, _ref("ScoreDefinition")),
    ("/score_definitions/{id}/", "get"): ("Retrieve a score definition", "read", [], None, 200,
                                          _ref("ScoreDefinition")),
    ("/score_definitions/{id}/", "patch"): ("Update name, description or archived", "write", [], _body(
        {"name": NAME, "description": STR, "archived": BOOL}), 200, _ref("ScoreDefinition")),
    ("/score_definitions/{id}/new_version/", "post"): (
        "Create the next config version, with any new name or description (409 if stale: then nothing changes)",
        "write", [], _body({"config": _ref("ScoreDefinitionConfig"),
                            "base_version": {**INT, "minimum": 1, "description": "The version the change builds on."},
                            "name": NAME, "description": _nullable({**STR, "description": "null is stored as \"\"."}),
                            "kind": {**STR, "description": "Ignored: the scorer's kind stays."}},
                           ["config"]), 200, _ref("ScoreDefinition")),
    ("/score_definitions/{id}/versions/", "get"): ("List versions, newest first, by cursor", "read",
                                                   [("limit", CURSOR_LIMIT), ("cursor", CURSOR)], None, 200,
                                                   _cursor_page_of("ScoreDefinitionVersion")),
    ("/score_definitions/{id}/versions/{version_id}/", "get"): ("Retrieve a version", "read", [], None, 200,
                                                                _ref("ScoreDefinitionVersion")),
    ("/trace_reviews/", "get"): ("List trace reviews", "read",
                                 LIST_PARAMS + ["trace_id", "trace_id__in", "definition_id", "definition_id__in"],
                                 None, 200, _page_of("TraceReview")),
    ("/trace_reviews/", "post"): ("Review a trace (completes its queue item; a 400 on trace_id while blind review "
                                  "hides the trace's other work from the caller)", "write", [], _body(
        {"trace_id": TRACE_ID, "comment": _nullable(STR), "queue_id": _nullable(UUID), "time_spent_seconds": TIME_SPENT,
         "scores": {"type": "array", "items": _ref("ScoreInput")}}, ["trace_id"]), 201, _ref("TraceReview")),
    ("/trace_reviews/export/", "get"): ("Export reviews as CSV or JSON Lines (streamed)", "read",
                                        ["format", "form", "search", "trace_id", "trace_id__in", "definition_id",
                                         "definition_id__in"], None, 200, None),
    ("/trace_reviews/{id}/", "get"): ("Retrieve a review", "read", [], None, 200, _ref("TraceReview")),
    ("/trace_reviews/{id}/", "patch"): ("Update comment or replace scores", "write", [], _body(
        {"trace_id": {**STR, "description": "Optional; must be the review's own trace (it cannot change)."},
         "comment": _nullable(STR), "queue_id": _nullable(UUID), "time_spent_seconds": TIME_SPENT,
         "scores": {"type": "array", "items": _ref("ScoreInput")}}),
        200, _ref("TraceReview")),
    ("/trace_reviews/{id}/", "delete"): ("Delete a review", "write", [], None, 204, None),
    ("/trace_reviews/{id}/history/", "get"): (
        "Extension: the review's history, newest first (a deleted review's too)", "read", HISTORY_PARAMS, None, 200,
        _page_of("ReviewChange")),
    ("/traces/", "get"): ("List stored traces", "read",
                          LIST_PARAMS + ["model", "date_from", "date_to", "errors_only", "evaluation_failed",
                                         "review_state"], None, 200,
                          _page_of("Trace", capped=True)),
    # Before traces/{trace_id}/, whose trace_id may hold slashes: this path is matched first.
    ("/traces/{trace_id}/review_history/", "get"): (
        "Extension: the history of every review the trace has had, deleted ones included, newest first", "read",
        HISTORY_PARAMS, None, 200, _page_of("ReviewChange")),
    ("/traces/{trace_id}/evaluations/", "get"): (
        "Extension: a trace's evaluation results, oldest first", "read", [], None, 200, _ref("TraceEvaluations")),
    ("/traces/{trace_id}/", "get"): ("Retrieve a trace with events, tree, review and queue", "read", [], None, 200,
                                     _ref("TraceDetail")),
}

# --- judgments (issue 11: several reviewers per trace) -------------------------------------------------
SCHEMAS["Judgment"] = _exact({"type": "object", "description": (
    "Extension: one reviewer's scores and comment for a trace in a queue with several reviewers per trace. When "
    "the queue's last judgment of a trace lands, agreeing judgments become its final review (resolution "
    "consensus); otherwise the item needs a decision."), "properties": {
    "id": UUID, "queue_id": UUID, "item_id": UUID, "trace_id": STR,
    "reviewer": _ref("User"),  # null for a user since removed
    "comment": _nullable(STR),
    "time_spent_seconds": _nullable({"type": "number", "description": "The reviewer's time on the trace."}),
    "scores": {"type": "array", "items": _ref("Score"), "description": "By scorer name, as a review's."},
    "created_at": TIME, "updated_at": TIME}})
_JUDGMENT_ORDER = ("order_by", {"type": "string", "enum": ["created_at", "-created_at", "updated_at", "-updated_at"],
                                "description": "Default: newest first (-created_at)."})
OPERATIONS.update({
    ("/judgments/", "get"): (
        "Extension: list judgments; in a blind queue, others' judgments of a trace you have not judged are left "
        "out (admins see all)", "read",
        ["limit", "offset", _JUDGMENT_ORDER, "queue_id", "trace_id", ("reviewer_id", INT), "definition_id"],
        None, 200, _page_of("Judgment")),
    ("/judgments/", "post"): (
        "Extension: judge a trace pending in a queue with several reviewers per trace (once per reviewer)",
        "write", [], _body({"queue_id": UUID, "trace_id": TRACE_ID, "comment": _nullable(STR),
                            "time_spent_seconds": TIME_SPENT, "scores": {"type": "array", "items": _ref("ScoreInput")}},
                           ["queue_id", "trace_id"]), 201, _ref("Judgment")),
    ("/judgments/{id}/", "get"): ("Extension: retrieve a judgment (404 while blind review hides it)", "read", [],
                                  None, 200, _ref("Judgment")),
    ("/judgments/{id}/", "patch"): (
        "Extension: its author edits a judgment while the trace is open (others: 403); time_spent_seconds is "
        "added to the judgment's", "write", [],
        _body({"comment": _nullable(STR), "scores": {"type": "array", "items": _ref("ScoreInput")},
               "time_spent_seconds": TIME_SPENT}), 200,
        _ref("Judgment")),
})

# --- agreement between reviewers (issue 12) ----------------------------------------------------------
_NUM = _nullable({"type": "number"})
_AGREEMENT_REVIEWER = _exact({"type": "object", "properties": {"id": INT, "name": STR}})
SCHEMAS["AgreementVersion"] = _exact({"type": "object", "description": (
    "Extension: agreement between the reviewers of one scorer version in the queue, over its items with at least "
    "two judgments. Numbers that cannot be computed (too few items, one category used by everyone…) are null."),
    "properties": {
    "definition_id": UUID, "name": STR, "kind": KIND, "version": {**INT, "minimum": 1},
    "level": {"type": "string", "enum": ["nominal", "interval", "ordinal", "masi"], "description": (
        "The difference α uses: nominal (single-choice categorical, boolean), interval (numeric), MASI "
        "(multi-select categorical), ordinal when asked for with ordinal=true (numeric; single choice in the order "
        "the scorer lists its options).")},
    "items": {**INT, "minimum": 0, "description": "Items with at least two judgments of this version."},
    "judgments": {**INT, "minimum": 0, "description": "The judgments of those items."},
    "percent_agreement": _nullable({"type": "number", "minimum": 0, "maximum": 1, "description": (
        "Per item, the share of pairs of its judgments that agree; averaged over the items.")}),
    "fleiss_kappa": _nullable({"type": "number", "description": (
        "Only at the nominal level, when every item has the same number of judgments.")}),
    "fleiss_kappa_interval": _nullable({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
                                        "description": "The 95% bootstrap interval of Fleiss' κ over items."}),
    "alpha": _nullable({"type": "number", "description": "Krippendorff's α at `level`."}),
    "alpha_interval": _nullable({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
                                 "description": "The 95% bootstrap interval of α over items (seeded)."}),
    "reading": {**STR, "description": "α in plain words; \"Not enough data\" below the minimum of items."},
    "reviewers": {"type": "array", "items": _AGREEMENT_REVIEWER},
    "pairwise": {"type": "array", "description": "Cohen's κ of every pair of reviewers with common items.",
                 "items": _exact({"type": "object", "properties": {
                     "a": INT, "b": INT, "kappa": _NUM, "items": {**INT, "minimum": 0}}})},
    "calibration": {"type": "array", "description": (
        "Each reviewer against the final reviews (consensus or adjudicated) of the items they judged."),
        "items": _exact({"type": "object", "properties": {
            "reviewer": _AGREEMENT_REVIEWER, "judgments": INT, "compared": INT, "agreed": INT,
            "agreement": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "adjudicated": INT, "overruled": INT}})},
    "disagreements": {"type": "array", "description": "The items that split reviewers most (at most 10).",
                      "items": _exact({"type": "object", "properties": {
                          "item_id": UUID, "trace_id": STR, "distinct": INT, "spread": _NUM,
                          "needs_decision": BOOL,
                          "answers": {"type": "array", "items": _exact({"type": "object", "properties": {
                              "reviewer": STR, "answer": STR}})}}})},
}})
SCHEMAS["Agreement"] = _exact({"type": "object", "properties": {
    "queue_id": UUID, "queue_name": STR, "reviews_per_trace": {**INT, "minimum": 1},
    "results": {"type": "array", "items": _ref("AgreementVersion"),
                "description": "Per scorer version judged in the queue: by scorer name, newest version first."}}})
OPERATIONS.update({
    ("/agreement/", "get"): (
        "Extension: agreement between reviewers in a queue, per scorer version (over the judgments blind review lets "
        "the caller see)", "read",
        [("queue_id", {**UUID, "description": "Required: the queue."}), "definition_id",
         ("version", {**INT, "minimum": 1, "description": "With definition_id: that version only."}),
         ("ordinal", {**BOOL, "description": "α with the ordinal difference where the scorer allows it."})],
        None, 200, _ref("Agreement")),
})
STRICT_JUDGE_AGREEMENT = (
    "Only evaluation_id: a parameter given twice or any other is a 400 naming it in `attr`; an evaluation of "
    "another project is a 404.")
STRICT_AGREEMENT = (
    "queue_id is required. Only queue_id, definition_id, version and ordinal: a parameter given twice (\"Supply "
    "this parameter once.\") or any other (\"Unsupported query parameter.\") is a 400 naming it in `attr`, as is "
    "a malformed value or a version without definition_id. A queue of another project is a 404.")

# --- queue rules (issue 14) ----------------------------------------------------------------------------
_CONDITION_FIELDS = list(rule_conditions.FIELDS)
SCHEMAS["QueueRuleCondition"] = {"type": "object", "required": ["field", "value"], "description": (
    "One condition; a rule's conditions must all hold. Numbers (cost in USD, latency in seconds, input_tokens, "
    "output_tokens, total_tokens) compare the trace's summary with op gte (the default) or lte. error: value true "
    "or false. model: one of the models the trace used, exactly. provider: `$ai_provider` of any of the trace's "
    "events. property: the property `key` of any of the trace's events (not evaluation results), as text (a number "
    "or boolean as its JSON), compared without case, as provider is. text: in the trace id, name, input or output "
    "preview or distinct id, without case, as the traces list's search. user: the distinct id; session: the session "
    "id, exactly. evaluation: a result of the evaluation `key` (its $ai_evaluation_id, else its name) with this "
    "outcome (pass, fail, na, skipped, unknown)."), "properties": {
    "field": {"type": "string", "enum": _CONDITION_FIELDS},
    "op": {"type": "string", "enum": ["gte", "lte", "is", "contains"], "description": (
        "gte or lte for numbers; answered as is (contains for text) for the rest."
    )},
    "value": {"oneOf": [{"type": "number"}, {"type": "string"}, {"type": "boolean"}]},
    "key": {**STR, "maxLength": 255, "description": "The property's name, or the evaluation's key."}}}
_RULE_INPUT = {
    "name": NAME,
    "conditions": {"type": "array", "maxItems": rule_conditions.CONDITIONS_MAX,
                   "items": _ref("QueueRuleCondition"), "description": "All must hold; [] (the default): every trace."},
    "sample_percent": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": 100, "default": 100,
                       "description": (
        "The share of matching traces added, decided from a hash of the rule id and the trace id: stable, the "
        "same on every batch and in a backfill.")},
    "daily_cap": _nullable({**INT, "minimum": 1, "maximum": 1_000_000, "description": (
        "At most this many additions per UTC day; null (the default): no cap.")}),
    "paused": {**BOOL, "default": False, "description": "A paused rule adds nothing as traces arrive."}}
SCHEMAS["QueueRule"] = _exact({"type": "object", "description": (
    "Extension: a rule of a queue. As traces arrive (each batch that changes a trace's summary) and by a backfill "
    "over stored traces, it adds the traces that meet its conditions to its queue: at most once per rule, never "
    "while the trace is pending in a queue or once it has a review. When two rules match a trace, the older adds "
    "it."), "properties": {
    "id": UUID, "queue_id": UUID, "name": STR,
    "description": {**STR, "description": "The rule in words."},
    "conditions": {"type": "array", "items": _ref("QueueRuleCondition")},
    "sample_percent": {"type": "number"}, "daily_cap": _nullable(INT), "paused": BOOL,
    "added_count": {**INT, "minimum": 0, "description": "Traces the rule added, in all."},
    "added_today": {**INT, "minimum": 0, "description": "Traces the rule added this UTC day."},
    "last_added_at": _nullable(TIME),
    "created_at": TIME, "updated_at": TIME, "created_by": _ref("User"), "team": INT}})
SCHEMAS["QueueRuleAddition"] = _exact({"type": "object", "description": "A trace the rule added, and when.",
                                       "properties": {
    "trace_id": STR, "item_id": _nullable(UUID),
    "source": {"type": "string", "enum": ["ingest", "backfill"]}, "added_at": TIME}})
SCHEMAS["QueueRulePreview"] = _exact({"type": "object", "description": (
    f"What a backfill would do now, over the newest {queue_rules.BACKFILL_MAX:,} stored traces that match."),
    "properties": {
    "matching": {**INT, "description": "Stored traces meeting the conditions (no further than the cap)."},
    "matching_is_capped": {**BOOL, "description": "More traces match than a backfill considers."},
    "sampled": {**INT, "description": "Of those, the ones in the rule's sampled share."},
    "addable": {**INT, "description": "Of those, not added by the rule yet, pending in no queue, not reviewed."},
    "would_add": {**INT, "description": "Of those, within what today's cap leaves."}}})
SCHEMAS["QueueRuleBackfill"] = _exact({"type": "object", "properties": {
    "added": {**INT, "minimum": 0, "description": "Traces the backfill added."}}})
OPERATIONS.update({
    ("/queue_rules/", "get"): ("Extension: list queue rules, oldest first", "read", ["limit", "offset", "queue_id"],
                               None, 200, _page_of("QueueRule")),
    ("/queue_rules/", "post"): ("Extension (admins): add a rule to a queue", "write", [],
                                _body({"queue_id": UUID, **_RULE_INPUT}, ["queue_id", "name"]), 201,
                                _ref("QueueRule")),
    ("/queue_rules/{id}/", "get"): ("Extension: retrieve a queue rule", "read", [], None, 200, _ref("QueueRule")),
    ("/queue_rules/{id}/", "patch"): ("Extension (admins): change, pause or resume a queue rule", "write", [],
                                      _body({"queue_id": UUID, **_RULE_INPUT}), 200, _ref("QueueRule")),
    ("/queue_rules/{id}/", "delete"): (
        "Extension (admins): delete a queue rule (the traces it added stay queued)", "write", [], None, 204, None),
    ("/queue_rules/{id}/preview/", "get"): ("Extension: what a backfill of the rule would add now", "read", [],
                                            None, 200, _ref("QueueRulePreview")),
    ("/queue_rules/{id}/backfill/", "post"): (
        "Extension (admins): run the rule over stored traces, paused or not, within today's cap", "write", [], None,
        200, _ref("QueueRuleBackfill")),
    ("/queue_rules/{id}/additions/", "get"): ("Extension: the traces the rule added, newest first", "read",
                                              ["limit", "offset"], None, 200, _page_of("QueueRuleAddition")),
})
# --- evaluations and the judge against people (issue 14) ----------------------------------------------
_SHARE = _nullable({"type": "number", "minimum": 0, "maximum": 1})
_COUNTS = _exact({"type": "object", "properties": {outcome: {**INT, "minimum": 0} for outcome in OUTCOME["enum"]}})
PASSING_RULE = _nullable({"type": "object", "additionalProperties": False, "description": (
    "How a score or label passes, set by an admin (PostHog keeps it on the evaluation's config, not on events): "
    "{operator: gte|lte, threshold} for a number, {categories: [...]} for labels, categories or sentiment; null for "
    "none."), "properties": {"operator": {"type": "string", "enum": ["gte", "lte"]}, "threshold": {"type": "number"},
                             "categories": {"type": "array", "items": STR}}})
SCHEMAS["Evaluation"] = _exact({"type": "object", "description": (
    "Extension: an evaluation seen in the project's $ai_evaluation events, with how its results came out."),
    "properties": {
    "id": INT, "key": {**STR, "description": "$ai_evaluation_id, or the name when events carry no id."},
    "name": {**STR, "description": "The latest $ai_evaluation_name seen."}, "runtime": _nullable(STR),
    "result_type": STR,
    "true_is_failure": {**BOOL, "description": "A detector: a true result is a failure."},
    "passing_rule": PASSING_RULE, "score_definition_id": _nullable({**UUID, "description": (
        "The scorer people use for the same question: the judge is compared with their reviews.")}),
    "results": {**INT, "minimum": 0}, "counts": _COUNTS,
    "pass_rate": {**_SHARE, "description": "Passes among pass and fail results (skipped, N/A, unknown left out)."},
    "last_result_at": _nullable(TIME), "created_at": TIME}})
SCHEMAS["EvaluationResult"] = _exact({"type": "object", "properties": {
    "id": INT, "evaluation_id": INT, "evaluation_name": STR, "trace_id": STR,
    "target_kind": {"type": "string", "enum": ["generation", "span", "trace", "session"]},
    "target_id": _nullable(STR), "outcome": OUTCOME, "result_type": STR, "boolean_result": _nullable(BOOL),
    "numeric_result": _nullable({"type": "number"}), "labels": _nullable({"type": "array", "items": STR}),
    "skip_reason": _nullable(STR), "reasoning": _nullable(STR),
    "judge_model": _nullable(STR), "cost_usd": _nullable({"type": "number", "description": (
        "The judge's own cost: not in the trace's total_cost_usd.")}), "timestamp": TIME}})
SCHEMAS["JudgeComparison"] = _exact({"type": "object", "description": (
    "The judge against one human source over the traces both decided (pass or fail)."), "properties": {
    "against": {**STR, "description": "\"Final review\", or the reviewer's name."}, "reviewer_id": _nullable(INT),
    "traces": {**INT, "minimum": 0},
    "confusion": _exact({"type": "object", "properties": {
        f"judge_{judge}_people_{people}": {**INT, "minimum": 0} for judge in ("pass", "fail")
        for people in ("pass", "fail")}}),
    "accuracy": _SHARE, "kappa": _nullable({"type": "number", "description": "Cohen's κ."}),
    "kappa_interval": _nullable({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
                                 "description": "The 95% bootstrap interval of κ over traces (seeded)."}),
    "precision_fail": {**_SHARE, "description": "Of the traces the judge failed, the share people failed."},
    "recall_fail": {**_SHARE, "description": "Of the traces people failed, the share the judge failed."},
    "reading": STR}})
SCHEMAS["JudgeAgreement"] = _exact({"type": "object", "description": (
    "Extension: an evaluation mapped to a scorer against people. A trace's judge outcome: per graded target its "
    "latest result, then fail when any failed; skipped, N/A and unknown left out. People: the stored pass/fail of "
    "the final review's score (and each reviewer's judgment, or the review they saved alone)."), "properties": {
    "evaluation_id": INT, "evaluation_name": STR, "scorer_id": UUID, "scorer_name": STR,
    "judged_traces": {**INT, "minimum": 0, "description": "Reviewed traces with a judge verdict."},
    "final": _ref("JudgeComparison"), "reviewers": {"type": "array", "items": _ref("JudgeComparison")},
    "disagreements": {"type": "array", "description": "Traces where judge and final review differ (at most 100), "
                      "newest judge result first.", "items": _exact({"type": "object", "properties": {
                          "trace_id": STR, "judge": {"type": "string", "enum": ["pass", "fail"]},
                          "people": {"type": "string", "enum": ["pass", "fail"]}, "judged_at": TIME}})}}})
SCHEMAS["TraceEvaluations"] = _exact({"type": "object", "properties": {
    "trace_id": STR, "results": {"type": "array", "items": _ref("EvaluationResult")}}})
SCHEMAS["JudgeAgreements"] = _exact({"type": "object", "properties": {
    "results": {"type": "array", "items": _ref("JudgeAgreement"), "description": "By evaluation name."}}})
OPERATIONS.update({
    ("/evaluations/", "get"): ("Extension: list the evaluations seen in $ai_evaluation events, by name", "read",
                               ["limit", "offset", ("order_by", {"type": "string", "enum": ["name"],
                                                                 "description": "Always by name."})],
                               None, 200, _page_of("Evaluation")),
    ("/evaluations/{id}/", "get"): ("Extension: retrieve an evaluation", "read", [], None, 200, _ref("Evaluation")),
    ("/evaluations/{id}/", "patch"): (
        "Extension (admins): set an evaluation's polarity, passing rule or scorer; its stored results are read "
        "again under them", "write", [], _body({
            "true_is_failure": BOOL, "passing_rule": PASSING_RULE,
            "score_definition_id": _nullable(UUID)}), 200, _ref("Evaluation")),
    ("/judge_agreement/", "get"): (
        "Extension: each evaluation mapped to a scorer against people's reviews", "read",
        [("evaluation_id", {**INT, "minimum": 1, "description": "Only this evaluation."})], None, 200,
        _ref("JudgeAgreements")),
})

ERRORS = {"400": "Invalid input", "401": "No or bad credentials", "403": "Missing scope or role",
          "404": "Not found (or another project's)",
          "503": "The database is unreachable for a moment: retry after Retry-After seconds"}
# Answers only some operations give, beside their success status and ERRORS.
EXTRA_RESPONSES: dict[tuple[str, str], dict[str, Any]] = {
    ("/review_queues/{id}/claim_next/", "post"): {"204": {"description": "Nothing left to claim"}},
    ("/review_queue_items/{id}/adjudicate/", "post"): {"409": {
        "description": "The item is not waiting for a decision: already settled (by a decision or its "
                       "judgments), still collecting judgments, or taken out of its queue",
        "content": {"application/json": {"schema": _ref("Error")}}}},
    ("/score_definitions/{id}/new_version/", "post"): {"409": {
        "description": "base_version is not the current version: someone changed the scorer meanwhile",
        "content": {"application/json": {"schema": _ref("VersionConflict")}}}},
    ("/trace_reviews/export/", "get"): {"200": {"description": "The reviews, one row or line each", "content": {
        "text/csv": {"schema": STR}, "application/x-ndjson": {"schema": STR}}}},
}
TOO_LARGE = {"description": "Request body too large", "content": {"application/json": {"schema": _ref("Error")}}}
# Query parameters by name (every other one is a string).
QUERY_SCHEMAS: dict[str, Any] = {
    "limit": {**INT, "minimum": 1, "description": "Page size; default 100, more than 1,000 counts as 1,000."},
    "offset": {**INT, "format": "int64", "minimum": 0, "maximum": INT64_MAX},
    "archived": {**STR, "description": (
        "Never refused. true/True: archived only; false/False, absent or anything unrecognised: active only; "
        "1, 0, TRUE, FALSE (or padded): all; 2: none; 3: active only (as PostHog reads it).")},
    "errors_only": BOOL,
    "evaluation_failed": {**BOOL, "description": "Extension. Only traces with an evaluation result that failed."},
    "format": {"type": "string", "enum": ["csv", "jsonl"], "default": "csv"},
    "form": {"type": "string", "enum": ["long", "wide"], "description": (
        "Extension. Left out: a row per review. long: a row per judgment and scorer (trace_id, queue, reviewer, "
        "scorer, version, value, passed, comment, judged_at, final value, resolution; a review saved by one "
        "reviewer is its own judgment). wide: a row per trace: its final value per scorer, its resolution, then a "
        "column per reviewer and scorer named \"<reviewer email> · <scorer>\". Blind review applies.")},
    "kind": {"type": "string", "enum": list(KINDS)},
    "review_state": {"type": "string", "enum": list(REVIEW_STATES)},
}


# The reads that refuse what they do not take, as PostHog's newer read endpoints do.
STRICT = {
    ("/score_definitions/{id}/versions/", "get"): (
        "Only `limit` and `cursor`: once both are valid, a parameter given twice (\"Supply this parameter once.\") "
        "or any other parameter (\"Unsupported query parameter.\") is a 400 naming it in `attr`. A cursor that "
        "does not decode is a 400 \"Provide a valid continuation cursor.\" on `cursor`."),
    ("/score_definitions/{id}/versions/{version_id}/", "get"): (
        "Takes no query parameter: any is a 400 \"This parameter is not supported.\" naming it in `attr` (before "
        "the scorer is looked up). A version_id that is no UUID is a 400 on `version_id`; a version the scorer "
        "does not have is a 404 \"Scorer version not found.\"."),
    ("/agreement/", "get"): STRICT_AGREEMENT,
    ("/judge_agreement/", "get"): STRICT_JUDGE_AGREEMENT,
}


def _operation(path: str, method: str, spec: tuple) -> dict[str, Any]:
    summary, scope, params, body, status, response = spec
    parameters = [{"name": "project_id", "in": "path", "required": True,
                   "schema": {**INT, "format": "int32", "maximum": ID_MAX}}]
    for name in ("id", "version_id", "trace_id"):
        if "{" + name + "}" in path:
            parameters.append({"name": name, "in": "path", "required": True, "schema": STR})
    for param in params:  # a name, or (name, schema) where the operation reads it its own way
        name, schema = param if isinstance(param, tuple) else (param, QUERY_SCHEMAS.get(param, STR))
        parameters.append({"name": name, "in": "query", "required": False, "schema": schema})
    responses: dict[str, Any] = {str(status): {"description": "OK"}}
    if response is not None:
        responses[str(status)]["content"] = {"application/json": {"schema": response}}
    for code, text in ERRORS.items():
        responses[code] = {"description": text, "content": {"application/json": {"schema": _ref("Error")}}}
    responses["503"]["headers"] = {"Retry-After": {"description": "Seconds to wait before retrying",
                                                   "schema": INT}}
    if method in ("post", "patch"):  # every write reads its body, within API_MAX_BODY_BYTES
        responses["413"] = TOO_LARGE
    responses.update(EXTRA_RESPONSES.get((path, method), {}))
    operation = {"summary": summary, "parameters": parameters, "responses": responses,
                 "security": [{"PersonalApiKey": [f"llm_analytics:{scope}"]}]}
    if body:
        operation["requestBody"] = body
    if (path, method) in STRICT:
        operation["description"] = STRICT[(path, method)]
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
