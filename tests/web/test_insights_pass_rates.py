"""Insights pass rates: per scorer version and day with the counts behind each rate, a marker where a stricter
rule came into use, per queue and scorer; the empty states; a fixed number of statements whatever the data."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import Membership
from reviewapp.services import insights, queues, reviews, scorers
from tests.support import judgment_rows
from tests.support.pass_rate_data import build, days_ago, review, set_rule, set_version_time, value


@pytest.fixture
def project(factory):
    return factory.project("Rates")


@pytest.fixture
def admin(factory, project):
    return factory.user(email="admin@example.com", project=project, role="admin", first_name="Ada")


@pytest.fixture
def reviewer(factory, project):
    return factory.user(email="rui@example.com", project=project, role="reviewer", first_name="Rui")


@pytest.fixture
def known(project, admin, reviewer):
    return build(project, admin, reviewer)


def day(n: int) -> str:
    return days_ago(n).date().isoformat()


def rates(project, days=7):
    return insights.project_insights(project.id, days).pass_rates


def test_pass_rate_per_version_and_day_with_the_counts_behind_it(project, known):
    data = rates(project)
    assert [s.definition.name for s in data.scorers] == ["Answer quality", "Safe"]
    quality = data.scorers[0]
    v1, v2 = quality.versions
    assert (v1.version, v1.rule, v1.tally.passed, v1.tally.decided, v1.tally.percent) == (1, "≥ 3 passes", 3, 4, "75%")
    assert (v2.version, v2.rule, v2.tally.passed, v2.tally.decided, v2.tally.percent) == (2, "≥ 4 passes", 1, 3, "33%")
    assert [(d.day, d.tally.passed, d.tally.decided) for d in v1.days] == [(day(3), 2, 3), (day(2), 1, 1)]
    assert [(d.day, d.tally.passed, d.tally.decided) for d in v2.days] == [(day(1), 1, 1), (day(0), 0, 2)]
    assert [d.index for d in v2.days] == [5, 6]  # positions in the 7-day window
    assert v1.days[0].tally.phrase == "2 of 3 passed (67%)"
    assert quality.tally.phrase == "4 of 7 passed (57%)" and quality.decided_versions == [1, 2]

    (safe,) = data.scorers[1].versions
    assert (safe.rule, safe.tally.phrase) == ("Safe means pass", "2 of 3 passed (67%)")
    assert data.scorers[1].mixes_rules is False


def test_a_new_version_in_the_window_is_marked_where_it_came_into_use(project, known):
    quality = rates(project).scorers[0]
    (marker,) = quality.markers
    assert (marker.version.version, marker.index, marker.version.label) == (2, 5, "v2: ≥ 4 passes")
    assert rates(project).scorers[1].markers == []  # Safe has one version
    # In a window that starts after the change there is nothing to mark: v2 is all there is.
    set_version_time(known.quality, 2, days_ago(9))
    assert rates(project).scorers[0].markers == []


def test_a_version_without_a_rule_is_marked_and_listed_as_neutral(project, admin, reviewer, known):
    scorers.new_version(project.id, admin, known.quality.id, {"min": 1, "max": 5, "step": 1})  # v3: no rule
    review(project, reviewer, "t9", [value(known.quality, numeric_value=5)])
    quality = rates(project).scorers[0]
    v3 = quality.versions[-1]
    assert (v3.version, v3.rule, v3.tally.phrase, v3.neutral, v3.days) == (3, None, "0 of 0 passed (—)", 1, [])
    assert [m.version.label for m in quality.markers] == ["v2: ≥ 4 passes", "v3: no rule, scores stay neutral"]
    assert quality.decided_versions == [1, 2]


def test_pass_rate_per_queue_and_scorer(project, known):
    rows = rates(project).queues
    assert [row.queue.name if row.queue else None for row in rows] == ["Sales", "Support", None]
    table = {(row.queue.name if row.queue else None, definition_id): (t.passed, t.decided)
             for row in rows for definition_id, t in row.tallies.items()}
    quality, safe = known.quality.id, known.safe.id
    assert table == {
        ("Sales", quality): (0, 2), ("Sales", safe): (1, 1),
        ("Support", quality): (3, 4), ("Support", safe): (1, 2),
        (None, quality): (1, 1),
    }


def test_scorers_without_a_verdict_say_why(project, admin, known):
    data = rates(project)
    quiet = {q.definition.name: (q.rule, q.neutral) for q in data.quiet}
    assert quiet == {"Tone": (None, 1)}
    set_rule(known.tone, 1, passing_rule={"categories": ["polite"]})  # a rule now, but the score kept no verdict
    assert {q.definition.name: (q.rule, q.neutral) for q in rates(project).quiet} == {"Tone": ("Polite passes", 1)}


def test_the_window_and_deleted_reviews_count_nowhere(project, admin, reviewer, known):
    gone = review(project, reviewer, "t9", [value(known.safe, boolean_value=False)])
    reviews.delete_review(project.id, reviewer, gone.id)
    review(project, reviewer, "old", [value(known.safe, boolean_value=False)], ago=10)
    assert rates(project).scorers[1].tally.phrase == "2 of 3 passed (67%)"
    assert rates(project, 30).scorers[1].tally.phrase == "2 of 4 passed (50%)"


def test_a_score_saved_again_after_a_rule_change_counts_under_the_new_version_that_day(project, reviewer, known):
    t4 = reviews.active_review_for_trace(project.id, "t4")  # saved under v1, 2 days ago: 4 passed "≥ 3"
    reviews.save_review(project.id, reviewer, review_id=t4.id, scores=[value(known.quality, numeric_value=4)])
    v1, v2 = rates(project).scorers[0].versions
    assert (v1.tally.phrase, v2.tally.phrase) == ("2 of 3 passed (67%)", "2 of 4 passed (50%)")
    assert [(d.day, d.tally.decided) for d in v2.days] == [(day(1), 1), (day(0), 3)]


def test_no_verdicts_at_all(project, admin):
    scorers.create_definition(project.id, admin, name="Rating", kind="numeric", config={})
    data = rates(project)
    assert (data.scorers, data.queues) == ([], [])
    assert [(q.definition.name, q.rule, q.neutral) for q in data.quiet] == [("Rating", None, 0)]


# --- the page ------------------------------------------------------------------------------------------

def section(page: str) -> str:
    return re.search(r'<section aria-labelledby="pass-rates-heading".*?</section>', page, re.S).group(0)


def test_the_page_draws_a_line_per_version_a_marker_and_the_counts(client, login, factory, project, known):
    login(factory.member(project, "viewer"))
    response = client.get(f"/projects/{project.id}/insights/?days=7")
    assert response.status_code == 200
    rates_html = html.unescape(section(response.get_data(as_text=True)))
    quality = re.search(r"<h3>Answer quality</h3>.*?</article>", rates_html, re.S).group(0)
    chart = re.search(r'<svg class="chart chart-pass-rate".*?</svg>', quality, re.S).group(0)
    assert ' style=' not in chart
    assert len(re.findall(r'<g class="pass-series pass-series-\d">', chart)) == 2
    assert re.search(r'<text [^>]*class="pass-marker-label"[^>]*>v2: ≥ 4 passes</text>', chart)
    assert f"<title>{day(3)}, v1: 2 of 3 passed (67%)</title>" in chart
    assert f"<title>{day(0)}, v2: 0 of 2 passed (0%)</title>" in chart
    rows = re.findall(r"<tr>(.*?)</tr>", quality.split("<tbody>")[1], re.S)
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
             for row in rows]
    assert [(c[0], c[1], c[3], c[4]) for c in cells] == [("v1", "≥ 3 passes", "3 / 4", "75%"),
                                                         ("v2", "≥ 4 passes", "1 / 3", "33%")]

    queues_table = re.search(r'<table class="table table-pass-queues".*?</table>', rates_html, re.S).group(0)
    support = re.search(r">Support</a>.*?</tr>", queues_table, re.S).group(0)
    assert re.findall(r'title="([^"]+)"', support) == ["3 of 4 passed (75%)", "1 of 2 passed (50%)"]
    assert "v1 + v2" in queues_table and "Not from a queue" in queues_table

    tone = re.search(r"<li>.*?Tone.*?</li>", rates_html, re.S).group(0)
    assert "no passing rule, so its scores stay neutral (1 in this window)" in re.sub(r"\s+", " ", tone)
    assert f'/projects/{project.id}/scorers/{known.tone.id}/' in tone
    assert "An admin can add a rule" in tone  # a viewer cannot edit scorers


def test_an_admin_is_sent_to_the_scorer_editor_to_add_a_rule(client, login, project, admin, known):
    login(admin)
    page = html.unescape(client.get(f"/projects/{project.id}/insights/").get_data(as_text=True))
    assert re.search(rf'<a href="/projects/{project.id}/scorers/{known.tone.id}/">Add a rule in the scorer editor</a>',
                     section(page))


def test_no_verdicts_says_so(client, login, project, admin):
    login(admin)
    page = html.unescape(client.get(f"/projects/{project.id}/insights/").get_data(as_text=True))
    rates_html = section(page)
    assert "No pass/fail verdicts in this window." in rates_html
    assert "chart-pass-rate" not in rates_html and "table-pass-queues" not in rates_html


def test_a_fixed_number_of_statements_whatever_the_data(client, login, project, admin, reviewer, count_queries):
    login(admin)
    url = f"/projects/{project.id}/insights/"
    safe = scorers.create_definition(project.id, admin, name="Ready", kind="boolean", config={})
    review(project, reviewer, "a0", [value(safe, boolean_value=True)], queues.create_queue(project.id, admin, "One"))
    with count_queries() as few:
        assert client.get(url).status_code == 200
    pass_rate_statements = [s for s in few if "trace_review_scores" in s and "passed" in s]
    assert len(pass_rate_statements) == 2  # per version and day, per queue and scorer

    build(project, admin, reviewer)
    for i in range(3):
        extra = scorers.create_definition(project.id, admin, name=f"Yes/no {i}", kind="boolean", config={})
        scorers.new_version(project.id, admin, extra.id, {"true_label": f"Yes {i}"})
        set_version_time(extra, 2, days_ago(2))
        queue = queues.create_queue(project.id, admin, f"Queue {i}")
        for j in range(4):
            review(project, reviewer, f"m{i}-{j}", [value(extra, boolean_value=j % 2 == 0),
                                                    value(safe, boolean_value=True)], queue if j else None, ago=j)
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert len(rates(project).scorers) == 6 and len(rates(project).queues) == 7
    assert len(many) == len(few)



# --- blind review ----------------------------------------------------------------------------------------

def test_pass_rates_leave_out_the_verdicts_blind_review_hides(client, login, factory, project, admin, known):
    """t2 (Answer quality 3 ✓ under v1, Safe no ✗, in Support) is pending again in a blind panel that Bob has not
    judged: its verdicts are hidden from him, in the rates and on Support's page, until he has."""
    bob = factory.user(email="bob@example.com", project=project, role="reviewer", first_name="Bob")
    panel = judgment_rows.queue(project.id, "Blind panel", per_trace=2, blind=True)
    t2 = judgment_rows.item(panel, "t2")

    def seen_by(user):
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                                Membership.project_id == project.id))
        data = insights.project_insights(project.id, 7, visible_to=membership).pass_rates
        support = next(row for row in data.queues if row.queue and row.queue.name == "Support")
        return ([s.tally.phrase for s in data.scorers],
                [support.tallies[known.quality.id].phrase, support.tallies[known.safe.id].phrase])

    everything = (["4 of 7 passed (57%)", "2 of 3 passed (67%)"], ["3 of 4 passed (75%)", "1 of 2 passed (50%)"])
    assert seen_by(admin) == everything
    assert seen_by(bob) == (["3 of 6 passed (50%)", "2 of 2 passed (100%)"],
                            ["2 of 3 passed (67%)", "1 of 1 passed (100%)"])

    login(bob)
    page = html.unescape(client.get(f"/projects/{project.id}/insights/?days=7").get_data(as_text=True))
    queues_table = re.search(r'<table class="table table-pass-queues".*?</table>', section(page), re.S).group(0)
    support = re.search(r">Support</a>.*?</tr>", queues_table, re.S).group(0)
    assert re.findall(r'title="([^"]+)"', support) == ["2 of 3 passed (67%)", "1 of 1 passed (100%)"]
    queue_page = client.get(f"/projects/{project.id}/queues/{known.support.id}/").get_data(as_text=True)
    verdicts = re.search(r'<table class="table table-verdicts">.*?</table>', queue_page, re.S).group(0)
    assert "67% of 3" in verdicts and "100% of 1" in verdicts  # Answer quality, Safe: t2 left out

    judgment_rows.judge(t2, bob, [value(known.safe, boolean_value=True)])  # answered: nothing left to anchor
    assert seen_by(bob) == everything
    queue_page = client.get(f"/projects/{project.id}/queues/{known.support.id}/").get_data(as_text=True)
    verdicts = re.search(r'<table class="table table-verdicts">.*?</table>', queue_page, re.S).group(0)
    assert "75% of 4" in verdicts and "50% of 2" in verdicts
