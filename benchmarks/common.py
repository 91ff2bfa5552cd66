"""What every benchmark shares: percentiles, hiding passwords in database URLs it prints, and a fresh
PostgreSQL database for one run."""
from __future__ import annotations

import itertools
import os
import re
import statistics
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    return sorted(values)[max(int(len(values) * 0.95) - 1, 0)]


def redact(url: str) -> str:
    return re.sub(r"//([^:@/]+):[^@/]+@", r"//\1:***@", url)


@contextmanager
def fresh_postgres_database(url: str) -> Iterator[str]:
    """A new, empty database beside the one `url` names (`createdb` on the same server as the same user), dropped
    after the run: a run on PostgreSQL then starts from an empty database (no dead rows, no grown indexes, a cold
    statistics collector) whatever ran before it."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database or 'reviewapp'}_run_{os.getpid()}_{next(_RUNS)}"
    server = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
    env = {**os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {})}
    subprocess.run(["createdb", *server, name], check=True, env=env)
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", *server, name], check=False, env=env)


_RUNS = itertools.count(1)
