"""Browser tests: the app served for real on a free port, driven by Debian's Chromium through Playwright.

The server thread shares the test database, so whatever a test creates must be committed (the services do)
before the browser asks for it; the autouse table cleaning in tests/conftest.py empties it afterwards."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug.serving import make_server

from tests.support.factories import Factory

CHROMIUM = os.environ.get("REVIEWAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"


@dataclass
class LiveServer:
    url: str

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Every JavaScript dialog (alert, confirm, prompt) the page opened; injected script would open one."""
    return []


@pytest.fixture
def page(browser, dialogs):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield page
    finally:
        context.close()
    assert dialogs == [], f"the page opened dialogs: {dialogs}"


@pytest.fixture
def sign_in(live_server):
    """Sign in through the form in the browser and land on `next_path`."""

    def do_sign_in(page, user, next_path: str, password: str = Factory.PASSWORD) -> None:
        page.goto(live_server(f"/login?next={quote(next_path, safe='/')}"))
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(live_server(next_path))

    return do_sign_in


@pytest.fixture
def screenshot():
    """Save a full-page screenshot to tests/e2e/screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar then sits at the top of the image
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
