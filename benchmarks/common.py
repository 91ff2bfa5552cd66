"""What every benchmark shares: percentiles, hiding passwords in database URLs it prints, the in-process page
benchmarks' app, sign-in and timing, and a fresh PostgreSQL database for one run."""
from __future__ import annotations

import itertools
import os
import re
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    return sorted(values)[max(int(len(values) * 0.95) - 1, 0)]


def redact(url: str) -> str:
    return re.sub(r"//([^:@/]+):[^@/]+@", r"//\1:***@", url)


def page_app(database_url: str | None, prefix: str):
    """The app the in-process page benchmarks measure through (a fresh SQLite file unless a URL is given), with
    every table created; prints the database it uses."""
    import os
    import tempfile
    from pathlib import Path

    from reviewapp import create_app
    from reviewapp.extensions import db
    from reviewapp.models import Base

    os.environ.setdefault("SECRET_KEY", "benchmark")
    url = database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix=prefix)) / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": os.environ["SECRET_KEY"],
                      "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost"})
    print(f"database: {redact(url)}")
    with app.app_context():
        Base.metadata.create_all(db.engine)
    return app


def csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def signed_in(app, email: str, password: str):
    """A test client signed in through the real form, and where the sign-in sent it."""
    client = app.test_client()
    token = csrf(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, "sign-in failed"
    return client, response.location


def timed(client, url: str, runs: int = 10) -> list[float]:
    """Milliseconds of `runs` views of the page, each checked to answer 200."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    return times


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
