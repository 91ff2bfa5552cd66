"""Checks every request passes before any view runs."""
from __future__ import annotations

from flask import Flask, abort, request

from reviewapp.services.errors import ValidationError

NUL_MESSAGE = "Null characters are not allowed."


def register(app: Flask) -> None:
    @app.before_request
    def refuse_null_characters() -> None:
        """No database stores a NUL (PostgreSQL refuses it mid-query): refuse it in the URL with a 400 that
        names the query parameter it came in."""
        if "\x00" in request.path:
            abort(400, description="Null characters are not allowed in the URL.")
        for key, value in request.args.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise ValidationError(NUL_MESSAGE, key.replace("\x00", ""))
