"""Every page fits a phone (390×844) without sideways scrolling, the review page shows the trace before the
scoring panel there, Sign out stays reachable, and at 1280×800 the Traces table shows its status column."""
from __future__ import annotations

import pytest

from reviewapp import demo
from reviewapp.extensions import db
from reviewapp.models import ReviewQueue, ScoreDefinition, Trace
from tests.e2e.conftest import SCREENSHOTS
from tests.support.factories import Factory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def seeded(app):
    """The demo project (realistic traces, scorers, queues and reviews), with a viewer added."""
    seeded = demo.seed()
    project = seeded.project
    viewer = Factory().user(email="viewer@example.com", project=project, role="viewer", first_name="Vic")
    db.session.commit()
    return project, viewer


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in_as(page, live_server, email: str, password: str = demo.DEMO_PASSWORD) -> None:
    page.goto(live_server("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def overflow(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


def widest(page) -> list[str]:
    """The innermost elements that stick out past the right edge (outside any scrolling box): what to fix
    when a page scrolls sideways."""
    return page.evaluate("""() => {
        const limit = document.documentElement.clientWidth + 0.5;
        const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
            if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true; } return false; };
        const out = [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > limit && !scrolls(e));
        return out.filter(e => !out.some(o => o !== e && e.contains(o))).slice(0, 8)
          .map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.')
                    + ' right=' + Math.round(e.getBoundingClientRect().right));
    }""")


def snap(page, name: str) -> None:
    """The top of the page (long traces would make an unreadable image), the whole width it takes."""
    SCREENSHOTS.mkdir(exist_ok=True)
    width, height = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": min(height, 1800)})


def test_every_page_fits_a_phone(phone, live_server, seeded):
    project, viewer = seeded
    pid = project.id
    trace = db.session.query(Trace).filter_by(project_id=pid).order_by(Trace.generation_count.desc()).first()
    queue = db.session.query(ReviewQueue).filter_by(project_id=pid).first()
    scorer = db.session.query(ScoreDefinition).filter_by(project_id=pid, kind="categorical").first()
    page = phone
    problems = {}

    def check(name: str, path: str | None = None) -> None:
        if path is not None:
            page.goto(live_server(path))
        snap(page, f"phone_{name}")
        width, client = overflow(page)
        if width > client:
            problems[name] = (width, widest(page))

    page.goto(live_server("/login"))
    check("sign_in")
    sign_in_as(page, live_server, "admin@example.com")
    check("queues", f"/projects/{pid}/queues/")
    check("queue", f"/projects/{pid}/queues/{queue.id}/")
    check("traces", f"/projects/{pid}/traces/")
    check("trace", f"/projects/{pid}/traces/{trace.trace_id}")
    check("reviews", f"/projects/{pid}/reviews/")
    check("insights", f"/projects/{pid}/insights/")
    check("scorers", f"/projects/{pid}/scorers/")
    check("scorer_editor", f"/projects/{pid}/scorers/{scorer.id}/")
    check("scorer_new", f"/projects/{pid}/scorers/new?kind=categorical")
    check("scorer_versions", f"/projects/{pid}/scorers/{scorer.id}/versions")
    check("settings", f"/projects/{pid}/settings/")
    check("password", "/account/password")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login**")
    sign_in_as(page, live_server, viewer.email, Factory.PASSWORD)
    check("scorers_read_only", f"/projects/{pid}/scorers/")
    check("scorer_read_only", f"/projects/{pid}/scorers/{scorer.id}/")
    check("queue_read_only", f"/projects/{pid}/queues/{queue.id}/")
    assert problems == {}, "\n".join(f"{name}: {found}" for name, found in problems.items())


def test_the_review_page_on_a_phone_shows_the_trace_then_the_scoring_panel(phone, live_server, seeded):
    project, _ = seeded
    queue = db.session.query(ReviewQueue).filter_by(project_id=project.id).first()
    page = phone
    sign_in_as(page, live_server, "reviewer@example.com")
    page.goto(live_server(f"/projects/{project.id}/queues/{queue.id}/"))
    page.get_by_role("button", name="Start reviewing").click()
    page.wait_for_url("**/review/**")
    snap(page, "phone_review")
    width, client = overflow(page)
    assert width <= client, widest(page)
    trace = page.locator(".review-trace").bounding_box()
    panel = page.locator(".review-panel")
    assert trace["y"] < panel.bounding_box()["y"], "the trace comes first"
    # The scoring panel is a sheet along the bottom of the screen: its first scorer is in view without
    # scrolling past the trace, and it never covers more than half the screen.
    sheet = panel.bounding_box()
    assert sheet["y"] < PHONE["height"] and sheet["height"] <= PHONE["height"] / 2 + 1
    assert page.locator(".review-panel fieldset.scorer").first.is_visible()


def test_sign_out_and_every_nav_link_are_in_view_on_a_phone(phone, live_server, seeded):
    page = phone
    sign_in_as(page, live_server, "admin@example.com")
    for link in page.locator(".mainnav a").all() + [page.get_by_role("button", name="Sign out")]:
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], link.inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login**")


def test_the_traces_table_shows_its_status_column_at_1280(browser, live_server, seeded):
    project, _ = seeded
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        sign_in_as(page, live_server, "admin@example.com")
        page.goto(live_server(f"/projects/{project.id}/traces/"))
        snap(page, "desktop_traces")
        header = page.get_by_role("columnheader", name="Status").bounding_box()
        assert header["x"] + header["width"] <= DESKTOP["width"]
        wrap = page.locator(".table-wrap").first.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert wrap[0] <= wrap[1], "the table scrolls sideways inside its box"
        badges = page.locator(".table-traces .col-status .badge").all()
        assert badges and all(b.bounding_box()["x"] + b.bounding_box()["width"] <= DESKTOP["width"] for b in badges)
    finally:
        context.close()
