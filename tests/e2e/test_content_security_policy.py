"""The pages work in Chromium under the Content-Security-Policy: no violation on any main page, the scripts still
run (review shortcuts, the scorer editor), the progress bars still draw, and an injected inline handler is inert."""
from __future__ import annotations

import pytest

from reviewapp.services import reviews
from tests.web.workbench import build

pytestmark = pytest.mark.e2e

# Runs before any page script (Playwright injects it outside the page's policy): record every violation.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile));
"""


@pytest.fixture
def watched(page):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda error: console.append(f"uncaught: {error}"))
    page.add_init_script(RECORD_VIOLATIONS)

    def check(where: str) -> None:
        violations = page.evaluate("window.__csp")
        assert violations == [], (where, violations)
        assert [m for m in console if "Content Security Policy" in m or "uncaught" in m] == [], (where, console)

    page.check = check
    return page


def test_the_main_pages_work_under_the_policy(watched, live_server, sign_in, factory, screenshot):
    page = watched
    wb = build(factory, traces=3)
    reviews.save_review(wb.project.id, wb.admin, trace_id="trace-003", comment="Fine.", scores=[])
    pid = wb.project.id
    sign_in(page, wb.admin, f"/projects/{pid}/queues/")
    page.check("queues")
    paths = [f"/projects/{pid}/queues/{wb.queue.id}/", f"/projects/{pid}/traces/",
             f"/projects/{pid}/traces/trace-001", f"/projects/{pid}/reviews/", f"/projects/{pid}/insights/",
             f"/projects/{pid}/scorers/", f"/projects/{pid}/scorers/{wb.quality.id}/",
             f"/projects/{pid}/settings/", "/account/password"]
    for path in paths:
        response = page.goto(live_server(path))
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.check(path)

    # The progress bar draws without a style attribute: 1 of 3 reviewed fills about a third of the track.
    page.goto(live_server(f"/projects/{pid}/queues/{wb.queue.id}/"))
    track = page.locator(".progress").first.bounding_box()
    bar = page.locator(".progress .progress-fill").first.bounding_box()
    assert 0.25 < bar["width"] / track["width"] < 0.42, (bar, track)
    screenshot(page, "csp-queue-progress")

    # The scorer editor's script runs: "+ Add rows" adds a row without a round trip.
    page.goto(live_server(f"/projects/{pid}/scorers/new?kind=categorical"))
    rows = page.locator("[data-option-row]").count()
    page.get_by_role("button", name="+ Add rows").click()
    assert page.locator("[data-option-row]").count() > rows
    page.check("scorer editor")

    # The review page's shortcuts run.
    page.goto(live_server(f"/projects/{pid}/queues/"))
    page.get_by_role("button", name="Start reviewing").first.click()
    page.wait_for_url("**/review/*")
    page.keyboard.press("1")
    assert page.locator("fieldset.scorer input:checked").count() == 1
    page.check("review")

    # Markup that slipped through would not run: an inline handler is refused, and the refusal is reported.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"/nothing.png\" "
                  "onerror=\"window.__ran = 1\">')")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None
    assert "script-src" in page.evaluate("window.__csp")[0]


def test_the_sign_in_page_works_under_the_policy(watched, live_server, factory):
    page = watched
    user = factory.user()
    page.goto(live_server("/login"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("Email or password is not correct.").is_visible()
    page.check("sign-in")
