"""What every benchmark shares: percentiles, hiding passwords in database URLs it prints, the in-process page
benchmarks' app, sign-in and timing, a fresh PostgreSQL database for one run, and for the ingestion benchmarks the
run itself: a scratch database with a new project, a real `reviewapp serve` process, client threads sending the
prepared requests, and the check that every event was stored exactly once."""
from __future__ import annotations

import itertools
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a client thread is given: open() makes its connection and returns send(index), which sends request `index`
# and returns why it failed or None, and close().
Sender = Callable[[int], "str | None"]
Client = Callable[[], tuple[Sender, Callable[[], None]]]


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


def scratch_database(database_url: str | None) -> str:
    """The given database, or a fresh SQLite file."""
    return database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='reviewapp-bench-')) / 'bench.sqlite'}"


def app_for(database_url: str):
    from reviewapp import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "benchmark"})


def prepare_database(database_url: str) -> tuple[str, int]:
    """The schema if the database lacks it, and a new project for the run (its token and id), so nothing already
    there is touched."""
    from reviewapp.extensions import db
    from reviewapp.models import Base
    from reviewapp.services import accounts

    app = app_for(database_url)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        project = accounts.create_project(f"Benchmark {datetime.now(UTC):%Y-%m-%d %H:%M:%S}")
        token, project_id = project.api_token, project.id
        db.session.remove()
        db.engine.dispose()
    return token, project_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, port: int, workers: int) -> subprocess.Popen:
    """`reviewapp serve` on the port, once it accepts connections."""
    return _serve([str(Path(sys.executable).parent / "reviewapp"), "serve", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(workers)], database_url, port)


def start_dev_server(database_url: str, port: int) -> subprocess.Popen:
    """The app as `make run` serves it (`flask run`: Werkzeug's threaded server), in a process of its own, on the
    port, once it accepts connections; sign-in throttling off, as a benchmark signs in often."""
    return _serve([str(Path(sys.executable).parent / "flask"), "--app", "reviewapp", "run", "--host", "127.0.0.1",
                   "--port", str(port)], database_url, port, {"REVIEWAPP_RATELIMIT_ENABLED": "false"})


def _serve(command: list[str], database_url: str, port: int,
           settings: dict[str, str] | None = None) -> subprocess.Popen:
    os.environ.setdefault("SECRET_KEY", "benchmark")
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "benchmark", **(settings or {})}
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited: {server.stderr.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("server did not start within 60 s")


def send_all(requests: int, threads: int, client: Client) -> tuple[float, list[float], list[str]]:
    """Send requests 0 .. requests-1 from `threads` client threads, each taking the next unsent one; the elapsed
    time, each request's latency and the failures."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(requests))

    def run() -> None:
        send, close = client()
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            began = time.perf_counter()
            failure = send(index)
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                if failure is not None:
                    failures.append(failure)
        close()

    began = time.perf_counter()
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - began, latencies, failures


def serve_and_verify(database_url: str, project_id: int, args, client: Callable[[int], Client], requests: int,
                     events: int, names: tuple[str, str, str] = ("events", "batch", "batches")) -> bool:
    """Start the server, send the `requests` prepared requests with `args.threads` clients made by client(port),
    stop it, then print the throughput and latency and check that the project holds exactly `events` events in
    `args.traces` traces whose summaries count them all; whether it does. `names`: what an event, a request and
    requests are called in the output."""
    kind, request_kind, request_kinds = names
    port = args.port or free_port()
    server = start_server(database_url, port, args.workers)
    try:
        server_cpu, client_cpu = server_cpu_seconds(server), time.process_time()
        elapsed, latencies, failures = send_all(requests, args.threads, client(port))
        server_cpu, client_cpu = server_cpu_seconds(server) - server_cpu, time.process_time() - client_cpu
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"elapsed: {elapsed:.1f} s")
    print(f"throughput: {events / elapsed:,.0f} {kind}/s ({requests / elapsed:,.1f} {request_kinds}/s)")
    if server_cpu > 0:  # the two sides' CPU per event tell what bounds the rate on the machine's cores
        print(f"CPU per {kind[:-1]}: server {server_cpu / events * 1e6:.0f} µs, clients "
              f"{client_cpu / events * 1e6:.0f} µs (the database server's own not counted)")
    if latencies:
        print(f"{request_kind} latency: median {median(latencies) * 1000:.0f} ms, "
              f"p95 {p95(latencies) * 1000:.0f} ms")
    stored_events, stored_traces, counted = verify(database_url, project_id)
    print(f"stored: {stored_events:,} events, {stored_traces:,} traces, summaries count {counted:,} events")
    if failures:
        print(f"FAILED: {len(failures)} {request_kinds} did not succeed, e.g. {failures[0]}")
    return not failures and (stored_events, stored_traces, counted) == (events, args.traces, events)


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time used so far by the server process and its workers (Linux's /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    try:
        pids = [server.pid]
        for task in Path(f"/proc/{server.pid}/task").iterdir():
            pids.extend(int(pid) for pid in (task / "children").read_text().split())
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    except (OSError, ValueError, IndexError):
        return 0.0
    return total


def verify(database_url: str, project_id: int) -> tuple[int, int, int]:
    """The project's stored events, traces, and events its trace summaries count."""
    from sqlalchemy import func, select

    from reviewapp.extensions import db
    from reviewapp.models import Trace, TraceEvent

    with app_for(database_url).app_context():
        events = db.session.scalar(
            select(func.count()).select_from(TraceEvent).where(TraceEvent.project_id == project_id))
        traces = db.session.scalar(select(func.count()).select_from(Trace).where(Trace.project_id == project_id))
        counted = db.session.scalar(select(func.coalesce(func.sum(Trace.event_count), 0))
                                    .where(Trace.project_id == project_id))
    return events, traces, counted
