"""Traces read benchmark: the server time of the traces list (HTML page and API, unfiltered and filtered) and of
one trace (HTML page and API), measured in-process through the real routes with a signed-in session, for a
project of 1,000 and one of 100,000 stored traces. Flat numbers mean a page costs the same however many traces
the project holds.

    .venv/bin/python -m benchmarks.traces_read                                   # SQLite (a fresh temporary file)
    .venv/bin/python -m benchmarks.traces_read \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reviewapp_bench

Each trace is the five events benchmarks.ingest sends (a root, a retrieval span, three generations); one in
ten has a failed generation (so the errors-only list fills its page at both sizes), one in a hundred is pending
in a queue and one in a hundred is reviewed. The events go through the ingest service directly in batches of
1,000 traces (ingestion over HTTP is benchmarks.ingest). Both projects are loaded before anything is timed, so
each is measured in tables holding the other too. The trace page shows a trace from the middle of the project.
Run on demand; not part of the test suite.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import event, insert, text

from benchmarks.common import median, p95, redact
from benchmarks.ingest import trace_events

SIZES = (1_000, 100_000)
TRACES_PER_BATCH = 1000  # 5,000 events per ingest call
PASSWORD = "benchmark password"
MODEL = "claude-3-5-sonnet"  # one of the four models benchmarks.ingest picks from


def main() -> None:
    args = parse_args()
    os.environ.setdefault("SECRET_KEY", "benchmark")
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='reviewapp-traces-')) / 'bench.sqlite'}"
    from reviewapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": os.environ["SECRET_KEY"],
                      "RATELIMIT_ENABLED": False})
    print(f"database: {redact(url)}")
    setups = []
    with app.app_context():
        from reviewapp.extensions import db
        from reviewapp.models import Base

        Base.metadata.create_all(db.engine)
        for size in args.sizes:
            started = time.perf_counter()
            setups.append(seed(size, args.seed))
            print(f"loaded {size:,} traces ({size * 5:,} events) in {time.perf_counter() - started:.0f} s")
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: fresh statistics; with --vacuum also the visibility
            # map, without which a count cannot be answered from an index alone.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE" if args.vacuum else "ANALYZE"))
            print("after loading: VACUUM ANALYZE" if args.vacuum else "after loading: ANALYZE")
        db.session.remove()

    statements = count_statements(app)
    results = [measure(app, setup, args.requests, args.warmup, statements) for setup in setups]
    print_table(args.sizes, results, args.requests, args.warmup)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="stored traces per project")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page and size")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests before them")
    parser.add_argument("--vacuum", action="store_true", help="PostgreSQL: VACUUM ANALYZE after loading, not ANALYZE")
    parser.add_argument("--seed", type=int, default=3)
    return parser.parse_args()


# --- the data ----------------------------------------------------------------------------------------

def is_error(n: int) -> bool:
    return n % 10 == 5


def is_queued(n: int) -> bool:
    return n % 100 == 10


def is_reviewed(n: int) -> bool:
    return n % 100 == 60


def seed(size: int, seed_value: int) -> dict:
    """A project of `size` traces with a signed-up viewer; returns what the requests need."""
    from reviewapp.extensions import db
    from reviewapp.models import TraceReview, utcnow, uuid7
    from reviewapp.services import accounts, ingest, queue_items, queues

    rng = random.Random(seed_value + size)
    project = accounts.create_project(f"Traces benchmark {size} {datetime.now(UTC):%H:%M:%S}")
    viewer = accounts.create_user(f"viewer-{project.id}@bench.example", PASSWORD)
    accounts.set_membership(viewer, project, "viewer")
    start = datetime.now(UTC) - timedelta(days=3)
    typical = size // 2 + 1
    trace_ids, errors, models, typical_user = [], 0, 0, None
    for offset in range(0, size, TRACES_PER_BATCH):
        batch = []
        for n in range(offset, min(offset + TRACES_PER_BATCH, size)):
            events = trace_events(rng, n, start + timedelta(seconds=n * 2))
            if is_error(n):
                events[-1]["properties"].update({"$ai_is_error": True, "$ai_http_status": 429,
                                                 "$ai_error": "Rate limit reached for requests per minute."})
                errors += 1
            models += events[-1]["properties"]["$ai_model"] == MODEL
            if n == typical:
                typical_user = events[0]["distinct_id"]
            trace_ids.append(events[0]["properties"]["$ai_trace_id"])
            batch.extend(events)
        ingest.ingest_batch(project.id, batch)

    queue = queues.create_queue(project.id, None, "Benchmark queue")
    queued = [trace_ids[n] for n in range(size) if is_queued(n)]
    for begin in range(0, len(queued), queue_items.BULK_MAX):
        queue_items.bulk_add(project.id, None, str(queue.id), queued[begin:begin + queue_items.BULK_MAX])
    now = utcnow()
    reviewed = [{"id": uuid7(), "project_id": project.id, "trace_id": trace_ids[n], "comment": "Fine.",
                 "created_by_id": viewer.id, "reviewed_by_id": viewer.id, "created_at": now, "updated_at": now}
                for n in range(size) if is_reviewed(n)]
    if reviewed:  # straight inserts: the review service's rules are not what is measured here
        db.session.execute(insert(TraceReview), reviewed)
    db.session.commit()
    return {"size": size, "project_id": project.id, "email": viewer.email, "trace_id": trace_ids[typical],
            "user": typical_user, "errors": errors, "models": models}


# --- the requests ------------------------------------------------------------------------------------

def pages(setup: dict) -> list[tuple[str, str, int | None]]:
    """(label, url, expected count) per request; the count (capped) is checked on the API's answer."""
    html = f"/projects/{setup['project_id']}/traces/"
    api = f"/api/projects/{setup['project_id']}/llm_analytics/traces/"
    filters = {"errors only": ({"errors_only": "y"}, {"errors_only": "true"}, setup["errors"]),
               "model": ({"model": MODEL}, {"model": MODEL}, setup["models"]),
               "search a user": ({"search": setup["user"]}, {"search": setup["user"]}, None)}
    rows = [("HTML list", html, None)]
    rows += [(f"HTML list, {name}", f"{html}?{urlencode(form)}", None) for name, (form, _, _) in filters.items()]
    rows += [("API list", api, setup["size"])]
    rows += [(f"API list, {name}", f"{api}?{urlencode(query)}", count) for name, (_, query, count) in filters.items()]
    rows += [("HTML trace", f"{html}{setup['trace_id']}", None), ("API trace", f"{api}{setup['trace_id']}/", None)]
    return rows


