"""Template globals and filters shared by every page.

`markdown` is the one place in the app that marks HTML as safe: Markdown from a trace is rendered with raw HTML
disabled and then sanitised against an allow-list, so nothing a trace contains can run in the browser."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import nh3
from flask import Flask, g, request
from flask_login import current_user
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from reviewapp.services import accounts, passing, review_history, span_tree, traces
from reviewapp.services.conversation import pretty_json
from reviewapp.services.traces import clip, event_json

# The main navigation, in order.
NAV = (
    ("queues.index", "Queues"),
    ("traces.index", "Traces"),
    ("review.reviews", "Reviews"),
    ("evaluations.index", "Evaluations"),
    ("insights.index", "Insights"),
    ("scorers.index", "Scorers"),
    ("settings.index", "Settings"),
)

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).enable(
    ["table", "strikethrough"]
)


def _image_as_link(self, tokens, idx, options, env) -> str:
    """A Markdown image is never loaded: it shows as a link to its address (sanitised like any link)."""
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = str(token.attrGet("src") or "")
    label = alt or (src if len(src) <= 80 else src[:64] + "…")
    return f'<a href="{escape(src)}">[image: {escape(label)}]</a>'


_markdown.add_render_rule("image", _image_as_link)
SAFE_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}
SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _only_safe_links(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if value.strip().lower().startswith(SAFE_SCHEMES) else None
    return value


_cleaner = nh3.Cleaner(
    tags=SAFE_TAGS,
    clean_content_tags={"script", "style"},
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    attribute_filter=_only_safe_links,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener nofollow noreferrer",
)


def render_markdown(text: str | None) -> Markup:
    """Untrusted Markdown as sanitised HTML: raw HTML is shown as text, links only http(s) and mailto."""
    if not text:
        return Markup("")
    return Markup(_cleaner.clean(_markdown.render(str(text))))


def format_datetime(value: datetime | None, seconds: bool = False) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def _finite_decimal(value: Any) -> Decimal | None:
    """A number as an exact Decimal (a float by its shortest text, so 0.1 stays 0.1); None if not finite."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _significant(number: Decimal, digits: int) -> str:
    """A number below 1 rounded to `digits` significant digits, in plain notation: 0.00000022, never 2.2E-7."""
    rounded = number.quantize(Decimal(1).scaleb(number.adjusted() - digits + 1), rounding=ROUND_HALF_UP)
    text = format(rounded, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_seconds(value: float | None) -> str:
    number = None if value is None else _finite_decimal(value)
    if number is None:
        return "—"
    value = float(number)
    if abs(value) < 1:
        return f"{value * 1000:.0f} ms"
    if abs(value) < 59.995:
        return f"{value:.2f} s"
    total = round(value)  # whole seconds first, so 119.7 s is "2 min 0 s", not "1 min 60 s"
    if total < 3600:
        return f"{total // 60} min {total % 60} s"
    if total < 86400:
        return f"{total // 3600} h {total % 3600 // 60} min"
    return f"{total // 86400:,} d {total % 86400 // 3600} h"


# Costs outside these bounds are shown in scientific notation: no one pays them, but the page must not burst.
COST_TINY = Decimal("1e-12")
COST_HUGE = Decimal("1e15")


def format_cost(value: float | Decimal | None) -> str:
    """US dollars as people read them: cents from a dollar up ($1,234.50), up to four decimals below a dollar
    ($0.0123, $0.50), and three significant digits below a cent, so a tiny cost never reads "$0." ($0.00000022)."""
    if value is None:
        return "—"
    number = _finite_decimal(value)
    if number is None:
        return "—"
    if number == 0:
        return "$0"
    sign, number = ("-" if number < 0 else ""), abs(number)
    if number < COST_TINY or number >= COST_HUGE:
        return f"{sign}${number:.2E}"
    if number >= 1:
        return f"{sign}${number:,.2f}"
    if number >= Decimal("0.01"):
        text = f"{number:.4f}".rstrip("0")
        return f"{sign}${text}" + "0" * max(0, 2 - len(text.split(".")[1]))
    return f"{sign}${_significant(number, 3)}"


def format_count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def format_decimal_number(value: float | Decimal | None, places: int = 2) -> str:
    """A measured number (a mean, a rate): `places` decimals with thousands separators, and two significant
    digits for a number too small for them, so 0.004 reads "0.004", not "0.00"."""
    number = None if value is None else _finite_decimal(value)
    if number is None:
        return "—"
    if number != 0 and abs(number) < Decimal(1).scaleb(-places):
        return ("-" if number < 0 else "") + _significant(abs(number), 2)
    return f"{number:,.{places}f}"


def format_score(score: Any) -> str:
    """A saved score's value in the words of the scorer version it was saved against (the history keeps it so)."""
    return review_history.score_text(score)


def score_rule(score: Any) -> str | None:
    """The passing rule, in words, of the scorer version a saved score pinned (its stored copy of the config)."""
    return passing.describe(score.definition.kind, score.definition_config or {})


def url_with(**changes: Any) -> str:
    """This page's URL with some query parameters replaced (None removes one): for pagination and sorting."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    args += [(k, str(v)) for k, v in changes.items() if v is not None and v != ""]
    return request.path + ("?" + urlencode(args) if args else "")


def register(app: Flask) -> None:
    @app.context_processor
    def layout_context() -> dict:
        if not current_user.is_authenticated:
            projects = []
        elif "memberships" in g:  # a project page has loaded them already
            projects = [(membership.project, membership.role) for membership in g.memberships]
        else:
            projects = accounts.projects_of(current_user)
        project = g.get("project")
        return {
            "nav_projects": projects,
            "project": project,
            # Pages outside a project (the password page) still link into the user's first project.
            "nav_project": project or (projects[0][0] if projects else None),
            "membership": g.get("membership"),
        }

    # Globals (not context) so that imported macros see them too.
    app.add_template_global(url_with)
    app.jinja_env.globals.update(
        main_nav=NAV,
        # How much of a trace's long bodies a page shows (the trace view clips them, with "show all" links).
        text_shown=traces.TEXT_SHOWN,
        json_shown=traces.JSON_SHOWN,
        event_json_shown=traces.EVENT_JSON_SHOWN,
        raw_events_shown=traces.RAW_EVENTS_SHOWN,
        messages_shown=traces.MESSAGES_SHOWN,
        messages_first_paint=traces.MESSAGES_FIRST_PAINT,
        tree_first_paint=span_tree.TREE_FIRST_PAINT,
    )

    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_seconds, "seconds")
    app.add_template_filter(format_cost, "cost")
    app.add_template_filter(format_count, "number")
    app.add_template_filter(format_decimal_number, "decimal")
    app.add_template_filter(pretty_json, "pretty_json")
    app.add_template_filter(format_score, "score_value")
    app.add_template_filter(score_rule, "pass_rule")
    app.add_template_filter(event_json, "event_json")
    app.add_template_filter(clip, "clip")

    @app.template_filter("isotime")
    def format_iso(value: datetime | None) -> str:
        if value is None:
            return ""
        return value.astimezone(UTC).isoformat()
