"""Test fixtures: one app per session on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), empty tables per test."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
from flask import g, request_started
from sqlalchemy import event, text

from reviewapp import create_app
from reviewapp.extensions import db
from reviewapp.models import Base
from tests.support.api import ApiClient
from tests.support.factories import Factory

IS_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"))


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (run with TEST_DATABASE_URL, as `make test` does)")
    for item in items:
        if "postgres_only" in item.keywords and not IS_POSTGRES:
            item.add_marker(skip_pg)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "RATELIMIT_ENABLED": False,
        # Still argon2id, with the cheapest parameters: the cost protects real passwords, not test ones.
        "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        "SERVER_NAME": "localhost",
        "INSTANCE_PATH_FOR_TESTS": str(instance),
    })
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
    request_started.connect(_fresh_g, app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _fresh_g(sender, **extra) -> None:
    """Each test holds an app context open, and every test request reuses it: give each request an empty `g`
    (as in production, where every request has its own), so a signed-in user or project does not leak from
    one request, or one client, into the next."""
    g.__dict__.clear()


def _empty_tables() -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # Deferred to the commit, when every table is empty. (Not `foreign_keys=OFF` then `ON`: the ON came
            # inside the transaction, where SQLite ignores it, and left the pooled connection without foreign keys,
            # so no later test saw a cascade or a violation.)
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_database(app):
    with app.app_context():
        yield
        db.session.remove()
        _empty_tables()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Runs the app's CLI commands in-process."""
    return app.test_cli_runner()


@pytest.fixture
def factory(app) -> Factory:
    return Factory()


@pytest.fixture
def api(app, factory) -> ApiClient:
    """A JSON client signed in with an all-scopes key of an admin of a fresh project."""
    project = factory.project()
    user = factory.user(project=project, role="admin")
    secret = factory.api_key(user, scopes="*")
    return ApiClient(app.test_client(), project.id, secret, user=user, project=project)


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside the `with` block."""

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counter


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    ) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def login(client, factory):
    """Sign a user in through the real form; returns a function (user, password) -> CSRF token for later posts."""

    def do_login(user, password: str = Factory.PASSWORD) -> str:
        page = client.get("/login")
        token = csrf_token_from(page.get_data(as_text=True))
        response = client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return csrf_token_from(client.get(response.location).get_data(as_text=True))

    return do_login