def count_statements(app) -> list[int]:
    """A counter of the SQL statements the app sends, reset per request by `measure`."""
    from reviewapp.extensions import db

    counter = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_: counter.__setitem__(0, counter[0] + 1))
    return counter


def measure(app, setup: dict, runs: int, warmup: int, statements: list[int]) -> dict[str, tuple[list[float], int]]:
    from reviewapp.services.traces import COUNT_CAP

    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"email": setup["email"], "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, "sign-in failed"
    results = {}
    for label, url, expected in pages(setup):
        response = client.get(url)
        assert response.status_code == 200, f"{label}: {response.status_code} {response.get_data(as_text=True)[:500]}"
        if expected is not None:  # the list counts no further than COUNT_CAP, and says when it stopped
            counted = (min(expected, COUNT_CAP), expected > COUNT_CAP)
            answered = (response.json["count"], response.json["count_is_capped"])
            assert answered == counted, f"{label}: count, count_is_capped {answered}, not {counted}"
        if label.endswith("trace"):
            assert setup["trace_id"] in response.get_data(as_text=True), f"{label}: the trace is not shown"
        for _ in range(warmup):
            client.get(url)
        gc.collect()
        times = []
        for _ in range(runs):
            statements[0] = 0
            started = time.perf_counter()
            response = client.get(url)
            response.get_data()
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, f"{label}: {response.status_code}"
        results[label] = (times, statements[0])
    return results


# --- the report --------------------------------------------------------------------------------------

def print_table(sizes: list[int], results: list[dict], runs: int, warmup: int) -> None:
    print(f"server time in ms over {runs} requests after {warmup} warm-ups (Flask test client, signed in)")
    header = f"{'request':<26}" + "".join(f"{f'{size:,} med':>13}{'p95':>8}" for size in sizes)
    print(f"{header}{'ratio':>8}{'SQL':>5}")
    for label in results[0]:
        cells = "".join(f"{median(r[label][0]):>13.1f}{p95(r[label][0]):>8.1f}" for r in results)
        ratio = median(results[-1][label][0]) / median(results[0][label][0])
        print(f"{label:<26}{cells}{ratio:>8.2f}{results[-1][label][1]:>5}")
    print(f"ratio: median at {sizes[-1]:,} over median at {sizes[0]:,} (flat is under 1.3); "
          f"SQL: statements per request at {sizes[-1]:,}")


if __name__ == "__main__":
    main()
