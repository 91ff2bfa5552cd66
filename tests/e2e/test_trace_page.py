"""The trace pages in Chromium: bubbles, tool call JSON, the span tree with tokens and cost, raw JSON one
click away, and the list with its filters and selection."""
import json

import pytest

from reviewapp.services import queue_items, queues, span_tree, traces
from tests.traces.helpers import agent_trace, at, chain_trace, chat_trace, generation, store

pytestmark = pytest.mark.e2e
# Every row of the span tree ends inside the tree's box (no row pushed out sideways by indentation).
TREE_FITS = """(() => {
  const box = document.querySelector('.tree-root').getBoundingClientRect();
  return Array.from(document.querySelectorAll('.tree-root .node-row'))
    .every(row => row.getBoundingClientRect().right <= box.right + 0.5);
})()"""


def test_trace_page_shows_conversation_tree_and_raw_json(page, live_server, sign_in, factory, screenshot):
    project = factory.project("Weather")
    user = factory.user(project=project, role="reviewer", first_name="Rita", last_name="Reviewer")
    trace_id = agent_trace(project.id)
    sign_in(page, user, f"/projects/{project.id}/traces/{trace_id}")
    screenshot(page, "trace_page")

    # The conversation as bubbles, one per message, by role.
    bubbles = page.locator(".chat .bubble")
    roles = bubbles.evaluate_all("els => els.map(e => e.className.replace('bubble bubble-', ''))")
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    user_box = page.locator(".bubble-user").first.bounding_box()
    assert user_box["x"] > page.locator(".bubble-assistant").first.bounding_box()["x"]

    # Tool call arguments are pretty JSON in a collapsible block, open by default; it folds.
    call = page.locator("details.tool-call").first
    assert json.loads(call.locator("pre").inner_text()) == {"city": "Paris", "unit": "celsius"}
    assert call.locator("pre").inner_text().startswith('{\n  "city"')
    call.locator("summary").click()
    assert not call.locator("pre").is_visible()
    result = page.locator("details.tool-result pre").first
    assert json.loads(result.inner_text()) == {"temp_c": 18, "conditions": "light rain"}

    # The span tree: names, kinds, and per node latency, tokens and cost; the failing call stands out.
    rows = page.locator(".tree .node-row")
    assert rows.count() == 6
    nodes = page.locator(".tree-node")
    names = nodes.evaluate_all("els => els.map(e => e.querySelector('.node-name').textContent)")
    assert names == ["Weather agent", "plan", "gpt-4o", "get_weather", "gpt-4o", "gpt-4o-mini"]
    generation = nodes.nth(2)  # the planning call, nested under "plan"
    metrics = generation.locator(":scope > details > summary .metric").all_inner_texts()
    assert metrics == ["800 ms", "120 → 18", "$0.00042"]
    failed = page.locator(".tree-node.is-error")
    assert failed.count() == 1
    assert "Rate limit exceeded" in failed.locator(".node-error").inner_text()
    background = failed.locator(".node-row").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background != "rgba(0, 0, 0, 0)"

    # Raw JSON is one click away: on a tree row, and in the raw events list.
    raw = generation.locator(":scope > details .raw-json")
    assert not raw.is_visible()
    generation.locator(":scope > details > summary").click()
    assert raw.is_visible()
    assert json.loads(raw.inner_text())["properties"]["$ai_span_id"] == "gen-1"
    screenshot(page, "trace_page_node_open")
    first_event = page.locator(".raw-events details").first
    first_event.locator("summary").click()
    assert json.loads(first_event.locator("pre").inner_text())["event"] == "$ai_trace"
    page.get_by_role("button", name="Open or close all").click()  # some were closed: open every one
    assert page.locator(".raw-events > details[open]").count() == 7
    page.get_by_role("button", name="Open or close all").click()
    assert page.locator(".raw-events > details[open]").count() == 0

    # Keyboard users get a visible focus ring.
    page.locator(".breadcrumbs a").focus()
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_traces_list_filters_and_selects(page, live_server, sign_in, factory, screenshot):
    project = factory.project("Support")
    admin = factory.user(project=project, role="admin")
    agent_trace(project.id, minutes=30)
    for n in range(4):
        chat_trace(project.id, f"chat-{n}", minutes=n, error=n == 2, model="gpt-4o" if n % 2 else "gpt-4o-mini",
                   name=f"Support chat {n}", cost=0.002 * n)
    queue = queues.create_queue(project.id, admin, "Escalations")
    queue_items.add_item(project.id, admin, queue.id, "chat-1")
    sign_in(page, admin, f"/projects/{project.id}/traces/")
    screenshot(page, "traces_list")

    assert page.locator("tbody tr").count() == 5
    badge = page.locator("tr", has_text="Support chat 1").locator(".badge-pending")
    assert badge.inner_text() == "Pending in Escalations"
    page.get_by_label("Errors only").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**errors_only=y**")
    assert page.locator("tbody tr").count() == 2  # the agent's failing call, and chat 2

    page.get_by_label("Model").select_option("gpt-4o-mini")
    page.get_by_label("Errors only").uncheck()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**model=gpt-4o-mini**")
    names = page.locator("tbody .trace-link").all_inner_texts()
    assert names == ["Weather agent", "Support chat 2", "Support chat 0"]

    # The header checkbox (a JavaScript nicety) ticks every row of the selection form.
    page.get_by_label("Select every trace on this page").check()
    checked = page.locator("#traces-select-form input[name=trace_ids]:checked")
    assert checked.evaluate_all("els => els.map(e => e.value)") == ["agent-1", "chat-2", "chat-0"]

    # Sorting by cost from the header.
    page.get_by_role("link", name="Cost").click()
    page.wait_for_url("**order=-total_cost_usd**")
    assert page.locator("tbody .trace-link").all_inner_texts()[0] == "Support chat 2"


