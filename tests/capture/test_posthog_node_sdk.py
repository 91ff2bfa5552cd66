"""The official PostHog Node SDK (posthog-node, as `@posthog/ai` uses it), pointed at a real server running the
app, delivers a trace that arrives whole. Needs Node.js and npm (`.ci/run` installs them); the SDK itself is
installed from npm into a temporary folder once per test run."""
from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import TraceEvent, utcnow
from tests.capture.test_posthog_sdk import assert_trace_arrived, live_server  # noqa: F401 (a fixture)

SDK_VERSION = "5"  # posthog-node's current major version

SCRIPT = """
import { PostHog } from 'posthog-node'
const [host, token, traceId] = process.argv.slice(2)
const client = new PostHog(token, { host, flushAt: 20, flushInterval: 0 })
const errors = []
client.on('error', (error) => errors.push(String(error)))
const common = { $ai_trace_id: traceId, $ai_session_id: 'chat-42' }
client.capture({ distinctId: 'customer-1', event: '$ai_trace', properties: { ...common,
  $ai_span_name: 'support agent', $ai_latency: 3.2,
  $ai_input_state: { question: 'Where is order 1234?' }, $ai_output_state: 'It arrives Friday.' } })
client.capture({ distinctId: 'customer-1', event: '$ai_span', properties: { ...common,
  $ai_span_id: 'lookup', $ai_parent_id: traceId, $ai_span_name: 'lookup_order',
  $ai_input_state: { order: 1234 }, $ai_output_state: { eta: 'Friday' }, $ai_latency: 0.4 } })
client.capture({ distinctId: 'customer-1', event: '$ai_generation', properties: { ...common,
  $ai_span_id: 'answer', $ai_parent_id: 'lookup', $ai_model: 'gpt-4o-mini', $ai_provider: 'openai',
  $ai_input: [{ role: 'user', content: 'Where is order 1234?' }],
  $ai_output_choices: [{ role: 'assistant', content: 'It arrives Friday.' }],
  $ai_input_tokens: 812, $ai_output_tokens: 64,
  $ai_input_cost_usd: 0.0001218, $ai_output_cost_usd: 0.0000384, $ai_latency: 1.9 } })
await client.shutdown()
if (errors.length) { console.error(errors.join('\\n')); process.exit(1) }
"""


@pytest.fixture(scope="session")
def node_sdk(tmp_path_factory):
    """A folder holding posthog-node and the sending script."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("needs Node.js and npm (apt-get install -y nodejs npm)")
    folder = tmp_path_factory.mktemp("node-sdk")
    (folder / "package.json").write_text('{"name": "sdk-check", "private": true, "type": "module"}')
    installed = subprocess.run(["npm", "install", "--no-audit", "--no-fund", f"posthog-node@{SDK_VERSION}"],
                               cwd=folder, capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-2000:]
    (folder / "send.mjs").write_text(SCRIPT)
    return folder


def test_node_sdk_trace_arrives_whole(node_sdk, live_server, project):  # noqa: F811
    url, requests = live_server
    trace_id = str(uuid.uuid4())
    sent = subprocess.run(["node", "send.mjs", url, project.api_token, trace_id], cwd=node_sdk,
                          capture_output=True, text=True, timeout=120)
    assert sent.returncode == 0, sent.stderr[-2000:]
    assert [(method, path) for method, path, _ in requests] == [("POST", "/batch/")]
    assert_trace_arrived(project.id, trace_id)
    # The SDK says when it sent the batch (sent_at): the stored times are on the server's clock, moments ago.
    stamps = db.session.scalars(select(TraceEvent.timestamp).where(TraceEvent.trace_id == trace_id)).all()
    assert all(utcnow() - timedelta(seconds=60) < stamp <= utcnow() for stamp in stamps)


@pytest.fixture
def project(factory):
    return factory.project()
