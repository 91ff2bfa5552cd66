"""A database connection dropped in the middle of a request: the request gets a 503 with Retry-After (JSON under
/api/ and capture, a page elsewhere), nothing is half-saved, and the next request reconnects."""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import event, func, select

from reviewapp.errors import DATABASE_RETRY_AFTER
from reviewapp.extensions import db
from reviewapp.models import TraceEvent
from reviewapp.services import queues
from tests.conftest import IS_POSTGRES
from tests.ingest.builders import generation
from tests.web.workbench import signed_in


@contextmanager
def dropped_once(when: str, drop):
    """Call `drop(connection)` just before the first statement containing `when` runs."""
    fired: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not fired and when in statement:
            fired.append(statement)
            drop(conn)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield fired
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert fired, f"no statement with {when!r} ran"


def close_connection(conn) -> None:
    """The connection goes away under the statement (as when the server restarts or a proxy cuts it)."""
    conn.connection.dbapi_connection.close()


def terminate_backend(conn) -> None:
    """PostgreSQL's own way: another session kills this connection's server process."""
    pid = conn.connection.dbapi_connection.info.backend_pid
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


def database_locked(conn) -> None:
    raise sqlite3.OperationalError("database is locked")


DROPS = [close_connection] + ([terminate_backend] if IS_POSTGRES else [database_locked])


@pytest.fixture
def project(factory):
    project = factory.project("Alpha")
    admin = factory.user(project=project, role="admin")
    queues.create_queue(project.id, admin, "Support answers")
    project.admin = admin
    return project


def assert_503(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER)


@pytest.mark.parametrize("drop", DROPS)
def test_the_api_answers_503_json_and_the_next_call_reconnects(client, factory, project, drop):
    headers = {"Authorization": f"Bearer {factory.api_key(project.admin)}"}
    path = f"/api/projects/{project.id}/llm_analytics/review_queues/"
    with dropped_once("review_queues", drop):
        response = client.get(path, headers=headers)
    assert_503(response)
    assert response.get_json() == {"type": "server_error", "code": "service_unavailable",
                                   "detail": "The database is unavailable. Try again shortly.", "attr": None}
    again = client.get(path, headers=headers)
    assert again.status_code == 200 and again.get_json()["results"][0]["name"] == "Support answers"


@pytest.mark.parametrize("drop", DROPS)
def test_capture_answers_503_so_sdks_retry_and_the_retry_stores_the_batch_once(client, project, drop):
    body = json.dumps({"api_key": project.api_token, "batch": [generation("t-1")]})
    with dropped_once("INSERT INTO trace_events", drop):
        response = client.post("/batch/", data=body, content_type="application/json")
    assert_503(response)
    assert response.get_json()["code"] == "service_unavailable"
    assert db.session.scalar(select(func.count()).select_from(TraceEvent)) == 0  # nothing half-saved
    assert client.post("/batch/", data=body, content_type="application/json").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(TraceEvent)) == 1


@pytest.mark.parametrize("drop", DROPS)
def test_a_page_answers_503_in_the_layout_and_the_next_request_reconnects(app, project, drop):
    browser, _ = signed_in(app, project.admin)
    path = f"/projects/{project.id}/queues/"
    with dropped_once("review_queues", drop):
        response = browser.get(path)
    assert_503(response)
    page = response.get_data(as_text=True)
    assert "Try again in a moment" in page and "The database could not be reached." in page
    assert browser.get(path).status_code == 200


def test_a_statement_error_is_still_a_500(client, factory, project):
    """Only a lost or busy database is worth a retry; a broken statement is a bug, said as one."""
    headers = {"Authorization": f"Bearer {factory.api_key(project.admin)}"}

    def broken(conn):
        raise (psycopg.errors.UndefinedColumn if IS_POSTGRES else sqlite3.OperationalError)("no such column: x")

    with dropped_once("review_queues", broken):
        response = client.get(f"/api/projects/{project.id}/llm_analytics/review_queues/", headers=headers)
    assert response.status_code == 500 and "Retry-After" not in response.headers


def test_pooled_connections_are_checked_before_use(app):
    assert db.engine.pool._pre_ping


def test_while_the_database_is_down_a_signed_in_page_still_answers_503(app, project):
    """Every statement fails, the error page's own included: the page is drawn without the database."""
    browser, _ = signed_in(app, project.admin)
    path = f"/projects/{project.id}/queues/"
    api_path = f"/api/projects/{project.id}/llm_analytics/review_queues/"
    error = psycopg.OperationalError if IS_POSTGRES else sqlite3.OperationalError

    def down(conn, cursor, statement, parameters, context, executemany):
        raise error("unable to open database file" if not IS_POSTGRES else "connection refused")

    event.listen(db.engine, "before_cursor_execute", down)
    try:
        response = browser.get(path)
        api = browser.get(api_path)
    finally:
        event.remove(db.engine, "before_cursor_execute", down)
    assert_503(response)
    assert "Try again in a moment" in response.get_data(as_text=True)
    assert_503(api)
    assert api.get_json()["code"] == "service_unavailable"
    assert browser.get(path).status_code == 200
