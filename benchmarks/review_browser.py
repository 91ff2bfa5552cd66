"""The reviewer's loop in a real browser: how long after Ctrl+Enter the next trace is on screen, over consecutive
saves in a queue of 100,000 pending items, with browser and server on the same machine (as with `make run`).

    .venv/bin/python -m benchmarks.review_browser                                # SQLite (a fresh temporary file)
    .venv/bin/python -m benchmarks.review_browser --database-url postgresql+psycopg://postgres@127.0.0.1:5432/reviewapp_bench

The data is benchmarks/review.py's (four scorers: single choice, multiple choice, numeric, yes/no). The app is
served as `make run` serves it (`flask run`, Werkzeug's threaded server) in a process of its own, and Chromium
(/usr/bin/chromium, or REVIEWAPP_CHROMIUM) is driven through Playwright. Each save is typed as a reviewer would
with auto-advance on (`1 j 1 7 Enter y`, then Ctrl+Enter; the scorers are in name order). The time is taken inside
the page: from the Ctrl+Enter keydown to the frame after the next trace is in the document (requestAnimationFrame,
then a task: that frame has been painted).

Then a trace of 500 spans and 200 messages: its review page opened whole (first contentful paint, from the
navigation's start; with the p50 of its first and last byte, and of the time from the last byte to the paint: the
server's share and the browser's) and swapped in after Ctrl+Enter (as above). `--long-only` times the long trace
alone (no consecutive saves), e.g. to compare two versions in alternate runs on a busy machine:

    .venv/bin/python -m benchmarks.review_browser --long-only --pending 10000 --openings 21

Run on demand; not part of the test suite.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import free_port, median, p95, redact, start_dev_server
from benchmarks.review import PASSWORD, seed

CHROMIUM = os.environ.get("REVIEWAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
KEYS = ("1", "j", "1", "7", "Enter", "y")  # Issues (stays: multiple), on to Quality (moves on), Rating 7, Resolved
ANSWERED: list[float] = []  # of each save, the time until the server's answer had arrived (same start)
LONG_SPANS = 500
LONG_MESSAGES = 200

# Installed before each Ctrl+Enter: the keydown's time, and the first frame painted after the panel changed.
WATCH = """() => {
  window.__loop = { start: null, shown: null };
  const main = document.getElementById('main');
  const started = (e) => {
    if (e.key === 'Enter' && e.ctrlKey) {
      window.__loop.start = performance.now();
      document.removeEventListener('keydown', started, true);
    }
  };
  document.addEventListener('keydown', started, true);
  const observer = new MutationObserver(() => {
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => { window.__loop.shown = performance.now(); }, 0));
  });
  observer.observe(main, { childList: true });
}"""


def main() -> None:
    args = parse_args()
    os.environ.setdefault("SECRET_KEY", "benchmark")
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='reviewapp-loop-')) / 'bench.sqlite'}"
    from reviewapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": os.environ["SECRET_KEY"],
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        from reviewapp.extensions import db
        from reviewapp.models import Base

        Base.metadata.create_all(db.engine)
        started = time.perf_counter()
        setup = seed(args.pending, args.saves + 5)
        long_item = seed_long_trace(setup)
        print(f"database: {redact(url)}; {args.pending:,} pending, seeded in {time.perf_counter() - started:.0f} s")
        db.engine.dispose()
    # A process of its own, as with `make run`: in this one it would share the interpreter with Playwright's
    # client, which handles the browser's events while a page loads.
    port = free_port()
    server = start_dev_server(url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        loop_ms, long_paint, long_swap = measure(base, setup, long_item, 0 if args.long_only else args.saves,
                                                 args.openings, args.cpu)
    finally:
        server.terminate()
        server.wait()
    if loop_ms:
        print(f"next trace on screen after Ctrl+Enter, {len(loop_ms)} saves: p50 {median(loop_ms):.0f} ms, "
              f"p95 {p95(loop_ms):.0f} ms, max {max(loop_ms):.0f} ms (the server's answer in: p50 "
              f"{median(ANSWERED[1:len(loop_ms) + 1]):.0f} ms)")
    print(f"{LONG_SPANS} spans, {LONG_MESSAGES} messages: first contentful paint of its review page "
          f"{median(long_paint):.0f} ms (p50 of {len(long_paint)}), on screen after Ctrl+Enter {long_swap:.0f} ms")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--pending", type=int, default=100_000, help="pending items in the queue")
    parser.add_argument("--saves", type=int, default=50, help="consecutive saves timed")
    parser.add_argument("--long-only", action="store_true",
                        help="time the long trace only (no consecutive saves): for comparing its first paint")
    parser.add_argument("--cpu", type=int, default=0, metavar="N",
                        help="then open the long page N more times under Chromium's tracing and report the CPU "
                             "its renderer spent loading it, by phase (load-independent, unlike the wall clock)")
    parser.add_argument("--openings", type=int, default=11,
                        help="times the long trace's page is opened whole (the first warms the caches)")
    return parser.parse_args()


def seed_long_trace(setup: dict) -> str:
    """A second queue holding a short trace, then one of LONG_SPANS spans (nested a few deep) whose generation
    carries LONG_MESSAGES messages; the id of the long trace's item."""
    from reviewapp.services import ingest, queue_items, queues

    project_id = setup["project_id"]
    queue = queues.create_queue(project_id, None, "Long traces", "")
    stamp = "2025-03-02T10:00:00Z"
    events = [{"event": "$ai_trace", "distinct_id": "agent", "timestamp": stamp,
               "properties": {"$ai_trace_id": "long-trace", "$ai_span_name": "Agent run"}}]
    for n in range(LONG_SPANS - 1):
        parent = {} if n < 10 else {"$ai_parent_id": f"span-{n % 10}"}
        events.append({"event": "$ai_span", "distinct_id": "agent", "timestamp": stamp,
                       "properties": {"$ai_trace_id": "long-trace", "$ai_span_id": f"span-{n}",
                                      "$ai_span_name": f"tool call {n}", **parent,
                                      "$ai_input_state": {"step": n, "query": "look it up " * 10},
                                      "$ai_output_state": {"result": "found it " * 20}}})
    messages = [{"role": "user" if n % 2 == 0 else "assistant", "content": f"Message {n}: " + "words " * 40}
                for n in range(LONG_MESSAGES)]
    events.append({"event": "$ai_generation", "distinct_id": "agent", "timestamp": stamp,
                   "properties": {"$ai_trace_id": "long-trace", "$ai_parent_id": "span-0", "$ai_model": "gpt-4o",
                                  "$ai_input": messages,
                                  "$ai_output_choices": [{"role": "assistant", "content": "Done."}]}})
    for begin in range(0, len(events), 100):
        ingest.ingest_batch(project_id, events[begin:begin + 100])
    ingest.ingest_batch(project_id, [{"event": "$ai_trace", "distinct_id": "agent", "timestamp": stamp,
                                      "properties": {"$ai_trace_id": "short-trace", "$ai_span_name": "Short"}}])
    queue_items.add_item(project_id, None, queue.id, "short-trace")
    item = queue_items.add_item(project_id, None, queue.id, "long-trace")
    setup["long_queue_id"] = str(queue.id)
    return str(item.id)


