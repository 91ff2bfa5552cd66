"""Error answers by route: JSON in the API's shape under /api/ and the capture paths, a page in the layout elsewhere."""
from __future__ import annotations

import sqlite3

from flask import Flask, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from reviewapp.extensions import db, login_manager
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
    503: ("Try again in a moment", "The database could not be reached. Nothing was half-saved; try again in a "
                                   "few seconds."),
}
# Seconds a client should wait before retrying when the database is unreachable (SDKs honour it on a 503).
DATABASE_RETRY_AFTER = 5
# SQLite's errors that pass with time (another writer, a file briefly unavailable); others are bugs, a 500.
SQLITE_TRANSIENT = ("database is locked", "database table is locked", "unable to open database", "disk i/o error")


def error_page(status: int, message: str | None = None, *, title: str | None = None, next_url: str | None = None):
    """The error page; with `next_url`, its button signs in again and comes back there."""
    page_title, default = PAGES.get(status, (f"Error {status}", "The request could not be completed."))
    return render_template("errors/error.html", status=status, title=title or page_title, message=message or default,
                           next_url=next_url), status


SESSION_ENDED = ("Your session ended before this form was sent, so nothing was saved. Sign in again: answers "
                 "typed on a review page come back when you open that trace's review again in this browser.")
FORM_EXPIRED = ("This form was out of date, so nothing was saved. Go back and send it again: answers typed on a "
                "review page come back when you reload it in this browser.")


def _csrf_error(exc: CSRFError):
    """A form post without a valid CSRF token: almost always a session that ended while the page was open."""
    if wants_json():
        return http_error_json(exc)
    if current_user.is_authenticated:
        return error_page(400, FORM_EXPIRED, title="Nothing was saved")
    # Back to the page the form was on, when it is one a GET can open (the review page is).
    return error_page(400, SESSION_ENDED, title="Signed out", next_url=request.path)


def _own_description(exc: HTTPException) -> str | None:
    """The description a view gave with abort(), not werkzeug's generic text for the status."""
    generic = type(exc).description
    return exc.description if exc.description and exc.description != generic else None


def database_unavailable(exc: Exception) -> bool:
    """Whether this error means the database dropped or refused the connection (worth a retry), rather than a
    bug in a statement."""
    if isinstance(exc, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True  # TimeoutError: no pooled connection came free in time
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, sqlite3.Error):
        return isinstance(exc, sa_exc.OperationalError) and str(exc.orig).lower().startswith(SQLITE_TRANSIENT)
    # PostgreSQL: lost or refused connections, a shutting-down server, serialization failures and deadlocks.
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError))


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.blueprint == "capture"


def _database_unavailable_answer():
    """The 503 answer while the database is not answering, asking the client to retry shortly."""
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
    if wants_json():
        return (*error_response(503, "server_error", "service_unavailable",
                                "The database is unavailable. Try again shortly."), headers)
    # Drawn as for a signed-out visitor: the layout would read the user and their projects from the
    # database that is not answering.
    g._login_user = login_manager.anonymous_user()
    for name in ("memberships", "membership", "project"):
        g.pop(name, None)
    return (*error_page(503), headers)


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            if request.blueprint == "capture":
                return error_response(exc.code or 500, "invalid_request", "error", exc.description or "Error.")
            return http_error_json(exc)
        return error_page(exc.code or 500, _own_description(exc))

    app.register_error_handler(CSRFError, _csrf_error)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        if wants_json():
            return service_error_json(exc)
        return error_page(exc.status, None if exc.status == 404 else exc.detail)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        _rollback()
        if database_unavailable(exc):
            # The pool has dropped the broken connection (and pre-pings the rest): the next request reconnects.
            app.logger.error("Database unavailable on %s %s: %s", request.method, request.path, exc)
            return _database_unavailable_answer()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return error_response(500, "server_error", "error", "A server error occurred.")
        return error_page(500)

    def _rollback() -> None:
        """Roll the request's transaction back; on a dropped connection that fails too, and the session is
        discarded instead, so the error page (which reads the signed-in user) starts afresh."""
        try:
            db.session.rollback()
        except sa_exc.SQLAlchemyError:
            db.session.remove()
