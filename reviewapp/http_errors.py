"""The JSON error answer, {type, code, detail, attr}, that the API, capture and the app's error handlers share."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from reviewapp.services.errors import ServiceError

# status: (type, code) as PostHog answers it when nothing more precise is known.
STATUS_ERRORS = {
    400: ("validation_error", "invalid_input"),
    401: ("authentication_error", "not_authenticated"),
    403: ("authentication_error", "permission_denied"),
    404: ("invalid_request", "not_found"),
    405: ("invalid_request", "method_not_allowed"),
    409: ("invalid_request", "conflict"),
    413: ("invalid_request", "payload_too_large"),
    415: ("invalid_request", "unsupported_media_type"),
    429: ("throttled_error", "throttled"),
}
SERVER_ERROR = ("server_error", "error")


class RequestError(Exception):
    """A request refused before any service saw it (its credentials, body or method), by the API or capture;
    its type follows from the status."""

    def __init__(self, status: int, code: str, detail: str, attr: str | None = None, *,
                 allow: tuple[str, ...] = (), **extra: Any):
        super().__init__(detail)
        self.status, self.code, self.detail, self.attr, self.extra = status, code, detail, attr, extra
        self.allow = allow  # for a 405: the methods the resource does accept

    @property
    def type(self) -> str:
        return STATUS_ERRORS.get(self.status, SERVER_ERROR)[0]


def too_large(limit: int) -> RequestError:
    return RequestError(413, "payload_too_large", f"Request body is larger than {limit} bytes.")


def error_response(status: int, type_: str, code: str, detail: str, attr: str | None = None,
                   **extra: Any) -> tuple[Response, int]:
    body = {"type": type_, "code": code, "detail": detail, "attr": attr, **extra}
    return jsonify(body), status


def request_error_json(exc: RequestError) -> tuple[Response, int]:
    response, status = error_response(exc.status, exc.type, exc.code, exc.detail, exc.attr, **exc.extra)
    if status == 405:
        _allow(response, exc.allow)
    return response, status


def _allow(response: Response, methods: Any) -> None:
    """RFC 9110: a 405 must say which methods the resource has."""
    response.headers["Allow"] = ", ".join(sorted(methods or []))


def http_error_json(exc: HTTPException) -> tuple[Response, int]:
    status = exc.code or 500
    type_, code = STATUS_ERRORS.get(status, SERVER_ERROR)
    detail = {
        404: "Not found.",
        405: f'Method "{request.method}" not allowed.',
        413: "Request body is too large.",
    }.get(status, exc.description or "Error.")
    response, status = error_response(status, type_, code, detail)
    if status == 405:
        _allow(response, getattr(exc, "valid_methods", None))
    return response, status


def service_error_json(exc: ServiceError) -> tuple[Response, int]:
    if exc.status == 409:
        # PostHog answers a stale new_version with a bare detail plus the current version.
        return jsonify({"detail": exc.detail, **exc.extra}), 409
    type_, _ = STATUS_ERRORS[exc.status]
    detail = "Not found." if exc.status == 404 else exc.detail
    return error_response(exc.status, type_, exc.code, detail, exc.attr, **exc.extra)
