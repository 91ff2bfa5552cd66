"""Error answers by route: JSON in the API's shape under /api/ and the capture paths, a page in the layout elsewhere."""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from reviewapp.extensions import db
from reviewapp.http_errors import error_response, http_error_json, service_error_json
from reviewapp.services.errors import ServiceError

# status: (title, what to tell the person when the error itself says nothing more useful)
PAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your role in this project does not allow this."),
    404: ("Not found", "There is nothing here, or it belongs to a project you are not in."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "The request was larger than this server accepts."),
    429: ("Slow down", "Too many attempts. Wait a few minutes and try again."),
    500: ("Something went wrong", "The error is logged. Nothing was half-saved; try again."),
}


def error_page(status: int, message: str | None = None):
    title, default = PAGES.get(status, (f"Error {status}", "The request could not be completed."))
    return render_template("errors/error.html", status=status, title=title, message=message or default), status


def _own_description(exc: HTTPException) -> str | None:
    """The description a view gave with abort(), not werkzeug's generic text for the status."""
    generic = type(exc).description
    return exc.description if exc.description and exc.description != generic else None


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.blueprint == "capture"


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            if request.blueprint == "capture":
                return error_response(exc.code or 500, "invalid_request", "error", exc.description or "Error.")
            return http_error_json(exc)
        own = _own_description(exc)
        if exc.code == 429 and own:  # Flask-Limiter describes the limit itself: say it after the advice
            own = f"{PAGES[429][1]} (Limit: {own}.)"
        return error_page(exc.code or 500, own)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        if wants_json():
            return service_error_json(exc)
        return error_page(exc.status, None if exc.status == 404 else exc.detail)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return error_response(500, "server_error", "error", "A server error occurred.")
        return error_page(500)
