"""Untrusted trace content renders inert in a real browser: no script runs, no element is injected, and the
reader still sees the literal text."""
import pytest

from tests.traces.helpers import at, event, generation, root, span, store

pytestmark = pytest.mark.e2e

SCRIPT = '<script>window.__xss = "script"; alert("script")</script>'
IMG = "<img src=x onerror=\"window.__xss = 'img'; alert('img')\">"
JS_LINK = "[click me](javascript:alert('link'))"
RAW_LINK = "<a href=\"javascript:alert('raw-link')\" id=\"raw-link\">raw link</a>"
MARKDOWN_HTML = ("**bold** <iframe src=\"javascript:alert('iframe')\"></iframe> "
                 "<b onmouseover=\"alert('hover')\" id=\"hover-me\">hover</b> <svg onload=alert('svg')></svg>")
MARKDOWN_IMAGE = "![tracker](javascript:alert('image'))"

# Selectors for anything an attacker would have injected.
INJECTED = ("iframe, svg, img, object, embed, #raw-link, #hover-me, [onerror], [onload], [onmouseover], "
            "[onclick], a[href^='javascript' i], [src^='javascript' i]")
SCRIPTS = ("Array.from(document.scripts).filter(s => !s.src || new URL(s.src).pathname !== '/static/app.js')"
           ".length")
JS_URLS = ("Array.from(document.querySelectorAll('[href],[src],[action],[formaction]')).filter(e => "
           "['href','src','action','formaction'].some(a => /^\\s*(javascript|data|vbscript):/i.test("
           "e.getAttribute(a) || ''))).length")


def hostile_trace(project_id: int) -> str:
    trace_id = "xss-1"
    store(project_id, [
        root(trace_id, at(0), IMG + " name", input_state={"q": SCRIPT}, output_state={"a": RAW_LINK}),
        span(trace_id, at(0.1), "s-1", span_name=SCRIPT, parent_id=trace_id, error=RAW_LINK),
        generation(
            trace_id, at(0.2), span_id="g-1", parent_id="s-1", model=SCRIPT,
            input=[
                {"role": "system", "content": SCRIPT},
                {"role": "user", "content": [
                    {"type": "text", "text": f"{IMG}\n\n{JS_LINK}\n\n{MARKDOWN_HTML}"},
                    {"type": "image_url", "image_url": {"url": "javascript:alert('image-part')"}},
                ]},
                {"role": "<b onmouseover=alert(1)>narrator</b>", "content": RAW_LINK},
            ],
            output=[{"role": "assistant", "content": f"{MARKDOWN_IMAGE}\n\n{SCRIPT}", "tool_calls": [
                {"id": IMG, "type": "function", "function": {
                    "name": "<svg onload=alert('tool')>", "arguments": '{"html": "</pre><script>alert(1)</script>"}'}},
            ]}],
        ),
        generation(trace_id, at(0.3), span_id="g-2", parent_id="g-1", distinct_id=SCRIPT,
                   input=[{"role": "tool", "tool_call_id": "c", "content": f"</pre>{SCRIPT}"}], output=[]),
        event("$ai_feedback", trace_id, at(0.4), feedback_text=SCRIPT),
    ])
    return trace_id


def assert_inert(page):
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator(INJECTED).count() == 0
    assert page.evaluate(SCRIPTS) == 0
    assert page.evaluate(JS_URLS) == 0


def test_hostile_trace_renders_as_text_on_the_trace_page(page, live_server, sign_in, factory, dialogs,
                                                          screenshot):
    project = factory.project()
    user = factory.user(project=project, role="viewer")
    trace_id = hostile_trace(project.id)
    sign_in(page, user, f"/projects/{project.id}/traces/{trace_id}")

    # Open every collapsible so that hidden content is rendered too, and poke what an attacker hoped for.
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    screenshot(page, "trace_xss")
    chat = page.locator(".chat")
    chat.get_by_text('id="hover-me">hover</b>').hover()
    chat.get_by_text("[click me](javascript:alert('link'))").click()
    assert_inert(page)
    assert dialogs == []

    # The reader sees exactly what the trace said.
    assert chat.get_by_text(SCRIPT, exact=True).first.is_visible()
    assert chat.get_by_text(IMG, exact=False).first.is_visible()
    assert chat.get_by_text(RAW_LINK).first.is_visible()
    assert chat.get_by_text("bold", exact=True).evaluate("e => e.tagName") == "STRONG"
    assert chat.get_by_text("javascript:alert('image-part')").is_visible()
    assert page.locator(".tree").get_by_text(SCRIPT).first.is_visible()
    assert "</pre><script>alert(1)</script>" in page.locator(".tool-call pre").first.inner_text()
    assert page.title().startswith(IMG + " name")


def test_hostile_trace_renders_as_text_in_the_list(page, live_server, sign_in, factory, dialogs):
    project = factory.project()
    user = factory.user(project=project, role="viewer")
    hostile_trace(project.id)
    sign_in(page, user, f"/projects/{project.id}/traces/")
    assert_inert(page)
    row = page.locator("tbody tr").first
    assert row.get_by_text(IMG + " name").is_visible()
    assert row.get_by_text(SCRIPT).first.is_visible()  # the model name, as a tag
    page.goto(live_server(f"/projects/{project.id}/traces/?search=" + "%3Cscript%3E"))
    assert_inert(page)
    assert page.locator("input[name=search]").input_value() == "<script>"
    assert dialogs == []


def test_hostile_span_rows_fetched_on_the_review_page_stay_inert(page, live_server, sign_in, factory, dialogs):
    """The review page paints a long tree's first rows and fetches the others when scrolled to: those come in as
    inert text too."""
    from reviewapp.services.span_tree import TREE_FIRST_PAINT

    project = factory.project()
    user = factory.user(project=project, role="reviewer")
    trace_id = "xss-long"
    def name(n: int) -> str:
        return f"{n} {SCRIPT}" if n % 2 else f"{n} {IMG}"

    store(project.id, [root(trace_id, at(0), "Long")] + [
        span(trace_id, at(0.01 * (n + 1)), f"s-{n}", parent_id=trace_id, error=RAW_LINK, span_name=name(n))
        for n in range(TREE_FIRST_PAINT + 10)])
    sign_in(page, user, f"/projects/{project.id}/traces/{trace_id}/review")
    page.locator(".tree-later").scroll_into_view_if_needed()
    last = page.locator(".node-name", has_text=f"{TREE_FIRST_PAINT + 9} ")
    last.wait_for()
    assert last.inner_text() == name(TREE_FIRST_PAINT + 9)
    page.locator("summary.node-row", has_text=f"{TREE_FIRST_PAINT + 8} ").click()  # its body comes on demand too
    page.locator("details.node[open] .raw-json").wait_for()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator(INJECTED).count() == 0
    # The review page's own scripts only (it has four more than the trace page).
    assert page.evaluate("Array.from(document.scripts).filter(s => !s.src || "
                         "!new URL(s.src).pathname.startsWith('/static/')).length") == 0
    assert page.evaluate(JS_URLS) == 0
    assert dialogs == []
