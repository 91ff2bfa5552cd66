"""`import-traces` reaches the same parsing as capture: odd data is stored safely or reported by line, never a
traceback."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent
from tests.ingest.builders import generation


@pytest.fixture
def project(factory):
    return factory.project("Import target")


def test_odd_lines_are_stored_safely_or_reported(runner, project, tmp_path):
    too_deep = json.dumps(generation("deep", 0, **{"$ai_input": "HERE"})).replace('"HERE"', "[" * 50_000 + "]" * 50_000)
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([
        json.dumps(generation("odd\x00", 0, answer="\ud800", input_tokens=10**20)),
        too_deep,
        json.dumps(generation("fine", 1)),
    ]) + "\n")
    result = runner.invoke(args=["import-traces", str(path), "--project", str(project.id)])
    assert result.exit_code == 0, result.output
    assert "line 2: Nested too deeply to read." in result.output
    stored = db.session.scalar(select(TraceEvent).where(TraceEvent.trace_id == "odd\ufffd"))
    assert stored.properties["$ai_output_choices"][0]["content"] == "\ufffd"
    assert db.session.scalar(select(Trace.input_tokens).where(Trace.trace_id == "odd\ufffd")) == 0
    assert db.session.scalar(select(Trace.input_tokens).where(Trace.trace_id == "fine")) == 100


def test_an_array_nested_too_deeply_is_a_clear_error(runner, project, tmp_path):
    path = tmp_path / "events.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = runner.invoke(args=["import-traces", str(path), "--project", str(project.id)])
    assert result.exit_code == 1
    assert "The file's JSON array is nested too deeply to read." in result.output