def measure(base: str, setup: dict, long_item: str, saves: int, openings: int = 6,
            cpu: int = 0) -> tuple[list[float], list[float], float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/login?next=/projects/{setup['project_id']}/queues/")
        page.get_by_label("Email").fill(setup["email"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/queues/")
        page.locator(f"form[action$='/queues/{setup['queue_id']}/review/next'] button").click()
        page.wait_for_url("**/review/0*")
        page.wait_for_load_state()

        loop_ms = [save_and_time(page) for _ in range(saves + 1)][1:] if saves else []  # the first warms caches

        # The long trace: swapped in after the short one before it is saved, then its page opened whole a few
        # times (the reviewer holds it by then, so each opening only renews the claim).
        page.goto(f"{base}/projects/{setup['project_id']}/queues/")
        page.locator(f"form[action$='/queues/{setup['long_queue_id']}/review/next'] button").click()
        page.wait_for_url("**/review/0*")
        page.wait_for_load_state()
        page.keyboard.press("c")
        page.keyboard.type("Short one.")
        long_swap = save_and_time(page, keys=())
        assert page.locator("code", has_text="long-trace").count() > 0, "the long trace did not come next"
        paints = []
        for _ in range(max(openings, 2)):
            page.goto(f"{base}/projects/{setup['project_id']}/review/{long_item}")
            paints.append(page.evaluate(
                "() => new Promise(r => { const find = () => { const e = performance.getEntriesByName("
                "'first-contentful-paint')[0]; const n = performance.getEntriesByType('navigation')[0]; "
                "e ? r([e.startTime, n.responseStart, n.responseEnd, n.decodedBodySize]) : setTimeout(find, 10); };"
                " find(); })"))
        phases = [traced_load(page, f"{base}/projects/{setup['project_id']}/review/{long_item}") for _ in range(cpu)]
        browser.close()
    if phases:
        print(f"long trace page, renderer CPU in its first {TRACED_MS} ms from the response, p50 of {cpu}: "
              + ", ".join(f"{name} {median([p[name] for p in phases]):.1f} ms" for name in phases[0]))
    opened = paints[1:]  # the first warms the browser's caches
    first_byte, last_byte = median([p[1] for p in opened]), median([p[2] for p in opened])
    print(f"long trace page, p50: first byte {first_byte:.0f} ms, last byte {last_byte:.0f} ms, then first paint "
          f"{median([p[0] - p[2] for p in opened]):.0f} ms later; {opened[-1][3]:,} bytes of HTML")
    return loop_ms, [p[0] for p in opened], long_swap


# Chromium's trace events of a page load, by phase: the renderer's main thread (all of it, and its parsing, style,
# layout, paint and scripts; the scripts' time includes the style and layout they force) and raster on the worker
# threads; thread CPU time ("tdur"), not wall time.
TRACED_MS = 800
PHASES = {"ParseHTML": "parse", "UpdateLayoutTree": "style", "Layout": "layout", "Paint": "paint",
          "EvaluateScript": "scripts"}


def traced_load(page, url: str) -> dict[str, float]:
    """Open `url` under Chromium's tracing (CDP) and sum the CPU its renderer spent on it, by phase, in the first
    TRACED_MS ms from the response's commit (the page's scripts and first frames; a load-independent measure)."""
    session = page.context.new_cdp_session(page)
    events: list[dict] = []
    done = threading.Event()
    session.on("Tracing.dataCollected", lambda message: events.extend(message["value"]))
    session.on("Tracing.tracingComplete", lambda _message: done.set())
    session.send("Tracing.start", {"categories": "devtools.timeline,disabled-by-default-devtools.timeline",
                                   "transferMode": "ReportEvents"})
    page.goto(url)
    page.wait_for_timeout(TRACED_MS + 100)
    session.send("Tracing.end")
    while not done.is_set():
        page.wait_for_timeout(20)
    session.detach()
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
               if e.get("ph") == "M" and e.get("name") == "thread_name"}
    start = min(e["ts"] for e in events if e.get("name") == "ResourceSendRequest"
                and "/review/" in e.get("args", {}).get("data", {}).get("url", ""))
    totals = dict.fromkeys(["main thread", *PHASES.values(), "raster"], 0.0)
    for e in events:
        if e.get("ph") != "X" or not start <= e["ts"] <= start + TRACED_MS * 1000:
            continue
        spent = e.get("tdur", e.get("dur", 0)) / 1000
        if threads.get((e["pid"], e["tid"])) == "CrRendererMain":
            if e["name"] == "RunTask":
                totals["main thread"] += spent
            elif e["name"] in PHASES:
                totals[PHASES[e["name"]]] += spent
        elif e["name"] == "RasterTask":
            totals["raster"] += spent
    return totals


def save_and_time(page, keys=KEYS) -> float:
    """Answer the trace on screen, press Ctrl+Enter, and return the milliseconds until the next one is shown."""
    for key in keys:
        page.keyboard.press(key)
    page.evaluate(WATCH)
    page.keyboard.press("Control+Enter")
    page.wait_for_function("() => window.__loop && window.__loop.shown !== null", polling=5, timeout=30_000)
    refused = page.locator("fieldset.scorer.has-error, .flash-error")
    assert refused.count() == 0, f"the save was refused: {refused.first.inner_text()}"
    start, shown, fetched = page.evaluate(
        "() => { const r = performance.getEntriesByType('resource').filter(e => e.initiatorType === 'fetch').pop();"
        " performance.clearResourceTimings();"
        " return [window.__loop.start, window.__loop.shown, r ? r.responseEnd : null]; }")
    assert start is not None and shown > start
    ANSWERED.append(fetched - start if fetched else float("nan"))
    return shown - start


if __name__ == "__main__":
    main()
