"""Errors the services raise; the JSON API and the HTML pages each turn them into their own answer."""
from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, detail: str, attr: str | None = None, code: str = "invalid_input", **extra: object):
        super().__init__(detail)
        self.detail = detail
        self.attr = attr
        self.code = code
        self.extra = extra


class ValidationError(ServiceError):
    """Bad input from the caller: a 400 on the field named by `attr`."""

    status = 400


class NotFound(ServiceError):
    status = 404

    def __init__(self, detail: str = "Not found."):
        super().__init__(detail, None, "not_found")


class PermissionDenied(ServiceError):
    status = 403

    def __init__(self, detail: str = "You do not have permission to perform this action."):
        super().__init__(detail, None, "permission_denied")


class Conflict(ServiceError):
    """Someone changed the object meanwhile (a stale version): a 409."""

    status = 409

    def __init__(self, detail: str, **extra: object):
        super().__init__(detail, None, "conflict", **extra)


def required(attr: str) -> ValidationError:
    return ValidationError("This field is required.", attr, "required")
