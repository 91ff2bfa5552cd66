"""`reviewapp import-traces` and `reviewapp seed-demo`."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent
from tests.ingest.builders import event, generation, root, span


@pytest.fixture
def project(factory):
    return factory.project("Import target")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def write_lines(path, items) -> str:
    path.write_text("\n".join(item if isinstance(item, str) else json.dumps(item) for item in items) + "\n")
    return str(path)


def good_events() -> list[dict]:
    return [root("t-1", 0), span("t-1", 1), generation("t-1", 2), generation("t-2", 3, event_uuid=None),
            event("$pageview", "t-3")]


def test_import_json_lines(runner, project, tmp_path):
    path = write_lines(tmp_path / "events.jsonl", good_events())
    result = runner.invoke(args=["import-traces", path, "--project", str(project.id)])
    assert result.exit_code == 0, result.output
    assert ("Imported 4 new events into 2 traces of project Import target "
            f"(id {project.id}); 0 already stored, 1 not $ai_* (ignored), 0 bad line(s) skipped.") in result.output
    assert count(TraceEvent) == 4
    assert db.session.scalar(select(Trace.generation_count).where(Trace.trace_id == "t-1")) == 1


def test_import_from_standard_input(runner, project):
    # `cat events.jsonl | reviewapp import-traces - ...`: a pipe has no size to show progress against.
    lines = "\n".join(json.dumps(item) for item in good_events()) + "\n"
    result = runner.invoke(args=["import-traces", "-", "--project", str(project.id)], input=lines)
    assert result.exit_code == 0, result.output
    assert "Imported 4 new events into 2 traces" in result.output
    assert count(TraceEvent) == 4


def test_import_a_json_array(runner, project, tmp_path):
    path = tmp_path / "events.json"
    path.write_text(json.dumps(good_events(), indent=2))
    result = runner.invoke(args=["import-traces", str(path), "--project", str(project.id)])
    assert result.exit_code == 0, result.output
    assert count(TraceEvent) == 4


def test_reimport_adds_nothing(runner, project, tmp_path):
    path = write_lines(tmp_path / "events.jsonl", good_events())
    runner.invoke(args=["import-traces", path, "--project", str(project.id)])
    before = db.session.scalar(select(Trace.input_tokens).where(Trace.trace_id == "t-1"))
    result = runner.invoke(args=["import-traces", path, "--project", str(project.id)])
    assert result.exit_code == 0, result.output
    assert "Imported 0 new events into 0 traces" in result.output
    assert "4 already stored" in result.output
    assert count(TraceEvent) == 4
    db.session.expire_all()
    assert db.session.scalar(select(Trace.input_tokens).where(Trace.trace_id == "t-1")) == before


def bad_file(tmp_path) -> str:
    missing_trace = generation("t-9", 4)
    del missing_trace["properties"]["$ai_trace_id"]
    return write_lines(tmp_path / "events.jsonl", [
        generation("t-1", 0),
        "{not json",
        "",
        generation("t-1", 1),
        missing_trace,
        generation("t-2", 2, **{"$ai_input_tokens": "lots"}),
    ])


def test_bad_lines_are_reported_by_number_and_skipped(runner, project, tmp_path):
    result = runner.invoke(args=["import-traces", bad_file(tmp_path), "--project", str(project.id)])
    assert result.exit_code == 0, result.output
    assert "line 2: Not valid JSON: Expecting property name enclosed in double quotes" in result.output
    assert ('line 5: properties.$ai_trace_id: "$ai_trace_id" is required on $ai_generation events.'
            in result.output)
    assert "line 6: properties.$ai_input_tokens: Must be a whole number, not a string." in result.output
    assert "3 bad line(s) skipped" in result.output
    assert count(TraceEvent) == 2


def test_strict_import_with_a_bad_line_writes_nothing(runner, project, tmp_path):
    result = runner.invoke(args=["import-traces", bad_file(tmp_path), "--project", str(project.id), "--strict"])
    assert result.exit_code == 1
    assert "line 5: properties.$ai_trace_id" in result.output
    assert "Import aborted: 3 bad line(s) with --strict; nothing was written." in result.output
    assert count(TraceEvent) == 0
    assert count(Trace) == 0


def test_strict_import_never_half_writes_across_chunks(app, project):
    from reviewapp.services import ingest

    items = [(n, generation(f"t-{n}", n)) for n in range(1, 26)] + [(26, {"event": "$ai_span"})]
    report = ingest.import_events(project.id, items, strict=True, chunk_size=5)
    assert report.written is False
    assert report.errors == [(26, 'properties.$ai_trace_id: "$ai_trace_id" is required on $ai_span events.')]
    assert count(TraceEvent) == 0


@pytest.mark.postgres_only
def test_a_strict_import_moves_each_chunk_once(app, project):
    """PostgreSQL stages each chunk's events before moving them into the store; a strict import's chunks share
    one transaction, so each move must leave nothing staged for the next, or every chunk would read all those
    before it again (an import of n events would take time in n²)."""
    from reviewapp.services import ingest

    staged_when_read: list[int] = []

    def items():
        for n in range(1, 16):
            if n in (6, 11):  # the chunk before has just been stored, in the import's transaction
                staged_when_read.append(db.session.scalar(text("SELECT count(*) FROM ingest_staged_trace_events")))
            yield n, generation(f"t-{n}", n)

    report = ingest.import_events(project.id, items(), strict=True, chunk_size=5)
    assert report.written is True
    assert staged_when_read == [0, 0]
    assert count(TraceEvent) == 15
    assert count(Trace) == 15


def test_import_into_an_unknown_project_fails(runner, tmp_path):
    path = write_lines(tmp_path / "events.jsonl", good_events())
    result = runner.invoke(args=["import-traces", path, "--project", "4242"])
    assert result.exit_code == 1
    assert "No project with id 4242." in result.output


# --- seed-demo ---------------------------------------------------------------------------------------

def test_seed_demo_creates_a_working_project(runner):
    from reviewapp.models import Project, ReviewQueue, ReviewQueueItem, ScoreDefinition
    from reviewapp.services import accounts

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@example.com / reviewapp-demo   (admin)" in result.output
    assert "reviewer@example.com / reviewapp-demo   (reviewer)" in result.output

    project = db.session.scalar(select(Project).where(Project.name == "Demo project"))
    assert accounts.authenticate_user("admin@example.com", "reviewapp-demo") is not None
    reviewer = accounts.find_user_by_email("reviewer@example.com")
    assert accounts.membership_for(reviewer.id, project.id).role == "reviewer"

    traces = db.session.scalars(select(Trace).where(Trace.project_id == project.id)).all()
    assert 35 <= len(traces) <= 45
    assert any(t.has_error for t in traces)
    assert any(not t.has_root for t in traces)  # traces without a root are still complete
    assert any(t.session_id for t in traces) and any(t.session_id is None for t in traces)
    assert max(t.generation_count for t in traces) >= 14  # the long trace
    assert len({t.first_timestamp.date() for t in traces}) >= 3  # spread over the last days
    assert all(t.input_preview and t.total_cost_usd > 0 for t in traces if not t.has_error)
    kinds = db.session.execute(select(TraceEvent.event).where(TraceEvent.project_id == project.id)).scalars().all()
    assert {"$ai_trace", "$ai_span", "$ai_generation", "$ai_embedding"} <= set(kinds)
    errored = db.session.scalars(select(TraceEvent).where(TraceEvent.project_id == project.id,
                                                          TraceEvent.event == "$ai_generation")).all()
    assert any(e.properties.get("$ai_http_status") == 500 and e.properties.get("$ai_error") for e in errored)
    assert any(e.properties.get("$ai_output_choices", [{}])[0].get("tool_calls") for e in errored)
    nested = [e for e in errored if e.parent_id not in (None, e.trace_id)]
    assert nested, "the agent's generations hang under spans"

    definitions = db.session.scalars(select(ScoreDefinition).where(ScoreDefinition.project_id == project.id)).all()
    configs = [(d.kind, d.current.config) for d in definitions]
    assert sorted(kind for kind, _ in configs) == ["boolean", "boolean", "categorical", "categorical",
                                                   "numeric", "numeric"]
    modes = {c["selection_mode"] for kind, c in configs if kind == "categorical"}
    assert modes == {"single", "multiple"}
    assert any(c.get("min_selections") and c.get("max_selections") for _, c in configs)
    assert all(c["step"] for kind, c in configs if kind == "numeric")
    assert all(c["true_label"] and c["false_label"] for kind, c in configs if kind == "boolean")

    queues = db.session.scalars(select(ReviewQueue).where(ReviewQueue.project_id == project.id)).all()
    assert len(queues) == 3
    for queue in queues:
        pending = db.session.scalar(select(func.count()).select_from(ReviewQueueItem).where(
            ReviewQueueItem.queue_id == queue.id, ReviewQueueItem.deleted_at.is_(None)))
        assert pending > 0


def test_seed_demo_scorers_have_passing_rules_and_its_reviews_pass_and_fail(runner):
    """A new user sees pass/fail on first run: every scorer has a rule (booleans always do) and the demo
    reviews have both verdicts."""
    from reviewapp.models import ScoreDefinition, TraceReviewScore
    from reviewapp.services import passing

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    definitions = db.session.scalars(select(ScoreDefinition)).all()
    assert all(passing.has_rule(d.kind, d.current.config) for d in definitions)
    rules = {d.name: passing.describe(d.kind, d.current.config) for d in definitions}
    assert rules["Answer quality"] == "≥ 4 passes" and rules["Helpfulness"] == "Very helpful and Somewhat helpful pass"
    # Stored as PostHog stores them: categories sorted, thresholds as floats.
    helpfulness = next(d for d in definitions if d.name == "Helpfulness").current.config
    assert helpfulness["passing_rule"] == {"categories": ["somewhat_helpful", "very_helpful"]}
    verdicts = db.session.execute(select(ScoreDefinition.kind, TraceReviewScore.passed)
                                  .join(TraceReviewScore.definition)).all()
    assert {passed for _, passed in verdicts} == {True, False}
    assert {kind for kind, passed in verdicts if passed is False} >= {"numeric", "categorical"}


def test_seed_demo_again_adds_nothing_twice(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    before = (count(TraceEvent), count(Trace))
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert (count(TraceEvent), count(Trace)) == before


def test_seed_demo_if_empty_leaves_an_existing_install_alone(runner, factory):
    factory.project("Our real project")
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert result.output == "A project already exists; the demo was not seeded.\n"
    assert count(Trace) == 0


def test_seed_demo_if_empty_seeds_a_fresh_install(runner):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Sign in at" in result.output
    assert count(Trace) > 0


def test_second_make_run_reminds_the_demo_sign_in(runner):
    runner.invoke(args=["seed-demo", "--if-empty"])
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.output == ("The demo project is already set up.\n"
                            "Sign in at http://127.0.0.1:5000/login with:\n"
                            "  admin@example.com / reviewapp-demo   (admin)\n"
                            "  reviewer@example.com / reviewapp-demo   (reviewer)\n"
                            "  noor@example.com / reviewapp-demo   (reviewer)\n"
                            "  sam@example.com / reviewapp-demo   (reviewer)\n")


def test_the_reminder_leaves_out_a_demo_user_whose_password_changed(runner):
    from reviewapp.services import accounts

    runner.invoke(args=["seed-demo", "--if-empty"])
    accounts.change_password(accounts.find_user_by_email("admin@example.com"), "reviewapp-demo",
                             "a much better password")
    again = runner.invoke(args=["seed-demo", "--if-empty"]).output
    assert "admin@example.com" not in again
    assert "reviewer@example.com / reviewapp-demo   (reviewer)" in again


@pytest.mark.parametrize("args, url", [
    ([], "http://127.0.0.1:5000/login"),
    (["--port", "8123"], "http://127.0.0.1:8123/login"),
    (["--host", "0.0.0.0", "--port", "8080"], "http://127.0.0.1:8080/login"),
    (["--host", "192.168.1.20", "--port", "80"], "http://192.168.1.20:80/login"),
    (["--host", "::", "--port", "8000"], "http://[::1]:8000/login"),
])
def test_the_sign_in_url_is_where_the_app_is_served(runner, args, url):
    first = runner.invoke(args=["seed-demo", "--if-empty", *args])
    assert f"Sign in at {url} with:" in first.output
    again = runner.invoke(args=["seed-demo", "--if-empty", *args])
    assert f"Sign in at {url} with:" in again.output


def test_make_run_gives_seed_demo_the_host_and_port_it_serves_on():
    """What `PORT=8123 HOST=0.0.0.0 make run` would run (make -n prints the commands without running them)."""
    import shutil
    import subprocess
    from pathlib import Path

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(["make", "-n", "run"], cwd=root, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PORT": "8123", "HOST": "0.0.0.0"}, timeout=60)
    assert done.returncode == 0, done.stderr
    commands = done.stdout.splitlines()
    seed = next(line for line in commands if "seed-demo" in line)
    serve = next(line for line in commands if " run " in line and "flask" in line)
    assert "--host 0.0.0.0 --port 8123" in seed
    assert "--host 0.0.0.0 --port 8123" in serve


def test_no_sign_in_reminder_without_demo_users(runner, factory):
    factory.project("Our real project")
    assert "Sign in at" not in runner.invoke(args=["seed-demo", "--if-empty"]).output


def test_demo_has_a_few_reviews_so_insights_and_reviews_show_data(runner):
    from sqlalchemy import func, select

    from reviewapp.models import ReviewQueueItem, TraceReview

    def counts():
        reviewed = db.session.scalar(select(func.count()).select_from(TraceReview))
        completed = db.session.scalar(select(func.count()).select_from(ReviewQueueItem)
                                      .where(ReviewQueueItem.deleted_reason == "reviewed"))
        return reviewed, completed

    runner.invoke(args=["seed-demo"])
    reviewed, completed = counts()
    # Five per single-review queue, each completing its queue item; eight consensus reviews in the panel queue.
    assert reviewed == completed == 18
    review = db.session.scalars(select(TraceReview)).first()
    assert review.scores and review.time_spent_seconds and review.queue_id is not None
    runner.invoke(args=["seed-demo"])
    assert counts() == (18, 18)


def test_demo_reviews_span_the_last_days_and_a_stricter_rule(runner):
    """Insights opens on a history: reviews spread over several days, Answer quality's rule made stricter halfway
    through (version 2), with reviews under each version. Seeding again makes no third version."""
    from sqlalchemy import func, select

    from reviewapp.models import ScoreDefinition, ScoreDefinitionVersion, TraceReview, TraceReviewScore
    from reviewapp.models.base import utcnow

    runner.invoke(args=["seed-demo"])
    days = {review.created_at.date() for review in db.session.scalars(select(TraceReview))}
    assert len(days) >= 3 and max(days) <= utcnow().date()
    quality = db.session.scalar(select(ScoreDefinition).where(ScoreDefinition.name == "Answer quality"))
    assert quality.current_version == 2
    v2 = db.session.scalar(select(ScoreDefinitionVersion).where(ScoreDefinitionVersion.definition_id == quality.id,
                                                                ScoreDefinitionVersion.version == 2))
    assert min(days) < v2.created_at.date() or v2.created_at.date() < max(days)
    by_version = dict(db.session.execute(
        select(TraceReviewScore.definition_version, func.count()).where(TraceReviewScore.definition_id == quality.id)
        .group_by(TraceReviewScore.definition_version)).all())
    assert set(by_version) == {1, 2}
    runner.invoke(args=["seed-demo"])
    db.session.expire_all()
    assert db.session.get(ScoreDefinition, quality.id).current_version == 2


def test_demo_has_a_blind_panel_queue_with_consensus_and_decisions_waiting(runner):
    """Three reviewers per trace, blind: eight traces settled by consensus, four waiting for a decision, one with
    two of three judgments, the rest untouched; every judgment made through the judging service."""
    from sqlalchemy import func, select

    from reviewapp.models import Judgment, ReviewQueue, ReviewQueueItem, TraceReview

    runner.invoke(args=["seed-demo"])
    panel = db.session.scalar(select(ReviewQueue).where(ReviewQueue.name == "Double-checked answers"))
    assert (panel.reviews_per_trace, panel.blind) == (3, True)
    assert db.session.scalar(select(func.count()).select_from(Judgment).where(Judgment.queue_id == panel.id)) == 38
    live = db.session.execute(select(ReviewQueueItem.state, ReviewQueueItem.judgment_count).where(
        ReviewQueueItem.queue_id == panel.id, ReviewQueueItem.deleted_at.is_(None))).all()
    assert sorted(live) == [("needs_decision", 3)] * 4 + [("pending", 0), ("pending", 0), ("pending", 2)]
    resolutions = db.session.scalars(select(TraceReview.resolution).where(TraceReview.queue_id == panel.id)).all()
    assert resolutions == ["consensus"] * 8
    runner.invoke(args=["seed-demo"])
    assert db.session.scalar(select(func.count()).select_from(Judgment).where(Judgment.queue_id == panel.id)) == 38


def test_seed_demo_shows_evaluations_and_the_judge_against_people_on_first_run(runner):
    from reviewapp.models import Project
    from reviewapp.services import evaluations, judge_agreement

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    project = db.session.scalar(select(Project).where(Project.name == "Demo project"))
    rows = {row.evaluation.name: row for row in evaluations.list_evaluations(project.id)}
    assert set(rows) == {"Resolved (LLM judge)", "User sentiment"}
    judge = rows["Resolved (LLM judge)"]
    assert judge.counts["pass"] and judge.counts["fail"] and judge.counts["skipped"]
    assert set(rows["User sentiment"].counts) == {"unknown"}  # a sentiment has no pass or fail
    [answer] = judge_agreement.project_judge_agreement(project.id)
    assert answer.scorer_name == "Resolved" and answer.final.traces >= 8
    assert 0.5 <= answer.final.accuracy < 1 and answer.disagreements
    # Seeding again stores no result twice.
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert evaluations.list_evaluations(project.id)[0].total == judge.total
