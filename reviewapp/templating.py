"""Template globals and filters shared by every page."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, g
from flask_login import current_user

from reviewapp.services import accounts


def register(app: Flask) -> None:
    @app.context_processor
    def layout_context() -> dict:
        projects = accounts.projects_of(current_user) if current_user.is_authenticated else []
        return {
            "nav_projects": projects,
            "project": g.get("project"),
            "membership": g.get("membership"),
        }

    @app.template_filter("datetime")
    def format_datetime(value: datetime | None) -> str:
        if value is None:
            return "—"
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    @app.template_filter("isotime")
    def format_iso(value: datetime | None) -> str:
        if value is None:
            return ""
        return value.astimezone(timezone.utc).isoformat()
