"""Markdown from traces: rendered, then sanitised against an allow-list; the only place HTML is marked safe."""
import re
from pathlib import Path

import pytest
from markupsafe import Markup

from reviewapp.templating import render_markdown

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">raw link</a>',
    "<iframe src=//evil.example></iframe>",
    '<b onmouseover="alert(1)">hover</b>',
    "<style>body{display:none}</style>",
])
def test_raw_html_is_shown_as_text(source):
    html = str(render_markdown(source))
    assert "<" + source[1:] not in html
    assert re.search(r"<(script|img|iframe|style|b)\b", html) is None
    assert "&lt;" in html  # the tag is still there for the reader, as text


@pytest.mark.parametrize("source", [
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](/logout)",
    "![pic](javascript:alert(1))",
])
def test_only_http_https_and_mailto_links_survive(source):
    html = str(render_markdown(source))
    assert "href" not in html, html


def test_safe_markdown_renders_with_noopener_links():
    html = str(render_markdown("**bold** and `code`\nnext line\n\n- item\n\n[docs](https://example.com/a?b=1)"))
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html and "<br>" in html
    assert "<li>item</li>" in html
    assert '<a href="https://example.com/a?b=1" rel="noopener nofollow noreferrer">docs</a>' in html


def test_images_become_links_never_loaded():
    html = str(render_markdown("![a cat](https://example.com/cat.png)"))
    assert "<img" not in html
    assert '<a href="https://example.com/cat.png" rel="noopener nofollow noreferrer">[image: a cat]</a>' in html


def test_the_filter_returns_markup_and_empty_for_nothing():
    assert isinstance(render_markdown("x"), Markup)
    assert render_markdown(None) == "" and render_markdown("") == ""


def test_no_template_marks_anything_safe():
    offenders = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                 if re.search(r"\|\s*safe\b", path.read_text())]
    assert offenders == []
