"""The Reviews page: each final review shows how it came about (consensus of n, decided by someone) and, folded,
the judgments behind it, loaded in one query; blind review keeps hidden traces' reviews off the list."""
from __future__ import annotations

import re

import pytest

from reviewapp.extensions import db
from reviewapp.models import ReviewQueue
from reviewapp.services import reviews
from tests.support import judgment_rows, panel_reviews
from tests.web.workbench import signed_in


@pytest.fixture
def panel(factory):
    return panel_reviews.build(factory)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def reviews_url(panel, query: str = "") -> str:
    return f"/projects/{panel.project.id}/reviews/{query}"


def row_of(page: str, trace_id: str) -> str:
    start = page.index(f">{trace_id}</a>")
    end = page.find("</tr>", start)
    return page[start:end]


def test_each_review_says_how_it_came_about_and_unfolds_its_judgments(client, login, panel):
    login(panel.vic)
    page = text(client.get(reviews_url(panel)))
    agree = row_of(page, "t-agree")
    assert "consensus of 2" in agree and "<summary>2 judgments</summary>" in agree
    split = row_of(page, "t-split")
    assert "decided by Ada Admin" in split
    judgments = split[split.index("<details"):]
    rita = judgments[judgments.index("Rita Reviewer"):judgments.index("Ada Admin")]
    assert re.search(r"Quality</span>: <strong>Bad</strong> <span class=\"passfail passfail-fail\"", rita)
    assert re.search(r"Rating</span>: <strong>3</strong> <span class=\"passfail passfail-fail\"", rita)
    ada = judgments[judgments.index("Ada Admin"):]
    assert re.search(r"Quality</span>: <strong>Good</strong> <span class=\"passfail passfail-pass\"", ada)
    assert "Rating</span>" not in ada and "Rating n/a" in ada
    alone = row_of(page, "t-alone")
    assert "<details" not in alone and "consensus" not in alone and "decided by" not in alone


def test_the_page_links_both_judgment_exports_with_its_filters(client, login, panel):
    login(panel.vic)
    page = text(client.get(reviews_url(panel, f"?queue={panel.queue.id}")))
    for form in ("long", "wide"):
        assert re.search(rf'href="/projects/{panel.project.id}/reviews/export\?[^"]*form={form}[^"]*queue='
                         rf'{panel.queue.id}', page.replace("&amp;", "&")), form


def measure(client, count_queries, url: str) -> list[str]:
    assert client.get(url).status_code == 200
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return statements


def test_judgments_cost_one_query_however_many_settled_reviews_the_page_shows(client, login, panel, count_queries):
    login(panel.vic)
    url = reviews_url(panel)
    few = measure(client, count_queries, url)
    assert sum(s.startswith("SELECT judgments.") for s in few) == 1  # the judgments behind the page's reviews
    queue = db.session.get(ReviewQueue, panel.queue.id)
    pair = (panel.quality, panel.rating)
    for n in range(6):
        row = judgment_rows.item(queue, f"more-{n}")
        judgment_rows.judge(row, panel.rita, panel_reviews.answers(pair, "good", "6"))
        judgment_rows.judge(row, panel.ada, panel_reviews.answers(pair, "good", "6"))
        judgment_rows.settle(row, panel.ada, panel_reviews.answers(pair, "good", "6"))
    many = measure(client, count_queries, url)
    assert text(client.get(url)).count("consensus of 2") == 7
    assert len(many) == len(few), many


def test_blind_review_keeps_a_pending_traces_review_from_a_reviewer_until_they_judge(client, login, panel, app):
    # a trace with a final review, pending again in a blind queue (a review saved elsewhere meanwhile)
    reviews.save_review(panel.project.id, panel.ada, trace_id="t-hidden", scores=[])
    blind = judgment_rows.queue(panel.project.id, "Blind pairs", per_trace=2, blind=True)
    row = judgment_rows.item(blind, "t-hidden")
    login(panel.rita)
    page = text(client.get(reviews_url(panel)))
    assert "t-hidden" not in page and "t-agree" in page
    assert re.search(r'<span class="count-pill">3</span>', page)
    admin_client, _ = signed_in(app, panel.ada)
    assert "t-hidden" in text(admin_client.get(reviews_url(panel)))
    judgment_rows.judge(row, panel.rita, [])
    assert "t-hidden" in text(client.get(reviews_url(panel)))
