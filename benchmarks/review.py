"""Review workbench benchmark: the server time of the review page and of "Save & next" (save the review, which
completes the item, then claim the next one), measured in-process through the real routes, on a queue of 1,000
and of 100,000 pending items. Flat numbers mean the claim and the page do not scan the queue. Every other step
saves as review-loop.js does ("swap": save & next answered with the next trace's page in the same response).

    .venv/bin/python -m benchmarks.review                                        # SQLite (a fresh temporary file)
    .venv/bin/python -m benchmarks.review --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reviewapp_bench

Each queue gets its items in bulk (straight inserts; adding 100,000 through the service one by one would take
far longer than what is measured); the traces the reviewer will open are stored through ingestion like any
other. A signed-in reviewer then works through `--steps` traces with four scorers (single choice, multiple
choice, numeric, yes/no) and a comment. Run on demand; not part of the test suite.
"""
from __future__ import annotations

import argparse
import re
import time
from datetime import timedelta

from sqlalchemy import insert

from benchmarks.common import csrf, median, p95, page_app, signed_in, timed

SIZES = (1_000, 100_000)
CHUNK = 5000
PASSWORD = "benchmark password"


def main() -> None:
    args = parse_args()
    app = page_app(args.database_url, "reviewapp-review-")
    print(f"{'pending':>9}{'page ms':>10}{'p95':>7}{'save&next ms':>14}{'p95':>7}{'swap ms':>9}{'p95':>7}"
          f"{'queues ms':>11}{'queue ms':>10}")
    for size in args.sizes:
        started = time.perf_counter()
        with app.app_context():
            setup = seed(size, args.steps)
        seeded = time.perf_counter() - started
        # Measured outside any app context, so each request has its own, as in production.
        page, save, lists = measure(app, setup, args.steps)
        print(f"{size:>9,}{median(page):>10.1f}{p95(page):>7.1f}{median(save):>14.1f}{p95(save):>7.1f}"
              f"{median(lists['swap']):>9.1f}{p95(lists['swap']):>7.1f}{median(lists['queues']):>11.1f}"
              f"{median(lists['queue']):>10.1f}   (seeded in {seeded:.0f} s)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="pending items per queue")
    parser.add_argument("--steps", type=int, default=60, help="traces reviewed per queue")
    return parser.parse_args()


def seed(size: int, steps: int) -> dict:
    """A project with a reviewer, four scorers and a queue of `size` pending items, the oldest `steps + 5` of
    them with stored traces."""
    from reviewapp.extensions import db
    from reviewapp.models import ReviewQueueItem, utcnow, uuid7
    from reviewapp.services import accounts, ingest, queues, scorers

    project = accounts.create_project(f"Review benchmark {size}")
    admin = accounts.create_user(f"admin-{project.id}@bench.example", PASSWORD)
    reviewer = accounts.create_user(f"reviewer-{project.id}@bench.example", PASSWORD)
    accounts.set_membership(admin, project, "admin")
    accounts.set_membership(reviewer, project, "reviewer")
    definitions = [
        scorers.create_definition(project.id, admin, name="Quality", kind="categorical", config={
            "options": [{"key": k, "label": k.title()} for k in ("good", "ok", "bad")]}),
        scorers.create_definition(project.id, admin, name="Issues", kind="categorical", config={
            "options": [{"key": k, "label": k.title()} for k in ("tone", "facts", "format", "length")],
            "selection_mode": "multiple", "min_selections": 1, "max_selections": 2}),
        scorers.create_definition(project.id, admin, name="Rating", kind="numeric",
                                  config={"min": 0, "max": 10, "step": 0.5}),
        scorers.create_definition(project.id, admin, name="Resolved", kind="boolean", config={}),
    ]
    queue = queues.create_queue(project.id, admin, "Benchmark queue", "Judge the answer.")
    start = utcnow() - timedelta(days=1)
    rows = [{"id": uuid7(), "project_id": project.id, "queue_id": queue.id, "trace_id": f"bench-{n:07d}",
             "created_by_id": admin.id, "created_at": start + timedelta(milliseconds=n),
             "updated_at": start + timedelta(milliseconds=n)} for n in range(size)]
    for begin in range(0, size, CHUNK):
        db.session.execute(insert(ReviewQueueItem), rows[begin:begin + CHUNK])
    db.session.commit()
    for n in range(min(size, steps + 5)):
        ingest.ingest_batch(project.id, trace_events(f"bench-{n:07d}", n))
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # What autovacuum does soon after a bulk load in production (PostgreSQL 13+ vacuums after inserts
            # too): fresh statistics, and a visibility map, without which no count can be an index-only scan.
            conn.exec_driver_sql("VACUUM ANALYZE")
            # And the bulk load written back before timing starts: otherwise the checkpointer's flush of it lands
            # in the middle of the timed steps (runs of the same code differed by 70%).
            conn.exec_driver_sql("CHECKPOINT")
    return {"project_id": project.id, "queue_id": str(queue.id), "email": reviewer.email,
            "answers": answers(definitions)}


def trace_events(trace_id: str, n: int) -> list[dict]:
    stamp = f"2025-03-01T12:{n // 60 % 60:02d}:{n % 60:02d}Z"
    question = "My parcel has not arrived after two weeks. Can you check where it is and when it will come?"
    return [
        {"event": "$ai_trace", "distinct_id": "customer", "timestamp": stamp,
         "properties": {"$ai_trace_id": trace_id, "$ai_span_name": f"Support chat {n}", "$ai_latency": 3.2}},
        {"event": "$ai_span", "distinct_id": "customer", "timestamp": stamp,
         "properties": {"$ai_trace_id": trace_id, "$ai_span_id": f"{trace_id}-r", "$ai_span_name": "retrieve",
                        "$ai_input_state": {"query": question}, "$ai_output_state": {"documents": 3}}},
        {"event": "$ai_generation", "distinct_id": "customer", "timestamp": stamp,
         "properties": {"$ai_trace_id": trace_id, "$ai_parent_id": f"{trace_id}-r", "$ai_model": "gpt-4o-mini",
                        "$ai_input": [{"role": "system", "content": "You are a support agent."},
                                      {"role": "user", "content": question}],
                        "$ai_output_choices": [{"role": "assistant", "content": "It is on its way. " * 20}],
                        "$ai_input_tokens": 420, "$ai_output_tokens": 180, "$ai_latency": 2.4,
                        "$ai_total_cost_usd": 0.0012}},
    ]


def answers(definitions) -> dict:
    quality, issues, rating, resolved = definitions
    return {f"score-{quality.id}": "good", f"score-{issues.id}": ["tone", "facts"], f"score-{rating.id}": "7.5",
            f"score-{resolved.id}": "true", "comment": "Benchmark review."}


def measure(app, setup: dict, steps: int) -> tuple[list[float], list[float], dict[str, list[float]]]:
    client, home = signed_in(app, setup["email"], PASSWORD)
    token = csrf(client.get(home).get_data(as_text=True))
    base = f"/projects/{setup['project_id']}"
    location = client.post(f"{base}/queues/{setup['queue_id']}/review/next", data={"csrf_token": token}).location
    page_ms, save_ms, swap_ms = [], [], []
    for step in range(steps):
        started = time.perf_counter()
        page = client.get(location)
        page_ms.append((time.perf_counter() - started) * 1000)
        assert page.status_code == 200, page.status_code
        html = page.get_data(as_text=True)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
        # Every other step saves as review-loop.js does: the answer is the next trace's page, no redirect.
        swapped = step % 2 == 1
        started = time.perf_counter()
        response = client.post(location, data={**hidden, **setup["answers"]},
                               headers={"X-Review-Fragment": "1"} if swapped else {})
        (swap_ms if swapped else save_ms).append((time.perf_counter() - started) * 1000)
        assert response.status_code == (200 if swapped else 302), response.get_data(as_text=True)[-2000:]
        location = response.headers["X-Review-Url"] if swapped else response.location
    lists = {"queues": timed(client, f"{base}/queues/"), "queue": timed(client, f"{base}/queues/{setup['queue_id']}/"),
             "swap": swap_ms[1:]}
    return page_ms[1:], save_ms[1:], lists  # the first view of each warms caches


if __name__ == "__main__":
    main()
