"""The traces list and trace pages, as a signed-in member sees them."""
import re

import pytest

from reviewapp.services import claims, queue_items, queues, reviews, scorers, span_tree, traces
from tests.traces.helpers import agent_trace, at, chain_trace, chat_trace, generation, root, sign_in, span, store


@pytest.fixture
def project(factory):
    return factory.project("Support bot")


@pytest.fixture
def viewer(factory, project):
    return factory.user(project=project, role="viewer", first_name="Vera", last_name="Viewer")


@pytest.fixture
def signed_in(client, viewer, project):
    sign_in(client, viewer, f"/projects/{project.id}/traces/")
    return client


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def rows(html):
    return re.findall(r'name="trace_ids" value="([^"]+)"', html)


def test_anonymous_visitors_go_to_sign_in(client, project):
    chat_trace(project.id, "t")
    for url in (f"/projects/{project.id}/traces/", f"/projects/{project.id}/traces/t"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")


def test_list_shows_each_trace_with_its_state(signed_in, project, factory):
    admin = factory.user(project=project, role="admin")
    chat_trace(project.id, "t-plain", minutes=0, name="Plain chat")
    chat_trace(project.id, "t-error", minutes=1, error=True, model="claude-3-haiku", cost=0.0123, latency=2.5)
    chat_trace(project.id, "t-queued", minutes=2)
    chat_trace(project.id, "t-reviewed", minutes=3)
    queue = queues.create_queue(project.id, admin, "Escalations")
    queue_items.add_item(project.id, admin, queue.id, "t-queued")
    reviews.save_review(project.id, admin, trace_id="t-reviewed", comment="ok")

    html = page(signed_in, f"/projects/{project.id}/traces/")
    assert rows(html) == ["t-reviewed", "t-queued", "t-error", "t-plain"]
    assert '<form id="traces-select-form" method="post">' in html
    assert "Plain chat" in html and "What is the capital of France?" in html
    assert "Pending in Escalations" in html
    assert html.count('class="badge badge-reviewed"') == 1
    assert html.count('class="badge badge-error"') == 1
    assert html.count('<span class="badge badge-muted">Not queued</span>') == 2
    error_row = re.search(r'<tr class="row-error">.*?</tr>', html, re.S).group(0)
    assert "claude-3-haiku" in error_row and "$0.0123" in error_row and "2.50 s" in error_row
    assert f'href="/projects/{project.id}/traces/t-error"' in error_row
    assert '<option value="claude-3-haiku">claude-3-haiku</option>' in html  # the model filter's choices


def test_filters_narrow_the_list_and_keep_their_values(signed_in, project):
    chat_trace(project.id, "alpha", minutes=0, model="gpt-4o")
    chat_trace(project.id, "beta", minutes=60 * 24, error=True, model="gpt-4o")
    chat_trace(project.id, "gamma", minutes=60 * 48, model="claude")
    url = f"/projects/{project.id}/traces/"
    assert rows(page(signed_in, url + "?search=ALP")) == ["alpha"]
    assert rows(page(signed_in, url + "?model=claude")) == ["gamma"]
    assert rows(page(signed_in, url + "?errors_only=y")) == ["beta"]
    assert rows(page(signed_in, url + "?date_from=2025-03-11&date_to=2025-03-11")) == ["beta"]
    assert rows(page(signed_in, url + "?review_state=not_queued&order=first_timestamp")) == ["alpha", "beta", "gamma"]
    html = page(signed_in, url + "?search=alp&model=gpt-4o&errors_only=y")
    assert 'value="alp"' in html and '<option selected value="gpt-4o">' in html and "checked" in html
    assert "No trace matches these filters." in html


def test_the_model_filter_offers_each_model_of_the_project_once(signed_in, project, factory):
    for n, model in enumerate(["gpt-4o", "claude-3-haiku", "gpt-4o", "o1"]):
        chat_trace(project.id, f"t{n}", minutes=n, model=model)
    chat_trace(factory.project().id, "elsewhere", model="mistral-large")
    html = page(signed_in, f"/projects/{project.id}/traces/?model=o1")
    select = re.search(r'<select[^>]*name="model".*?</select>', html, re.S).group(0)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == ["Any model", "claude-3-haiku", "gpt-4o", "o1"]
    assert '<option selected value="o1">' in select


def test_bad_filters_are_shown_beside_their_field(signed_in, project):
    chat_trace(project.id, "t")
    html = page(signed_in, f"/projects/{project.id}/traces/?date_from=tomorrow", status=400)
    assert re.search(r'<p class="field-error" id="date_from-error">Enter a date \(2025-01-31\) or a date and time',
                     html)
    html = page(signed_in, f"/projects/{project.id}/traces/?review_state=maybe", status=400)
    assert '<p class="field-error" id="review_state-error">&#34;maybe&#34; is not a valid choice.</p>' in html
    html = page(signed_in, f"/projects/{project.id}/traces/?order=-name", status=400)
    assert "is not one of the available choices" in html


def test_pagination_and_sortable_headers(signed_in, project, app):
    app.config["PAGE_SIZE"] = 2
    try:
        for n in range(5):
            chat_trace(project.id, f"t{n}", minutes=n, cost=n / 100)
        url = f"/projects/{project.id}/traces/"
        first = page(signed_in, url + "?search=t")
        assert rows(first) == ["t4", "t3"]
        assert "Page 1 of 3" in first and "1–2 of 5 traces" in first
        assert f'href="{url}?search=t&amp;page=2"' in first
        third = page(signed_in, url + "?search=t&page=3")
        assert rows(third) == ["t0"] and "Page 3 of 3" in third
        assert f'href="{url}?search=t&amp;page=2"' in third
        assert rows(page(signed_in, url + "?page=9")) == [] and "There is nothing on this page." in page(
            signed_in, url + "?page=9")
        # The cost header sorts by cost, most expensive first, and drops the page number.
        assert f'href="{url}?search=t&amp;order=-total_cost_usd"' in third
        assert rows(page(signed_in, url + "?order=total_cost_usd")) == ["t0", "t1"]
    finally:
        app.config["PAGE_SIZE"] = 50


def test_empty_project_says_how_to_send_traces(signed_in, project):
    html = page(signed_in, f"/projects/{project.id}/traces/")
    assert "No traces yet." in html and f"reviewapp import-traces FILE --project {project.id}" in html


def test_trace_page_shows_conversation_tree_and_raw_events(signed_in, project):
    agent_trace(project.id)
    html = page(signed_in, f"/projects/{project.id}/traces/agent-1")
    assert "<title>Weather agent · Traces · reviewapp</title>" in html
    for role in ("system", "user", "assistant", "tool"):
        assert f'class="bubble bubble-{role}"' in html
    assert "<strong>18 °C</strong>" in html  # assistant Markdown, rendered
    assert "&#34;city&#34;: &#34;Paris&#34;" in html  # tool call arguments, pretty JSON
    assert html.count('class="tree-node"') + html.count('class="tree-node is-error"') == 6
    assert html.count('class="tree-node is-error"') == 1
    assert "Rate limit exceeded" in html and "Error 429" in html
    assert html.count('<details class="collapsible raw-json" id="event-') == 7
    assert "A new context starts here" in html
    assert "Nobody has reviewed this trace yet." in html and "Not in any queue." in html


def test_trace_page_shows_review_with_version_pins_and_queue(signed_in, project, factory):
    admin = factory.user(project=project, role="admin", first_name="Ada", last_name="Admin")
    chat_trace(project.id, "judged")
    chat_trace(project.id, "waiting")
    tone = scorers.create_definition(project.id, admin, name="Tone", kind="categorical", config={
        "options": [{"key": "warm", "label": "Warm"}, {"key": "cold", "label": "Cold"}]})
    scorers.new_version(project.id, admin, tone.id, {"options": [{"key": "warm", "label": "Friendly"}]})
    reviews.save_review(project.id, admin, trace_id="judged", comment="Nice <b>tone</b>", scores=[
        {"definition_id": str(tone.id), "definition_version_id": str(scorers.load_definition(
            project.id, tone.id).current_version_id), "categorical_values": ["warm"]}])
    queue = queues.create_queue(project.id, admin, "Second look")
    queue_items.add_item(project.id, admin, queue.id, "waiting")

    judged = page(signed_in, f"/projects/{project.id}/traces/judged")
    assert re.search(r"Tone\s*<span class=\"version-pin\"[^>]*>v2</span>", judged)
    assert "<dd>Friendly</dd>" in judged
    assert "Nice &lt;b&gt;tone&lt;/b&gt;" in judged and "By Ada Admin" in judged
    waiting = page(signed_in, f"/projects/{project.id}/traces/waiting")
    assert "Pending in <strong>Second look</strong>" in waiting and "added by Ada Admin" in waiting


def test_other_projects_traces_are_404(signed_in, factory):
    other = factory.project()
    chat_trace(other.id, "theirs")
    page(signed_in, f"/projects/{other.id}/traces/theirs", status=404)
    page(signed_in, f"/projects/{other.id}/traces/", status=404)
    page(signed_in, "/projects/999999/traces/", status=404)


def test_unknown_trace_is_a_404_page_in_the_layout(signed_in, project):
    html = page(signed_in, f"/projects/{project.id}/traces/missing", status=404)
    assert "Not found" in html and 'class="topbar"' in html


def test_actions_follow_the_role_and_the_queue(client, project, factory):
    reviewer = factory.user(project=project, role="reviewer")
    chat_trace(project.id, "waiting")
    queue = queues.create_queue(project.id, reviewer, "Inbox")
    item = queue_items.add_item(project.id, reviewer, queue.id, "waiting")
    sign_in(client, reviewer, f"/projects/{project.id}/traces/waiting")
    html = page(client, f"/projects/{project.id}/traces/waiting")
    assert f'href="/projects/{project.id}/traces/waiting/review">Review this trace</a>' in html
    assert f'href="/projects/{project.id}/queues/{queue.id}/">Open Inbox</a>' in html
    assert f'href="/projects/{project.id}/queues/{queue.id}/items/{item.id}/remove">Remove from queue…</a>' in html


def test_viewers_get_no_actions(signed_in, project):
    chat_trace(project.id, "t")
    html = page(signed_in, f"/projects/{project.id}/traces/t")
    assert "Review this trace" not in html and 'id="actions-heading"' not in html


def test_the_list_page_runs_the_same_queries_for_1_or_50_rows(client, factory, count_queries):
    small, big = factory.project(), factory.project()
    user = factory.user(project=small, role="admin")
    from reviewapp.services import accounts

    accounts.set_membership(user, big, "admin")
    for project, n in ((small, 1), (big, 50)):
        queue = queues.create_queue(project.id, user, "Q")
        for i in range(n):
            chat_trace(project.id, f"p{project.id}-{i}", minutes=i, model=f"m{i % 4}")
            if i % 2:
                queue_items.add_item(project.id, user, queue.id, f"p{project.id}-{i}")
    sign_in(client, user, f"/projects/{small.id}/traces/")

    def queries(project):
        path = f"/projects/{project.id}/traces/"  # signing in committed, so reading project.id is a query
        with count_queries() as statements:
            html = page(client, path)
        return len(statements), len(rows(html))

    small_queries, small_rows = queries(small)
    big_queries, big_rows = queries(big)
    assert (small_rows, big_rows) == (1, 50)
    assert small_queries == big_queries


def test_a_project_page_loads_the_member_and_the_project_switcher_in_one_query(client, factory, count_queries):
    """Beyond the user, the request's access check costs one statement whatever the number of projects: every
    membership with its project (the check and the project switcher's list both come from it)."""
    projects = [factory.project(f"Project {n}") for n in range(3)]
    user = factory.user(project=projects[0], role="viewer")
    from reviewapp.services import accounts

    for other in projects[1:]:
        accounts.set_membership(user, other, "reviewer")
    chat_trace(projects[0].id, "t")
    sign_in(client, user, f"/projects/{projects[0].id}/traces/")
    path = f"/projects/{projects[0].id}/traces/t"  # signing in committed, so reading the id is a query
    with count_queries() as statements:
        html = page(client, path)
    assert all(f"Project {n}" in html for n in range(3))  # the switcher lists them all
    # (The user's own row may come from the test session's identity map, so it is left out of the count.)
    project_queries = [s for s in statements if not s.lstrip().startswith("SELECT users.")]
    # memberships with projects; then the trace, its events, blind review's check, its review, its judgments and
    # queue item; then its review history and its evaluation results
    assert len(project_queries) == 9, "\n".join(project_queries)


def test_a_trace_nested_10000_deep_opens_collapsed_past_the_depth_cap(signed_in, project):
    chain_trace(project.id, "deep", depth=10_000)
    html = page(signed_in, f"/projects/{project.id}/traces/deep")  # it was a 500 (RecursionError) from ~250 deep
    assert len(html) < 300_000
    names = re.findall(r'<span class="node-name">([^<]*)</span>', html)
    assert names == ["Deep chain"] + [f"step {n}" for n in range(span_tree.TREE_DEPTH)]
    deeper = f"/projects/{project.id}/traces/deep?span=s{span_tree.TREE_DEPTH - 1}#spans"
    assert f'9,992 deeper spans · <a href="{deeper}">Open the deeper levels</a>' in html
    assert len(re.findall(r"<ul[ >]", html)) == html.count("</ul>")  # the flat loop closes every list it opens
    assert len(re.findall(r"<li[ >]", html)) == html.count("</li>")

    # The deeper levels open from their ancestor, with the way back up.
    html = page(signed_in, deeper)
    names = re.findall(r'<span class="node-name">([^<]*)</span>', html)
    assert names == [f"step {n}" for n in range(span_tree.TREE_DEPTH - 1, 2 * span_tree.TREE_DEPTH)]
    assert "Showing the 9,993 spans under <strong>step 7</strong>, level 8 of the trace" in html
    assert f'<a href="/projects/{project.id}/traces/deep?span=deep#spans">Whole trace</a>' in html
    assert f'<a href="/projects/{project.id}/traces/deep?span=s6#spans">Up one level</a>' in html


def test_a_reviewer_can_work_on_a_claimed_10000_deep_trace(client, project, factory):
    reviewer = factory.user(project=project, role="reviewer")
    chain_trace(project.id, "deep", depth=10_000)
    queue = queues.create_queue(project.id, reviewer, "Deep ones")
    queue_items.add_item(project.id, reviewer, queue.id, "deep")
    item = claims.claim_next(project.id, reviewer, queue.id)
    sign_in(client, reviewer, f"/projects/{project.id}/traces/")
    html = page(client, f"/projects/{project.id}/review/{item.id}")
    assert 'id="review-form"' in html and len(html) < 300_000
    # The deeper levels open in a new tab: the review being typed here stays.
    assert (f'<a href="/projects/{project.id}/traces/deep?span=s{span_tree.TREE_DEPTH - 1}#spans" target="_blank" '
            f'rel="noopener">Open the deeper levels</a>') in html


def test_a_15_mb_input_is_shown_clipped_with_the_rest_one_click_away(signed_in, project):
    body = "# Report\n\n" + "lorem ipsum " * 1_250_000  # 15 MB in one message
    store(project.id, [generation("big", at(0), input=[{"role": "user", "content": body}],
                                  output=[{"role": "assistant", "content": "Summarised."}])])
    html = page(signed_in, f"/projects/{project.id}/traces/big")
    assert len(html) < 100_000  # it was 47 MB for a 15 MB input
    assert "<h1>Report</h1>" in html and "Summarised." in html
    assert f"Showing {traces.TEXT_SHOWN:,} of {len(body):,} characters" in html
    event_uuid = traces.get_trace(project.id, "big").events[0].uuid
    whole = f"/projects/{project.id}/events/{event_uuid}/input/0/0"
    assert f'<a href="{whole}" target="_blank" rel="noopener">Show all</a>' in html

    response = signed_in.get(whole)
    assert (response.status_code, response.mimetype, response.get_data(as_text=True)) == (200, "text/plain", body)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"  # inert, whatever it holds
    raw = signed_in.get(f"/projects/{project.id}/events/{event_uuid}")
    assert (raw.status_code, raw.mimetype) == (200, "application/json")
    assert raw.get_json()["properties"]["$ai_input"][0]["content"] == body


def test_show_all_serves_only_this_projects_events(signed_in, project, factory):
    other = factory.project()
    store(other.id, [generation("theirs", at(0))])
    event_uuid = traces.get_trace(other.id, "theirs").events[0].uuid
    assert signed_in.get(f"/projects/{project.id}/events/{event_uuid}").status_code == 404
    assert signed_in.get(f"/projects/{project.id}/events/{event_uuid}/input/0/0").status_code == 404
    assert signed_in.get(f"/projects/{other.id}/events/{event_uuid}").status_code == 404
    store(project.id, [generation("mine", at(0))])
    mine = traces.get_trace(project.id, "mine").events[0].uuid
    assert signed_in.get(f"/projects/{project.id}/events/{mine}/output/0/0").get_data(as_text=True) == "Hi there"
    assert signed_in.get(f"/projects/{project.id}/events/{mine}/output/5/0").status_code == 404


def test_each_generation_keeps_its_own_input_and_output_one_click_away(signed_in, project):
    agent_trace(project.id)
    detail = traces.get_trace(project.id, "agent-1")
    second = next(e for e in detail.events if (e.properties or {}).get("$ai_span_id") == "gen-2")
    html = page(signed_in, f"/projects/{project.id}/traces/agent-1")
    link = f"/projects/{project.id}/events/{second.uuid}/input"
    assert f'<a href="{link}" target="_blank" rel="noopener">input</a>' in html
    response = signed_in.get(link)
    assert response.mimetype == "application/json"
    assert [m["role"] for m in response.get_json()] == ["system", "user", "assistant", "tool"]
    output = signed_in.get(f"/projects/{project.id}/events/{second.uuid}/output").get_json()
    assert output[0]["content"].startswith("It is **18 °C**")


def test_a_long_thread_shows_its_start_and_end_and_long_names_are_cut(signed_in, project):
    history = [{"role": "user" if n % 2 else "assistant", "content": f"message {n}"} for n in range(500)]
    store(project.id, [generation("chatty", at(0), input=history, span_name="N" * 100_000,
                                  output=[{"role": "assistant", "content": "the end"}])])
    html = page(signed_in, f"/projects/{project.id}/traces/chatty")
    shown = re.findall(r"<p>(message \d+|the end)</p>", html)
    half = traces.MESSAGES_SHOWN // 2
    assert shown == [f"message {n}" for n in range(half)] + [f"message {n}" for n in range(401, 500)] + ["the end"]
    assert "301 messages in between are not shown" in html and "501 messages" in html
    assert "N" * span_tree.LABEL_LENGTH + "<" in html and len(html) < 200_000


def test_a_wide_trace_lists_its_spans_a_page_at_a_time(signed_in, project):
    store(project.id, [root("wide", at(0), "Wide")] + [
        span("wide", at(i / 1000), f"s{i}", span_name=f"call {i}", parent_id="wide")
        for i in range(span_tree.TREE_NODES + 20)])
    html = page(signed_in, f"/projects/{project.id}/traces/wide")
    names = re.findall(r'<span class="node-name">([^<]*)</span>', html)
    assert names == ["Wide"] + [f"call {i}" for i in range(span_tree.TREE_NODES - 1)]
    later = f"/projects/{project.id}/traces/wide?span=wide&amp;from={span_tree.TREE_NODES}#spans"
    assert f'21 more spans at these levels · <a href="{later}">Next spans</a>' in html

    html = page(signed_in, later.replace("&amp;", "&"))
    names = re.findall(r'<span class="node-name">([^<]*)</span>', html)
    assert names == [f"call {i}" for i in range(span_tree.TREE_NODES - 1, span_tree.TREE_NODES + 20)]
    assert f"Spans {span_tree.TREE_NODES + 1:,}–{span_tree.TREE_NODES + 21:,} of {span_tree.TREE_NODES + 21:,}" in html
    assert f'<a href="/projects/{project.id}/traces/wide?span=wide#spans">Earlier spans</a>' in html
    assert len(re.findall(r"<ul[ >]", html)) == html.count("</ul>")
    assert len(re.findall(r"<li[ >]", html)) == html.count("</li>")


def url_for_trace(client, project_id: int, trace_id: str) -> str:
    """The address the app builds for a trace's page, as its links carry it."""
    from flask import url_for

    with client.application.test_request_context():
        return url_for("traces.detail", project_id=project_id, trace_id=trace_id)


def test_a_trace_id_with_a_line_break_or_a_slash_opens(signed_in, project, factory):
    """Trace ids come from clients: whatever they hold, the trace's page and its API answer open it, and the
    traces list links to the page (a leading slash included: the capture fuzz test found "/" a 404)."""
    from urllib.parse import quote

    key = factory.api_key(factory.user(project=project, role="viewer"))
    for n, trace_id in enumerate(("line\nbreak", "a/b/c", "tab\there", "/", "/lead", "//x/y", "end/")):
        chat_trace(project.id, trace_id, question=f"Question number {n}")
        html = page(signed_in, f"/projects/{project.id}/traces/{quote(trace_id, safe='')}")
        assert f"Question number {n}" in html
        link = url_for_trace(signed_in, project.id, trace_id)
        assert f"Question number {n}" in page(signed_in, link)
        if trace_id.endswith("/"):
            continue  # no address of the API's form traces/<id>/ ends a part on a slash (test_fuzz_capture)
        answer = signed_in.get(f"/api/environments/{project.id}/llm_analytics/traces/{quote(trace_id, safe='')}/",
                               headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200 and answer.get_json()["trace_id"] == trace_id
