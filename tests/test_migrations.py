"""The Alembic migrations build exactly the schema the models describe, on this run's database kind."""
import uuid

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from reviewapp import create_app
from reviewapp.models import Base
from reviewapp.models.base import exists_on


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
