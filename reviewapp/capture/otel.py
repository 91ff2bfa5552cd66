"""OTLP over HTTP at PostHog's `/i/v0/ai/otel` paths: traces (the PostHog span processor posts to the bare path,
exporters configured by environment variables to `/v1/traces`) and evaluation logs, protobuf or OTLP/JSON, gzip
or not, with `Authorization: Bearer <project token>`."""
from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from reviewapp.capture import bp
from reviewapp.capture.payload import inflate
from reviewapp.http_errors import RequestError, too_large
from reviewapp.models import Project
from reviewapp.services import accounts
from reviewapp.services.errors import ValidationError
from reviewapp.services.ingest import otlp
from reviewapp.services.ingest.otel_ingest import OtelResult, ingest_logs, ingest_spans

TRACE_PATHS = ("/i/v0/ai/otel", "/i/v0/ai/otel/", "/i/v0/ai/otel/v1/traces")
LOG_PATHS = ("/i/v0/ai/otel/v1/logs", "/i/v0/ai/otel/v1/logs/")
MAX_TOKEN_LENGTH = 64
T = TypeVar("T")


def otel_traces() -> ResponseReturnValue:
    return _export(lambda raw: otlp.json_spans(otlp.json_document(raw)), otlp.protobuf_spans, ingest_spans,
                   "rejectedSpans")


def otel_logs() -> ResponseReturnValue:
    return _export(lambda raw: otlp.json_logs(otlp.json_document(raw)), otlp.protobuf_logs, ingest_logs,
                   "rejectedLogRecords")


def _export(json_reader: Callable[[bytes], Iterable[T]], protobuf_reader: Callable[[bytes], Iterable[T]],
            ingest: Callable[[int, Iterable[T]], OtelResult], rejected_key: str) -> ResponseReturnValue:
    """One OTLP export endpoint: the body read by the reader of its encoding, its items stored by `ingest`, and
    OTLP's answer naming the rejected items under `rejected_key`."""
    if request.method != "POST":
        return _preflight_or_refusal()
    project, raw, is_json = _authenticated_body()
    try:
        result = ingest(project.id, (json_reader if is_json else protobuf_reader)(raw))
    except ValidationError as exc:
        raise RequestError(400, "parse_error", f"failed to parse request: {exc.detail}") from None
    return _answer(result, rejected_key)


# Endpoint names: otel_traces, otel_traces_slash, otel_traces_v1; otel_logs, otel_logs_slash.
for _paths, _view in ((TRACE_PATHS, otel_traces), (LOG_PATHS, otel_logs)):
    for _path in _paths:
        _suffix = "_slash" if _path.endswith("/") else "_v1" if _path.endswith("/v1/traces") else ""
        bp.add_url_rule(_path, endpoint=_view.__name__ + _suffix, view_func=_view, methods=["GET", "POST", "OPTIONS"])


def _preflight_or_refusal() -> ResponseReturnValue:
    """PostHog answers a preflight 200 `{}`; a GET (which carries no spans) gets the JSON 405 of every capture path."""
    if request.method == "OPTIONS":
        return jsonify({})
    raise RequestError(405, "method_not_allowed", f'Method "{request.method}" not allowed: POST the spans.',
                       allow=("OPTIONS", "POST"))


def _answer(result: OtelResult, rejected_key: str) -> ResponseReturnValue:
    """PostHog's `{}`; when some spans could not be used, OTLP's partial-success report of them."""
    if not result.rejected:
        return jsonify({})
    return jsonify({"partialSuccess": {rejected_key: len(result.rejected), "errorMessage": result.error_message}})


def _authenticated_body() -> tuple[Project, bytes, bool]:
    """The project and the decompressed body, checked in PostHog's order: size, emptiness, token, then
    encoding and content type."""
    raw = _body()
    if not raw:
        raise RequestError(400, "required", "request missing data payload")
    project = _project()
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding == "gzip":
        try:
            raw = inflate(raw, current_app.config["CAPTURE_MAX_DECOMPRESSED_BYTES"], zlib.MAX_WBITS | 16, "gzip")
        except RequestError as exc:
            if exc.status == 400:
                raise RequestError(400, "parse_error", "failed to decode request: invalid GZIP data") from None
            raise
    elif encoding not in ("", "identity"):
        raise RequestError(400, "unsupported_encoding", f"failed to decode request: Unsupported content-encoding: "
                           f"{request.headers.get('Content-Encoding', '').strip()}")
    content_type = request.headers.get("Content-Type", "").strip().lower()
    if content_type.startswith("application/x-protobuf"):
        return project, raw, False
    if content_type.startswith("application/json"):
        return project, raw, True
    raise RequestError(400, "unsupported_media_type",
                       "failed to decode request: Content-Type must be application/x-protobuf or application/json")


def _body() -> bytes:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_large(limit) from None


def _project() -> Project:
    header: Any = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise RequestError(401, "not_authenticated", "event submitted without an api_key: send "
                           "'Authorization: Bearer <project token>'.")
    token = header[len("Bearer "):].strip()
    reason = _token_shape(token)
    if reason:
        raise RequestError(401, "authentication_failed", f"API key is not valid: {reason}")
    project = accounts.find_project_by_token(token)
    if project is None:
        raise RequestError(401, "authentication_failed", "Project token is invalid.")
    return project


def _token_shape(token: str) -> str | None:
    if not token:
        return "empty"
    if len(token) > MAX_TOKEN_LENGTH:
        return "too_long"
    if not token.isascii():
        return "not_ascii"
    if token.startswith("phx_"):
        return "personal_api_key"
    if "\x00" in token:
        return "null_byte"
    return None
