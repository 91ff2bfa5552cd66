"""The reviewer's loop in Chromium: one key per single-choice or yes/no scorer (auto-advance, which a reviewer can
turn off), the next trace swapped in after Ctrl+Enter without loading a page, and the keys for Previous, "edit the
last one", Skip, "open the next queue with work" and the Queues page — and the same loop with JavaScript off."""
from __future__ import annotations

import pytest

from reviewapp.extensions import db
from reviewapp.services import queue_items, queues, reviews
from tests.e2e.review_panel import checked, focused_scorer
from tests.web.workbench import build

pytestmark = pytest.mark.e2e


def same_document(page) -> bool:
    """Whether the page is still the document marked by `mark` (no page load since)."""
    return page.evaluate("() => window.reviewLoopMark === true")


def mark(page) -> None:
    page.evaluate("() => { window.reviewLoopMark = true; }")


def test_one_key_per_scorer_and_the_next_trace_without_a_page_load(page, live_server, sign_in, factory, screenshot):
    wb = build(factory, traces=3)
    pid = wb.project.id
    sign_in(page, wb.reviewer, f"/projects/{pid}/queues/")
    page.keyboard.press("1")  # the Queues page: the first queue with work opens by its number
    page.wait_for_url("**/review/*")
    assert page.get_by_role("heading", name="Support chat 1").is_visible()
    first_url = page.url
    mark(page)

    assert focused_scorer(page) == "Answer quality"
    page.keyboard.press("1")  # a single-choice pick moves on by itself
    assert checked(page, "Answer quality") == ["good"] and focused_scorer(page) == "Issues"
    page.keyboard.press("1")
    page.keyboard.press("2")  # a multiple-choice scorer stays for more picks
    assert checked(page, "Issues") == ["tone", "facts"] and focused_scorer(page) == "Issues"
    page.keyboard.press("j")
    page.keyboard.type("7.5")
    page.keyboard.press("Enter")  # a number, then Enter: on to the next scorer
    assert focused_scorer(page) == "Resolved the issue"
    page.keyboard.press("y")
    assert checked(page, "Resolved the issue") == ["true"]
    page.keyboard.press("Control+Enter")

    page.get_by_text("Saved your review of trace-001.").wait_for()
    assert page.get_by_role("heading", name="Support chat 2").is_visible()
    assert same_document(page), "the next trace came with a page load"
    assert page.url != first_url and "/review/" in page.url
    assert page.title().startswith("Review Support chat 2")
    assert focused_scorer(page) == "Answer quality"  # the keys work on the new trace at once
    screenshot(page, "review_loop_next_trace")
    saved = reviews.active_review_for_trace(pid, "trace-001")
    values = {s.definition.name: s for s in saved.scores}
    assert values["Answer quality"].categorical_values == ["good"]
    assert values["Issues"].categorical_values == ["tone", "facts"]
    assert values["Resolved the issue"].boolean_value is True

    # A refusal comes back in place too, beside the scorer, with what was picked.
    page.keyboard.press("3")
    page.keyboard.press("Control+Enter")
    page.locator("fieldset.scorer.has-error").first.wait_for()
    assert same_document(page) and checked(page, "Answer quality") == ["bad"]
    assert page.get_by_role("heading", name="Support chat 2").is_visible()

    # Reloading the address the loop moved to opens the same trace, held for the reviewer.
    page.reload()
    assert page.get_by_role("heading", name="Support chat 2").is_visible()

    # A span's body is not in the page until it is opened.
    span = page.locator("details.node").last
    assert span.locator("h4").count() == 0
    span.locator("summary").click()
    span.get_by_role("heading", name="Raw event").wait_for()
    assert "trace-002" in span.locator("pre.raw-json").inner_text()


def test_auto_advance_is_a_setting_per_reviewer(page, live_server, sign_in, factory):
    wb = build(factory, traces=1)
    pid = wb.project.id
    sign_in(page, wb.reviewer, f"/projects/{pid}/queues/")
    page.get_by_role("button", name="Start reviewing").click()
    page.wait_for_url("**/review/*")
    page.keyboard.press("?")
    sheet = page.locator("#shortcut-sheet")
    assert "pick an option of the focused scorer and move on to the next" in sheet.inner_text()
    listed = {row.locator("dd").inner_text(): row.locator("dt").inner_text()
              for row in sheet.locator(".shortcuts > div").all()}
    assert listed["skip now, no reason"].replace("\n", "") == "Shift+S"
    assert listed["previous: your review before this one"] == "p"
    assert listed["edit the last one you saved here"] == "e"
    assert listed["open the next queue with work"] == "w"
    sheet.get_by_role("button", name="Stay instead").click()
    page.get_by_text("Picking an answer now stays on the scorer.").wait_for()
    page.keyboard.press("1")
    assert checked(page, "Answer quality") == ["good"] and focused_scorer(page) == "Answer quality"
    page.keyboard.press("2")  # with auto-advance off, digits re-pick on the same scorer
    assert checked(page, "Answer quality") == ["ok"]
    db.session.refresh(wb.reviewer)
    assert wb.reviewer.auto_advance is False


