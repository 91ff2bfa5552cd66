"""The Agreement section of Insights, the queue page's agreement line and the CSV of the reviewer matrix, on a
hand-made queue with three reviewers per trace (tests/support/agreement_data.py)."""
from __future__ import annotations

import csv
import html
import io
import re

import pytest
from flask import url_for

from reviewapp.services import reliability
from tests.support import agreement_data, judgment_rows
from tests.support.api import ApiClient


@pytest.fixture
def triple(factory):
    return agreement_data.build(factory)


def section(page: str) -> str:
    start = page.index('id="agreement-heading"')
    return page[start:page.index("</section>", start)]


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


def test_insights_shows_agreement_per_scorer_version_with_calibration_and_disagreements(client, login, triple):
    login(triple.viewer)
    page = client.get(f"/projects/{triple.project.id}/insights/").get_data(as_text=True)
    shown = section(page)
    words = text(shown)
    assert "Triple" in words and "3 reviewers per trace" in words
    assert words.count("v1") >= 4  # Quality, Rating, Safe, Tags
    quality = reliability.queue_agreement(triple.project.id, triple.queue, definition_id=triple.quality.id).versions[0]
    assert "4 items with ≥ 2 judgments · 11 judgments" in words
    assert "Percent agreement 58%" in words
    assert quality.reading in words
    # Calibration: Bob agrees with both final reviews, Ann was overruled once out of one adjudication.
    assert re.search(r"Bob Baker 4 100% of 2 0 of 1", words)
    assert re.search(r"Ann Admin 4 50% of 2 1 of 1", words)
    # The disagreements: t3 (three answers, waiting) links to its decision page, t2 to its trace.
    assert f'href="/projects/{triple.project.id}/traces/t2"' in shown
    assert words.index("t3") < words.index("t2 ")
    assert '<svg class="agreement-bar"' in shown and "style=" not in shown
    assert "matrix.csv" in shown


def test_the_disagreement_waiting_for_a_decision_links_to_it(client, login, triple, app):
    login(triple.ann)
    shown = section(client.get(f"/projects/{triple.project.id}/insights/").get_data(as_text=True))
    with app.test_request_context():
        decide = url_for("decisions.decide_page", project_id=triple.project.id, item_id=triple.items["t3"].id)
    assert f'href="{decide}"' in shown


def test_a_viewer_is_sent_to_the_trace_not_the_decision(client, login, triple):
    login(triple.viewer)
    shown = section(client.get(f"/projects/{triple.project.id}/insights/").get_data(as_text=True))
    assert "/decisions/" not in shown
    assert f'href="/projects/{triple.project.id}/traces/t3"' in shown and "needs a decision" in shown


def test_no_queue_with_several_reviewers(client, login, factory):
    project = factory.project("Alone")
    login(factory.user(project=project, role="viewer"))
    judgment_rows.queue(project.id, "Solo", per_trace=1)
    words = text(section(client.get(f"/projects/{project.id}/insights/").get_data(as_text=True)))
    assert "No queue has several reviewers per trace." in words


def test_a_queue_not_judged_yet_says_not_enough_data(client, login, factory):
    project = factory.project("Fresh")
    login(factory.user(project=project, role="viewer"))
    judgment_rows.queue(project.id, "New panel", per_trace=2)
    words = text(section(client.get(f"/projects/{project.id}/insights/").get_data(as_text=True)))
    assert "New panel" in words and "Not enough data" in words


