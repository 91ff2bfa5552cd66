"""The Alembic migrations build exactly the schema the models describe, on this run's database kind, and carry
the data already stored."""
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.engine import make_url

from reviewapp import create_app
from reviewapp.extensions import db
from reviewapp.models import Base
from reviewapp.models.base import JSONType, UTCDateTime, exists_on
from reviewapp.services import accounts, queue_rules, scorers, traces
from tests.conftest import IS_POSTGRES
from tests.traces.helpers import chat_trace


@pytest.fixture
def empty_database_url(tmp_path, database_url):
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"reviewapp_migrations_{uuid.uuid4().hex[:8]}"
    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_match_models(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        from reviewapp.extensions import db

        with db.engine.connect() as conn:
            def include_object(obj, name, type_, reflected, compare_to):
                return exists_on(conn.dialect.name, compare_to if reflected else obj, name, type_)

            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            diff = compare_metadata(context, Base.metadata)
        db.engine.dispose()
    assert diff == [], "models changed without a migration: run `flask --app reviewapp db migrate`\n" + "\n".join(
        map(str, diff))


sqlite_only = pytest.mark.skipif(IS_POSTGRES, reason="SQLite's search index (PostgreSQL's is an ordinary index)")
BEFORE_SEARCH_INDEX = "b1fec127131b"


def search_index_schema(conn) -> list[tuple[str, str, str]]:
    return list(conn.execute(text(
        "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'traces_search%' ORDER BY name")))


@sqlite_only
def test_upgrading_indexes_the_traces_already_stored(empty_database_url, monkeypatch):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision=BEFORE_SEARCH_INDEX)
        project_id = accounts.create_project("Stored before the index").id
        with monkeypatch.context() as then:  # ingestion as it was at that revision: queue rules came later
            then.setattr(queue_rules, "apply_on_ingest", lambda *args: 0)
            chat_trace(project_id, "stored-earlier", question="Where is my parcel?", answer="It left the depot.")
            chat_trace(project_id, "also-earlier", name="Refund bot")
        db.session.remove()

        upgrade(directory=directory)
        assert [row.trace.trace_id for row in traces.list_traces(project_id, search="LEFT THE")[0]] == [
            "stored-earlier"]
        assert [row.trace.trace_id for row in traces.list_traces(project_id, search="fund b")[0]] == [
            "also-earlier"]
        chat_trace(project_id, "stored-later", question="Where is my refund?")
        assert [row.trace.trace_id for row in traces.list_traces(project_id, search="my refund")[0]] == [
            "stored-later"]
        db.session.remove()
        db.engine.dispose()


@sqlite_only
def test_the_migrations_build_the_search_index_the_models_build(app, empty_database_url):
    """Migration 5d0c2a7e9f13 copies the models' SQLITE_SEARCH_DDL: the two must not drift apart."""
    with db.engine.connect() as conn:
        from_models = search_index_schema(conn)
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with migrated.app_context():
        upgrade(directory=migrated.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            from_migrations = search_index_schema(conn)
        db.engine.dispose()
    assert {name for _, name, _ in from_models} >= {
        "traces_search", "traces_search_after_insert", "traces_search_after_update", "traces_search_after_delete"}
    assert from_migrations == from_models


@sqlite_only
def test_downgrading_removes_the_search_index_and_keeps_the_traces(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory)
        project_id = accounts.create_project("Kept").id
        chat_trace(project_id, "kept", question="Where is my parcel?")
        db.session.remove()

        downgrade(directory=directory, revision=BEFORE_SEARCH_INDEX)
        with db.engine.connect() as conn:
            assert search_index_schema(conn) == []
            assert list(conn.execute(text("SELECT trace_id FROM traces")).scalars()) == ["kept"]
        upgrade(directory=directory)
        assert [row.trace.trace_id for row in traces.list_traces(project_id, search="my parcel")[0]] == ["kept"]
        db.session.remove()
        db.engine.dispose()


BEFORE_STORED_AS_SENT = "8d3a4b5c6e7f"


def test_upgrading_drops_the_null_labels_old_boolean_configs_were_filled_in_with(empty_database_url):
    """Such a config is refused by PostHog's rules, so the scorer could not be duplicated or re-saved."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision=BEFORE_STORED_AS_SENT)
        project_id = accounts.create_project("Scored before").id
        definition_id, version_id = uuid.uuid4(), uuid.uuid4()
        now = datetime(2026, 11, 1, tzinfo=UTC)
        definitions = sa.table("score_definitions", *(sa.column(name, type_) for name, type_ in (
            ("id", sa.Uuid()), ("project_id", sa.Integer()), ("name", sa.String()), ("description", sa.Text()),
            ("kind", sa.String()), ("archived", sa.Boolean()), ("current_version", sa.Integer()),
            ("current_version_id", sa.Uuid()), ("created_at", UTCDateTime()), ("updated_at", UTCDateTime()))))
        versions = sa.table("score_definition_versions", *(sa.column(name, type_) for name, type_ in (
            ("id", sa.Uuid()), ("definition_id", sa.Uuid()), ("project_id", sa.Integer()), ("version", sa.Integer()),
            ("kind", sa.String()), ("config", JSONType()), ("created_at", UTCDateTime()))))
        with db.engine.begin() as conn:
            conn.execute(sa.insert(definitions).values(
                id=definition_id, project_id=project_id, name="Resolved", description="", kind="boolean",
                archived=False, current_version=1, created_at=now, updated_at=now))
            conn.execute(sa.insert(versions).values(
                id=version_id, definition_id=definition_id, project_id=project_id, version=1, kind="boolean",
                config={"true_label": "Resolved", "false_label": None}, created_at=now))
            conn.execute(sa.update(definitions).where(definitions.c.id == definition_id)
                         .values(current_version_id=version_id))
        db.session.remove()

        upgrade(directory=directory)
        copy = scorers.duplicate_definition(project_id, None, definition_id)
        assert scorers.load_definition(project_id, definition_id).live().config == {"true_label": "Resolved"}
        assert copy.live().config == {"true_label": "Resolved"}
        db.session.remove()
        db.engine.dispose()
