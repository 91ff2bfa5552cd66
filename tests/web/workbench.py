"""A project ready for the workbench tests: members of every role, one scorer of each kind, stored traces and a
queue holding them. Everything is made through the services the app uses."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reviewapp.models import Project, ReviewQueue, ReviewQueueItem, ScoreDefinition, User
from reviewapp.services import ingest, queue_items, queues, scorers
from tests.ingest.builders import generation, root
from tests.support.factories import Factory


@dataclass
class Workbench:
    project: Project
    admin: User
    reviewer: User
    viewer: User
    outsider: User  # a member of another project only
    quality: ScoreDefinition  # categorical, single
    tags: ScoreDefinition  # categorical, multiple, 1–2 choices
    rating: ScoreDefinition  # numeric 0..10 step 0.5
    helpful: ScoreDefinition  # boolean with labels
    queue: ReviewQueue
    trace_ids: list[str] = field(default_factory=list)

    @property
    def scorers(self) -> list[ScoreDefinition]:
        return [self.quality, self.tags, self.rating, self.helpful]

    def items(self) -> list[ReviewQueueItem]:
        return queue_items.list_items(self.project.id, queue_id=self.queue.id, limit=1000)[0]


def store_trace(project_id: int, trace_id: str, name: str | None = None, question: str = "Where is my order?",
                seconds: float = 0) -> None:
    events = [generation(trace_id, seconds, question=question, answer=f"Answer for {trace_id}.")]
    if name:
        events.insert(0, root(trace_id, seconds, name=name))
    ingest.ingest_batch(project_id, events)


def make_scorers(project_id: int, actor: User) -> dict[str, ScoreDefinition]:
    return {
        "quality": scorers.create_definition(project_id, actor, name="Answer quality", kind="categorical", config={
            "options": [{"key": "good", "label": "Good"}, {"key": "ok", "label": "Acceptable"},
                        {"key": "bad", "label": "Bad"}]}),
        "tags": scorers.create_definition(project_id, actor, name="Issues", kind="categorical", config={
            "options": [{"key": "tone", "label": "Tone"}, {"key": "facts", "label": "Wrong facts"},
                        {"key": "format", "label": "Formatting"}, {"key": "length", "label": "Too long"}],
            "selection_mode": "multiple", "min_selections": 1, "max_selections": 2}),
        "rating": scorers.create_definition(project_id, actor, name="Rating", kind="numeric",
                                            config={"min": 0, "max": 10, "step": 0.5}),
        "helpful": scorers.create_definition(project_id, actor, name="Resolved the issue", kind="boolean",
                                             config={"true_label": "Resolved", "false_label": "Not resolved"}),
    }


def build(factory: Factory, traces: int = 3, stored: bool = True, queue_name: str = "Support answers",
          instructions: str = "Judge the **answer**, not the question.") -> Workbench:
    project = factory.project("Workbench")
    admin = factory.user(email=f"admin{project.id}@example.com", project=project, role="admin",
                         first_name="Ada", last_name="Admin")
    reviewer = factory.user(email=f"rita{project.id}@example.com", project=project, role="reviewer",
                            first_name="Rita", last_name="Reviewer")
    viewer = factory.user(email=f"vic{project.id}@example.com", project=project, role="viewer")
    outsider = factory.user(email=f"otto{project.id}@example.com", project=factory.project("Elsewhere"),
                            role="admin")
    made = make_scorers(project.id, admin)
    queue = queues.create_queue(project.id, admin, queue_name, instructions)
    trace_ids = [f"trace-{n:03d}" for n in range(1, traces + 1)]
    for n, trace_id in enumerate(trace_ids):
        if stored:
            store_trace(project.id, trace_id, name=f"Support chat {n + 1}", seconds=n)
        queue_items.add_item(project.id, admin, queue.id, trace_id)
    return Workbench(project, admin, reviewer, viewer, outsider, queue=queue, trace_ids=trace_ids, **made)


def signed_in(app, user, password: str = Factory.PASSWORD):
    """A new browser (test client) signed in as `user` through the form; returns it and a CSRF token."""
    from tests.conftest import csrf_token_from

    client = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client, csrf_token_from(client.get(response.location).get_data(as_text=True))


def form_fields(html: str) -> dict[str, Any]:
    """Hidden inputs of a page by name (the last one wins), e.g. the review form's `started` stamp."""
    return {m.group(1): m.group(2) for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)}