def test_the_matrix_downloads_as_csv(client, login, triple):
    login(triple.viewer)
    response = client.get(f"/projects/{triple.project.id}/insights/agreement/{triple.queue.id}/"
                          f"{triple.quality.id}/1/matrix.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="agreement-Quality-v1.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["reviewer", "kappa Ann Admin", "items Ann Admin"]
    assert [row[0] for row in rows[1:]] == ["Ann Admin", "Bob Baker", "Cat Cole"]
    assert rows[1][4] == "4"  # Ann and Bob judged four traces in common


@pytest.mark.parametrize("path", ["nope/1", "QUALITY/x", "OTHER/1"])
def test_the_matrix_of_an_unknown_scorer_is_not_found(client, login, triple, factory, path):
    login(triple.viewer)
    other = factory.project("Elsewhere")
    from reviewapp.services import scorers
    stranger = scorers.create_definition(other.id, None, name="Q", kind="boolean", config={})
    path = path.replace("QUALITY", str(triple.quality.id)).replace("OTHER", str(stranger.id))
    response = client.get(f"/projects/{triple.project.id}/insights/agreement/{triple.queue.id}/{path}/matrix.csv")
    assert response.status_code == 404


def test_the_matrix_of_a_version_nobody_judged_under_is_its_header_alone(client, login, triple):
    login(triple.viewer)
    response = client.get(f"/projects/{triple.project.id}/insights/agreement/{triple.queue.id}/"
                          f"{triple.quality.id}/2/matrix.csv")
    assert response.status_code == 200 and response.get_data(as_text=True).strip() == "reviewer"


def test_the_queue_page_shows_one_number_per_scorer(client, login, triple):
    login(triple.viewer)
    page = client.get(f"/projects/{triple.project.id}/queues/{triple.queue.id}/").get_data(as_text=True)
    line = re.search(r'data-testid="queue-agreement">(.*?)</p>', page, re.S)
    assert line, "no agreement line on the queue page"
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', line.group(1))
    assert [label.split()[0] for _, label in links] == ["Quality", "Rating", "Safe", "Tags"]
    assert links[0][0] == (f"/projects/{triple.project.id}/insights/#agreement-{triple.queue.id}-"
                           f"{triple.quality.id}-v1")


def test_a_queue_with_one_reviewer_per_trace_shows_no_agreement(client, login, factory):
    project = factory.project("Solo")
    login(factory.user(project=project, role="viewer"))
    queue = judgment_rows.queue(project.id, "Solo", per_trace=1)
    page = client.get(f"/projects/{project.id}/queues/{queue.id}/").get_data(as_text=True)
    assert 'data-testid="queue-agreement"' not in page


def test_ordinal_on_request(client, login, triple):
    login(triple.viewer)
    plain = section(client.get(f"/projects/{triple.project.id}/insights/").get_data(as_text=True))
    assert "numeric · interval" in text(plain) and "categorical · nominal" in text(plain)
    assert 'data-testid="agreement-ordinal"' in plain
    ranked = text(section(client.get(f"/projects/{triple.project.id}/insights/?ordinal=1").get_data(as_text=True)))
    assert "numeric · ordinal" in ranked and "categorical · ordinal" in ranked and "categorical · masi" in ranked
    assert "Compare them as values again" in ranked


def more_judged_items(triple, count: int) -> None:
    for n in range(count):
        row = judgment_rows.item(triple.queue, f"more-{n}")
        for who in (triple.ann, triple.bob, triple.cat):
            judgment_rows.judge(row, who, [{"definition_id": str(triple.quality.id),
                                            "categorical_values": ["good" if (n + who.id) % 3 else "bad"]}])


def test_the_agreement_section_runs_a_fixed_number_of_statements_whatever_the_number_of_items(
        client, login, triple, count_queries):
    login(triple.viewer)
    url = f"/projects/{triple.project.id}/insights/"
    with count_queries() as few:
        assert client.get(url).status_code == 200
    more_judged_items(triple, 15)
    with count_queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert "19 items with ≥ 2 judgments" in text(section(page))
    assert len(many) == len(few)
    assert sum("judgment_scores" in statement for statement in many) == 1  # every judgment read at once


def test_the_queue_page_reads_only_what_its_agreement_line_shows(client, login, triple, count_queries):
    full = reliability.latest_per_scorer(reliability.queue_agreement(triple.project.id, triple.queue))
    with count_queries() as statements:
        line = reliability.latest_per_scorer(reliability.queue_agreement(triple.project.id, triple.queue,
                                                                         alpha_only=True))
    assert len(statements) == 2  # the judgments and the scorer versions they name: no finals, names or decisions
    assert [(v.name, v.alpha, v.interval, v.reading) for v in line] == [
        (v.name, v.alpha, v.interval, v.reading) for v in full]
    login(triple.viewer)
    url = f"/projects/{triple.project.id}/queues/{triple.queue.id}/"
    with count_queries() as few:
        assert client.get(url).status_code == 200
    more_judged_items(triple, 15)
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_blind_review_hides_a_pending_items_judgments_from_the_agreement_of_who_has_not_judged_it(
        app, client, login, triple, factory):
    blind = judgment_rows.queue(triple.project.id, "Blind panel", per_trace=3, blind=True)
    for n, (ann_says, bob_says) in enumerate([("good", "bad"), ("ok", "good")]):
        row = judgment_rows.item(blind, f"blind-{n}")  # pending: Cat has not judged it yet
        for who, says in ((triple.ann, ann_says), (triple.bob, bob_says)):
            judgment_rows.judge(row, who, [{"definition_id": str(triple.quality.id), "categorical_values": [says]}])
    url = f"/projects/{triple.project.id}/insights/"
    token = login(triple.ann)  # an admin sees every judgment
    assert "blind-0" in section(client.get(url).get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    login(triple.cat)
    shown = section(client.get(url).get_data(as_text=True))
    assert "Blind panel" in shown and "blind-0" not in shown and "blind-1" not in shown
    assert "Blind panel 3 reviewers per trace Not enough data: no judgment of this queue to show yet" in text(shown)
    queue_page = client.get(f"/projects/{triple.project.id}/queues/{blind.id}/").get_data(as_text=True)
    assert 'data-testid="queue-agreement"' not in queue_page
    cat_api = ApiClient(app.test_client(), triple.project.id, factory.api_key(triple.cat), user=triple.cat,
                        project=triple.project)
    response = cat_api.get(f"agreement/?queue_id={blind.id}")
    assert response.status_code == 200 and response.get_json()["results"] == []
    admin_api = ApiClient(app.test_client(), triple.project.id, factory.api_key(triple.ann), user=triple.ann,
                          project=triple.project)
    [result] = admin_api.get(f"agreement/?queue_id={blind.id}").get_json()["results"]
    assert (result["items"], len(result["disagreements"])) == (2, 2)
