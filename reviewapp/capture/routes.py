"""Capture routes: the paths PostHog's SDKs post to, authenticated by the project token."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from reviewapp.capture import bp
from reviewapp.capture.payload import decode_body
from reviewapp.http_errors import RequestError, request_error_json, too_large
from reviewapp.models import Project
from reviewapp.services import accounts
from reviewapp.services.ingest.posthog import ingest_batch, ingest_each

# `/batch/` is the Python and Node SDKs' default, `/i/v0/ai/batch/` the Python SDK's AI lane; the rest take one
# event or a list (the browser SDK and older clients).
BATCH_PATHS = ("/batch", "/i/v0/ai/batch", "/e", "/i/v0/e", "/capture", "/track")
V1_PATH = "/i/v1/analytics/events"
TOKEN_FIELDS = ("api_key", "token")


bp.register_error_handler(RequestError, request_error_json)


@bp.after_request
def _allow_browsers(response: Response) -> Response:
    # The browser SDK posts from the product's own origin; the project token is public by design.
    response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Content-Encoding, Authorization"
    response.headers["Vary"] = "Origin"
    return response


def _routes(path: str, view: Callable[[], ResponseReturnValue], endpoint: str) -> None:
    for rule in (path, path + "/"):
        bp.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=["GET", "POST", "OPTIONS"])


def _preflight_or_refuse_get() -> ResponseReturnValue | None:
    """None for a POST; the answer to a browser's preflight or to a GET (which carries no events here)."""
    if request.method == "OPTIONS":
        return "", 204
    if request.method in ("GET", "HEAD"):
        raise RequestError(405, "method_not_allowed", f'Method "{request.method}" not allowed: POST the events.',
                           allow=("OPTIONS", "POST"))
    return None


def capture_batch() -> ResponseReturnValue:
    """Events in any of the v0 shapes; the whole request is stored or nothing is."""
    if (answer := _preflight_or_refuse_get()) is not None:
        return answer
    payload = _payload()
    events = _events(payload)
    project = _project(_token(payload, events))
    ingest_batch(project.id, events, sent_at=payload.get("sent_at") if isinstance(payload, dict) else None,
                 query_ms=request.args.get("_"))
    return jsonify({"status": 1})


def capture_v1() -> ResponseReturnValue:
    """Capture v1: bearer token, and a verdict per event so one bad event does not cost the others."""
    if (answer := _preflight_or_refuse_get()) is not None:
        return answer
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestError(401, "not_authenticated",
                           "Send the project token as 'Authorization: Bearer <project token>'.")
    project = _project(token.strip())
    payload = _payload()
    if not isinstance(payload, dict) or not isinstance(payload.get("batch"), list):
        raise RequestError(400, "required", 'The body must be an object with a "batch" list of events.', "batch")
    for index, event in enumerate(payload["batch"]):
        # The uuid keys the answer, so it must be a string (any other value could be unhashable or too deep to print).
        if not isinstance(event, dict) or not isinstance(event.get("uuid"), str) or not event["uuid"].strip():
            raise RequestError(400, "required", "Every capture v1 event needs a uuid.", f"batch[{index}].uuid")
    outcomes, _ = ingest_each(project.id, payload["batch"], sent_at=payload.get("sent_at"))
    results: dict[str, dict[str, str]] = {}
    for outcome in outcomes:
        verdict = {"result": outcome.result}
        if outcome.details:
            verdict["details"] = outcome.details
        results[str(outcome.uuid)] = verdict
    return jsonify({"results": results})


for _path in BATCH_PATHS:
    _routes(_path, capture_batch, "batch" if _path == "/batch" else _path.strip("/").replace("/", "_"))
_routes(V1_PATH, capture_v1, "v1_events")


def _payload() -> Any:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_large(limit) from None
    return decode_body(
        raw,
        content_type=request.headers.get("Content-Type", ""),
        content_encoding=request.headers.get("Content-Encoding", ""),
        compression=request.args.get("compression", ""),
        max_bytes=current_app.config["CAPTURE_MAX_DECOMPRESSED_BYTES"],
    )


def _events(payload: Any) -> list[Any]:
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        raise RequestError(400, "invalid_input", "The body must be an event, a list of events or a batch object.")
    if "batch" in payload:
        if not isinstance(payload["batch"], list):
            raise RequestError(400, "invalid_input", '"batch" must be a list of events.', "batch")
        return payload["batch"]
    if "event" in payload:
        return [payload]
    raise RequestError(400, "required", 'The body has neither a "batch" list nor an "event".', "batch")


def _token(payload: Any, events: list[Any]) -> str | None:
    """The project token: top level, or on the events (`api_key`, `token`, or `properties.token`)."""
    if isinstance(payload, dict):
        for name in TOKEN_FIELDS:
            if isinstance(payload.get(name), str) and payload[name].strip():
                return payload[name].strip()
    for event in events:
        if not isinstance(event, dict):
            continue
        properties: dict[str, Any] = event["properties"] if isinstance(event.get("properties"), dict) else {}
        for value in (event.get("api_key"), event.get("token"), properties.get("token")):
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _project(token: str | None) -> Project:
    if not token:
        raise RequestError(401, "not_authenticated",
                           'Project token is missing: send it as "api_key" or "token" in the body, '
                           'or in the event\'s properties.token.')
    project = accounts.find_project_by_token(token)
    if project is None:
        raise RequestError(401, "authentication_failed", "Project token is invalid.")
    return project