def test_a_trace_nested_10000_deep_opens_and_its_deeper_levels_follow(page, live_server, sign_in, factory, screenshot):
    project = factory.project("Deep")
    user = factory.user(project=project, role="reviewer")
    chain_trace(project.id, "deep", depth=10_000)
    sign_in(page, user, f"/projects/{project.id}/traces/deep")
    screenshot(page, "trace_page_10000_deep")

    names = page.locator(".tree .node-name").all_inner_texts()
    assert names == ["Deep chain"] + [f"step {n}" for n in range(span_tree.TREE_DEPTH)]
    # Nothing sticks out of the tree: indentation stops at the depth cap.
    assert page.evaluate(TREE_FITS)
    deeper = page.locator(".tree-deeper")
    assert deeper.inner_text().startswith("9,992 deeper spans")

    deeper.get_by_role("link", name="Open the deeper levels").click()
    page.wait_for_url(f"**span=s{span_tree.TREE_DEPTH - 1}**")
    assert page.locator(".tree .node-name").first.inner_text() == f"step {span_tree.TREE_DEPTH - 1}"
    assert page.locator(".tree-path").is_visible()
    screenshot(page, "trace_page_10000_deep_focused")
    page.locator(".tree-path").get_by_role("link", name="Up one level").click()
    page.wait_for_url(f"**span=s{span_tree.TREE_DEPTH - 2}**")
    assert page.locator(".tree .node-name").first.inner_text() == f"step {span_tree.TREE_DEPTH - 2}"

    # On a phone the eight levels still fit in the tree's own width.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server(f"/projects/{project.id}/traces/deep"))
    assert page.evaluate(TREE_FITS)
    screenshot(page, "trace_page_10000_deep_phone")


def test_a_long_message_is_clipped_with_a_show_all_link(page, live_server, sign_in, factory, screenshot):
    project = factory.project("Long")
    user = factory.user(project=project, role="viewer")
    body = "# A long report\n\n" + "All work and no play makes Jack a dull boy. " * 200_000  # 9 MB
    store(project.id, [generation("long", at(0), input=[{"role": "user", "content": body}],
                                  output=[{"role": "assistant", "content": "That is **a lot** of text."}])])
    sign_in(page, user, f"/projects/{project.id}/traces/long")
    screenshot(page, "trace_page_long_message")

    size = page.evaluate("document.documentElement.outerHTML.length")
    assert size < 100_000
    user_bubble = page.locator(".bubble-user")
    assert user_bubble.locator("h1").inner_text() == "A long report"
    note = user_bubble.locator(".clip-note")
    assert note.inner_text() == f"Showing {traces.TEXT_SHOWN:,} of {len(body):,} characters · Show all"
    with page.context.expect_page() as opened:
        note.get_by_role("link", name="Show all").click()
    whole = opened.value
    whole.wait_for_load_state()
    assert len(whole.locator("body").inner_text()) > 8_000_000
    whole.close()