def test_keys_for_previous_edit_the_last_one_skip_and_the_next_queue(page, live_server, sign_in, factory):
    wb = build(factory, traces=3)
    pid = wb.project.id
    second = queues.create_queue(pid, wb.admin, "Tax answers", "")
    queue_items.add_item(pid, wb.admin, second.id, "tax-001")
    sign_in(page, wb.reviewer, f"/projects/{pid}/queues/")
    page.get_by_role("button", name="Start reviewing").first.click()
    page.wait_for_url("**/review/*")
    mark(page)
    for key in ("1", "1", "j", "8", "Enter", "n"):
        page.keyboard.press(key)
    page.keyboard.press("Control+Enter")
    page.get_by_text("Saved your review of trace-001.").wait_for()

    # e: the last review saved here, open for editing; p from there goes further back (there is nothing).
    page.keyboard.press("e")
    page.get_by_text("Editing the review of trace-001").wait_for()
    assert same_document(page) and checked(page, "Answer quality") == ["good"]
    page.keyboard.press("3")
    page.keyboard.press("Control+Enter")  # saves the edit, then on to the trace still held
    page.get_by_text("Saved the review of trace-001.").wait_for()
    assert page.get_by_role("heading", name="Support chat 2").is_visible()
    edited = {s.definition.name: s for s in reviews.active_review_for_trace(pid, "trace-001").scores}
    assert edited["Answer quality"].categorical_values == ["bad"]

    # p: the review before this trace (trace-001 again).
    page.keyboard.press("p")
    page.get_by_text("Editing the review of trace-001").wait_for()
    page.go_back()  # the address before `p`: opened whole
    page.get_by_role("heading", name="Support chat 2").wait_for()
    page.wait_for_load_state("load")  # its scripts too, before the next key

    # Shift+S: skip at once, no reason; the next trace comes in place.
    mark(page)
    page.keyboard.press("Shift+S")
    page.get_by_text("Skipped trace-002").wait_for()
    assert page.get_by_role("heading", name="Support chat 3").is_visible() and same_document(page)

    # w: the next queue with work, on its next trace.
    page.keyboard.press("w")
    page.get_by_text("tax-001").first.wait_for()
    assert page.locator(".panel-queue").inner_text().startswith("Tax answers")
    assert same_document(page)


def test_the_loop_works_without_javascript(browser, live_server, sign_in, factory):
    wb = build(factory, traces=3)
    pid = wb.project.id
    second = queues.create_queue(pid, wb.admin, "Tax answers", "")
    queue_items.add_item(pid, wb.admin, second.id, "tax-001")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, wb.reviewer, f"/projects/{pid}/queues/")
        page.get_by_role("button", name="Start reviewing").first.click()
        page.get_by_label("Good").check()
        page.get_by_label("Tone").check()
        page.get_by_label("Rating").fill("3")
        page.get_by_label("Not resolved").check()
        page.get_by_role("button", name="Save & next").click()
        page.get_by_text("Saved your review of trace-001.").wait_for()
        assert page.get_by_role("heading", name="Support chat 2").is_visible()
        page.get_by_role("link", name="Edit the last one").click()
        page.get_by_text("Editing the review of trace-001").wait_for()
        page.go_back()
        page.get_by_role("button", name="Skip").click()
        page.get_by_text("Skipped trace-002").wait_for()
        assert page.get_by_role("heading", name="Support chat 3").is_visible()
        page.get_by_role("button", name="Open the next queue with work").click()
        page.get_by_text("tax-001").first.wait_for()
        assert page.locator(".panel-queue").inner_text().startswith("Tax answers")
        page.locator("#shortcut-sheet summary").click()  # a <details>: it opens without JavaScript
        page.get_by_role("button", name="Stay instead").click()
        page.get_by_text("Picking an answer now stays on the scorer.").wait_for()
        assert page.locator(".panel-queue").inner_text().startswith("Tax answers")  # back on the same trace
    finally:
        context.close()
    db.session.refresh(wb.reviewer)
    assert wb.reviewer.auto_advance is False


