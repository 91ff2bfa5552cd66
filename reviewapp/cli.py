"""The `reviewapp` command line (also available as `flask --app reviewapp ...`)."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from reviewapp.models import ROLES
from reviewapp.services import accounts
from reviewapp.services.errors import ServiceError
from reviewapp.traces_cli import import_traces, seed_demo


def _fail(exc: ServiceError) -> None:
    field = f"{exc.attr}: " if exc.attr else ""
    raise click.ClickException(f"{field}{exc.detail}")


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema (Alembic migrations)."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("Database is up to date.")


@click.command("create-user")
@click.argument("email")
@click.option("--password", required=True, help=f"At least {accounts.MIN_PASSWORD_LENGTH} characters.")
@click.option("--first-name", default="")
@click.option("--last-name", default="")
@click.option("--project", "project_name", default=None, help="Add the user to this project (created if missing).")
@click.option("--role", type=click.Choice(list(reversed(ROLES))), default="admin", show_default=True)
@with_appcontext
def create_user(email: str, password: str, first_name: str, last_name: str, project_name: str | None,
                role: str) -> None:
    """Create a user, optionally a member of a project."""
    from reviewapp.extensions import db

    try:
        user = accounts.create_user(email, password, first_name, last_name, commit=False)
        if project_name:
            project = accounts.find_project_by_name(project_name) or accounts.create_project(project_name, commit=False)
            accounts.set_membership(user, project, role, commit=False)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        _fail(exc)
    click.echo(f"Created user {user.email} (id {user.id}).")
    if project_name:
        click.echo(f"Member of project {project.name} (id {project.id}) as {role}.")


@click.command("create-project")
@click.argument("name")
@with_appcontext
def create_project(name: str) -> None:
    """Create a project; prints its id and capture token."""
    try:
        project = accounts.create_project(name)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"id: {project.id}")
    click.echo(f"token: {project.api_token}")


@click.command("create-api-key")
@click.argument("email")
@click.option("--scopes", required=True, help="Comma-separated: llm_analytics:read, llm_analytics:write or *.")
@click.option("--label", default="")
@click.option("--project", "project_ids", type=int, multiple=True, help="Limit the key to this project (repeatable).")
@with_appcontext
def create_api_key(email: str, scopes: str, label: str, project_ids: tuple[int, ...]) -> None:
    """Create a personal API key; the key is printed alone on the last line and never shown again."""
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    try:
        key, secret = accounts.create_api_key(user, scopes, label, list(project_ids) or None)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created API key {key.mask_value} for {user.email} with scopes {','.join(key.scopes)}.")
    click.echo("Store it now: it cannot be shown again.")
    click.echo(secret)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=max(2, os.cpu_count() or 1), show_default="one per CPU core, at least 2",
              type=click.IntRange(min=1))
@click.option("--timeout", default=120, show_default=True, type=click.IntRange(min=1),
              help="Seconds a request may run before its worker is restarted (a large export streams for long).")
def serve(host: str, port: int, workers: int, timeout: int) -> None:
    """Run the production server (gunicorn, behind a proxy that terminates TLS).

    Synchronous workers, one request each at a time: the work is CPU-bound Python, so threads in a worker only
    take turns on its interpreter lock, and a threaded worker that accepted several keep-alive connections
    keeps them while other workers sit idle; one synchronous worker per core serves more (README, Performance)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("timeout", timeout)
            self.cfg.set("accesslog", "-")
            # The app is built once, in the master, before it listens: a worker (a new one, or one restarted after
            # a timeout) forks with it ready instead of building it while requests wait, and shares its memory.
            self.cfg.set("preload_app", True)
            self.cfg.set("post_fork", lambda _server, _worker: self._forget_connections())

        def load(self):
            # The app the command line built to find this command (create_app froze what it holds for the
            # garbage collector), not a second one.
            self.app = click.get_current_context().ensure_object(ScriptInfo).load_app()
            return self.app

        def _forget_connections(self) -> None:
            """A forked worker opens its own database connections; any the master's pool held stay the master's."""
            from reviewapp.extensions import db

            with self.app.app_context():
                db.engine.dispose(close=False)

    Server().run()


@click.command("prune")
@click.option("--older-than", "older_than", default=None,
              help='Age like "30d", "12h" or "2w"; default: the REVIEWAPP_RETENTION_DAYS setting.')
@click.option("--project", "project_id", type=int, default=None, help="Only this project.")
@click.option("--dry-run", is_flag=True, help="Count the traces that would be deleted; delete nothing.")
@click.option("--batch", default=200, show_default=True, type=click.IntRange(min=1, max=10_000),
              help="Traces deleted per transaction.")
@click.option("--pause", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to wait between batches, to leave the database to the running server.")
@with_appcontext
def prune(older_than: str | None, project_id: int | None, dry_run: bool, batch: int, pause: float) -> None:
    """Delete old traces (with their events and evaluation results) that are neither reviewed, judged, queued nor
    pending, in short batches: safe while the server runs."""
    from reviewapp.services import retention

    if older_than is None:
        days = current_app.config["RETENTION_DAYS"]
        if not days:
            raise click.ClickException("Give --older-than (e.g. 30d) or set REVIEWAPP_RETENTION_DAYS.")
        older_than = f"{days}d"
    try:
        age = retention.parse_age(older_than)
    except ServiceError as exc:
        _fail(exc)
    if dry_run:
        count = retention.count_prunable(age, project_id)
        click.echo(f"Would delete {count:,} trace{'' if count == 1 else 's'} older than {older_than} "
                   "(dry run: nothing deleted).")
        return
    result = retention.prune(age, project_id=project_id, batch=batch, pause=pause)
    click.echo(f"Deleted {result.traces:,} trace{'' if result.traces == 1 else 's'} and {result.events:,} "
               f"event{'' if result.events == 1 else 's'} older than {older_than} in {result.batches} batches.")


COMMANDS = [init_db, create_user, create_project, create_api_key, serve, import_traces, seed_demo, prune]


def main() -> None:
    from reviewapp import create_app

    cli = FlaskGroup(create_app=create_app, add_default_commands=True, add_version_option=False,
                     help="reviewapp: review LLM traces.")
    sys.exit(cli.main())
