"""Checks every request passes before any view runs, and the security headers every answer carries."""
from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, abort, request

from reviewapp.services.errors import ValidationError

NUL_MESSAGE = "Null characters are not allowed."

# Only the app's own files run or style a page: no inline script, style attribute or handler (an injected one
# stays inert), no plugins, no framing by another site (clickjacking), forms post back here only.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",  # trace and queue ids in our URLs stay here
}


# The JSON API refuses a NUL anywhere in its body (api.core.json_body); capture keeps events' text as JSON.
BODIES_CHECKED_ELSEWHERE = ("api", "capture")


def _refuse_nul_in(pairs: Iterable[tuple[str, str]]) -> None:
    for key, value in pairs:
        if "\x00" in key or "\x00" in value:
            raise ValidationError(NUL_MESSAGE, key.replace("\x00", ""))


def register(app: Flask) -> None:
    @app.before_request
    def refuse_null_characters() -> None:
        """No database stores a NUL (PostgreSQL refuses it mid-query): refuse it in the URL, or in a page's
        form post, with a 400 that names the parameter or field it came in."""
        if "\x00" in request.path:
            abort(400, description="Null characters are not allowed in the URL.")
        _refuse_nul_in(request.args.items(multi=True))
        if request.method == "POST" and request.blueprint not in BODIES_CHECKED_ELSEWHERE and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            _refuse_nul_in(request.form.items(multi=True))  # a page's form post, parsed as its view would

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