def test_a_long_trace_paints_first_then_brings_the_rest_when_scrolled_to(page, live_server, sign_in, factory):
    from reviewapp.services import ingest

    wb = build(factory, traces=1, stored=False)
    messages = [{"role": "user" if n % 2 == 0 else "assistant", "content": f"Message number {n}"} for n in range(60)]
    ingest.ingest_batch(wb.project.id, [{"event": "$ai_generation", "distinct_id": "u", "timestamp":
                                         "2025-03-01T12:00:00Z", "properties": {
                                             "$ai_trace_id": "trace-001", "$ai_model": "gpt-4o", "$ai_input": messages,
                                             "$ai_output_choices": [{"role": "assistant", "content": "Bye"}]}}])
    sign_in(page, wb.reviewer, f"/projects/{wb.project.id}/queues/")
    page.get_by_role("button", name="Start reviewing").click()
    page.locator("#review-form").wait_for()
    assert page.locator(".bubble").count() == 20
    page.locator(".chat-more").scroll_into_view_if_needed()
    page.get_by_text("Message number 59").wait_for()
    assert page.locator(".bubble").count() == 61 and page.locator(".chat-more").count() == 0


def test_a_long_span_tree_paints_its_first_rows_then_the_rest_when_scrolled_to(page, live_server, sign_in, factory,
                                                                                screenshot, browser):
    from reviewapp.services import ingest
    from reviewapp.services.span_tree import TREE_FIRST_PAINT

    wb = build(factory, traces=1, stored=False)
    events = [{"event": "$ai_trace", "distinct_id": "u", "timestamp": "2025-03-01T12:00:00Z",
               "properties": {"$ai_trace_id": "trace-001", "$ai_span_name": "Agent"}}]
    events += [{"event": "$ai_span", "distinct_id": "u", "timestamp": f"2025-03-01T12:00:{n:02d}Z",
                "properties": {"$ai_trace_id": "trace-001", "$ai_span_id": f"s{n}", "$ai_span_name": f"Step {n}",
                               "$ai_input_state": {"step": n}, **({"$ai_parent_id": f"s{n - 1}"} if n % 3 else {})}}
               for n in range(40)]
    # A conversation long enough to put the span tree below the fold; its generation is the tree's last row.
    messages = [{"role": "user" if n % 2 == 0 else "assistant", "content": f"Message number {n}"} for n in range(30)]
    events.append({"event": "$ai_generation", "distinct_id": "u", "timestamp": "2025-03-01T12:01:00Z", "properties": {
        "$ai_trace_id": "trace-001", "$ai_model": "gpt-4o", "$ai_input": messages}})
    ingest.ingest_batch(wb.project.id, events)
    sign_in(page, wb.reviewer, f"/projects/{wb.project.id}/queues/")
    page.get_by_role("button", name="Start reviewing").click()
    page.locator("#review-form").wait_for()
    rows = page.locator("#spans .tree-node:not(.tree-gap)")
    page.wait_for_load_state("networkidle")
    assert rows.count() == TREE_FIRST_PAINT  # the tree is below the fold: the rest waits for the reader
    # A keyboard reader tabbing onto the placeholder's link brings the rest and goes on from the first new row.
    page.get_by_role("link", name=f"{42 - TREE_FIRST_PAINT} more spans").focus()
    page.locator(".node-name", has_text="Step 39").wait_for()
    assert rows.count() == 42 and page.locator("#spans [data-lazy-more]").count() == 0
    assert page.evaluate("document.activeElement.textContent").startswith(f"spanStep {TREE_FIRST_PAINT - 1}")
    # A fetched span opens like the others: its body comes on demand.
    page.locator("summary", has_text="Step 39").click()
    page.get_by_role("heading", name="Input state").wait_for()
    assert '"step": 39' in page.locator("details.node[open] pre.json").first.inner_text()
    # Step 14 (after the rows painted first) is nested under Step 13, as on the trace page.
    indent = page.evaluate("""() => [...document.querySelectorAll('#spans .node-name')]
        .filter(e => /^Step 1[34]$/.test(e.textContent)).map(e => e.getBoundingClientRect().left)""")
    assert indent[1] > indent[0]
    screenshot(page, "long-span-tree-on-review-page")

    # With JavaScript off the placeholder is a link to the trace page, which lists every span.
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    plain = context.new_page()
    try:
        sign_in(plain, wb.reviewer, f"/projects/{wb.project.id}/queues/")
        plain.get_by_role("button", name="Start reviewing").click()
        assert plain.locator("#spans .tree-node:not(.tree-gap)").count() == TREE_FIRST_PAINT
        with context.expect_page() as opened:
            plain.get_by_role("link", name=f"{42 - TREE_FIRST_PAINT} more spans").click()
        trace_page = opened.value
        trace_page.locator(".node-name", has_text="Step 39").wait_for()
        assert trace_page.locator("#spans .tree-node:not(.tree-gap)").count() == 42
    finally:
        context.close()
