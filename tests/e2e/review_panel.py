"""Reading the review panel's state in Chromium: which scorer has the focus, and what a scorer has checked."""
from __future__ import annotations


def focused_scorer(page) -> str | None:
    return page.evaluate("() => { const s = document.activeElement.closest('[data-scorer]');"
                         " return s ? s.querySelector('.scorer-name').textContent : null; }")


def checked(page, scorer: str) -> list[str]:
    block = page.locator("fieldset.scorer", has=page.locator(".scorer-name", has_text=scorer))
    return block.locator("input:checked").evaluate_all("els => els.map(e => e.value)")
