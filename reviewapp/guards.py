"""Checks every request passes before any view runs."""
from __future__ import annotations

from flask import Flask, abort, request


def register(app: Flask) -> None:
    @app.before_request
    def refuse_null_characters() -> None:
        """No database stores a NUL (PostgreSQL refuses it mid-query): refuse it in the URL with a 400."""
        if "\x00" in request.path or any("\x00" in key or "\x00" in value
                                         for key, value in request.args.items(multi=True)):
            abort(400, description="Null characters are not allowed in the URL.")
