"""Error answers by route: JSON in the API's shape under /api/ and the capture paths, a page in the layout elsewhere."""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from reviewapp.extensions import db
from reviewapp.services.errors import ServiceError

PAGE_STATUSES = {400, 403, 404, 405, 413, 429, 500}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.blueprint == "capture"


def register(app: Flask) -> None:
    from reviewapp.api.core import error_response, http_error_json, service_error_json

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            if request.blueprint == "capture":
                return error_response(exc.code or 500, "invalid_request", "error", exc.description or "Error.")
            return http_error_json(exc)
        status = exc.code or 500
        template = f"errors/{status}.html" if status in PAGE_STATUSES else "errors/generic.html"
        return render_template(template, error=exc, status=status), status

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        if wants_json():
            return service_error_json(exc)
        status = exc.status if exc.status in PAGE_STATUSES else 400
        return render_template(f"errors/{status}.html", error=exc, status=status), status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return error_response(500, "server_error", "error", "A server error occurred.")
        return render_template("errors/500.html", error=InternalServerError(), status=500), 500
