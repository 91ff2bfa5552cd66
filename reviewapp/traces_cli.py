"""Commands that bring traces in: `import-traces` (a file of PostHog-shaped events) and `seed-demo`."""
from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

import click
from flask.cli import with_appcontext

from reviewapp.extensions import db
from reviewapp.models import Project
from reviewapp.services import accounts
from reviewapp.services.ingest.file_import import import_events

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar  # what click.progressbar returns; click exports no public name

MAX_ERRORS_SHOWN = 50


@click.command("import-traces")
@click.argument("file", type=click.File("rb"))
@click.option("--project", "project_id", type=int, required=True, help="The project id to import into.")
@click.option("--strict", is_flag=True, help="Abort on the first bad line, writing nothing.")
@with_appcontext
def import_traces(file: IO[bytes], project_id: int, strict: bool) -> None:
    """Import events from FILE: JSON Lines, or one JSON array, of events shaped as capture receives them.

    Bad lines are reported with their number and skipped (with --strict: nothing is imported). Importing
    the same file again adds nothing."""
    project = db.session.get(Project, project_id)
    if project is None:
        raise click.ClickException(f"No project with id {project_id}.")
    # A file or standard input arrives buffered; a stream without a read buffer (a test harness's) is read
    # into one, so its first bytes can be peeked at.
    reader = file if isinstance(file, io.BufferedReader) else io.BufferedReader(io.BytesIO(file.read()))
    is_array = _starts_with_bracket(reader)
    unit = "event" if is_array else "line"
    size = _size(reader)  # 0 for a pipe: the bar then counts bytes without a percentage
    with click.progressbar(length=size, label="Importing", file=sys.stderr,
                           show_pos=False, show_percent=bool(size)) as bar:
        items = _array_items(reader, bar) if is_array else _numbered_lines(reader, bar)
        report = import_events(project.id, items, strict=strict)

    for number, message in report.errors[:MAX_ERRORS_SHOWN]:
        click.echo(f"{unit} {number}: {message}", err=True)
    if len(report.errors) > MAX_ERRORS_SHOWN:
        click.echo(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more bad {unit}s.", err=True)
    if not report.written:
        raise click.ClickException(
            f"Import aborted: {len(report.errors)} bad {unit}(s) with --strict; nothing was written.")
    result = report.result
    click.echo(
        f"Imported {result.stored} new events into {result.traces} traces of project {project.name} "
        f"(id {project.id}); {result.duplicates} already stored, {result.ignored} not $ai_* (ignored), "
        f"{len(report.errors)} bad {unit}(s) skipped."
    )


def _size(file: IO[bytes]) -> int:
    try:
        return os.fstat(file.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        return 0


def _starts_with_bracket(file: io.BufferedReader) -> bool:
    return file.peek(256).lstrip()[:1] == b"["  # peek: the first bytes stay for the real read


def _array_items(file: IO[bytes], bar: ProgressBar[int]) -> Iterator[tuple[int, Any]]:
    """A JSON array is read whole; its events are numbered from 1."""
    data = file.read()
    bar.update(len(data))
    try:
        events = json.loads(data)
    except ValueError as exc:
        raise click.ClickException(f"The file starts with '[' but is not a valid JSON array: {exc}") from None
    except RecursionError:
        raise click.ClickException("The file's JSON array is nested too deeply to read.") from None
    yield from enumerate(events, start=1)


def _numbered_lines(file: IO[bytes], bar: ProgressBar[int]) -> Iterator[tuple[int, str]]:
    """JSON Lines are streamed, so a large file never sits in memory; blank lines are skipped."""
    for number, line in enumerate(file, start=1):
        bar.update(len(line))
        text = line.decode("utf-8", errors="replace").strip()
        if text:
            yield number, text


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when a project already exists (for first runs).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the app is served, for the sign-in URL.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
              help="The port the app is served on, for the sign-in URL.")
@with_appcontext
def seed_demo(if_empty: bool, host: str, port: int) -> None:
    """Create a demo project with users, realistic traces, scorers and queues; prints the sign-in."""
    from reviewapp import demo

    url = sign_in_url(host, port)
    if if_empty and demo.any_project_exists():
        if accounts.find_project_by_name(demo.DEMO_PROJECT) is None:
            click.echo("A project already exists; the demo was not seeded.")
            return
        click.echo("The demo project is already set up.")
        _print_sign_in(url, demo.users_with_demo_password())
        return
    seeded = demo.seed()
    click.echo(f"Seeded {seeded.project.name} (id {seeded.project.id}): {seeded.traces} traces, "
               f"{seeded.scorers} scorers, {seeded.queues} queues.")
    click.echo(f"Project token for capture: {seeded.project.api_token}")
    _print_sign_in(url, seeded.users)


def sign_in_url(host: str, port: int) -> str:
    """The sign-in page's address in a browser on this machine: a server listening on every address
    (0.0.0.0 or ::) is reached at the loopback address; an IPv6 address goes in brackets."""
    host = host.strip()
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/login"


def _print_sign_in(url: str, users: list[tuple[str, str]]) -> None:
    """The sign-in, only for demo users whose password is still the demo one (else it would not work)."""
    from reviewapp import demo

    if not users:
        return
    click.echo(f"Sign in at {url} with:")
    for email, role in users:
        click.echo(f"  {email} / {demo.DEMO_PASSWORD}   ({role})")
