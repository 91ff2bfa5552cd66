"""new_version with a name, racing on PostgreSQL: two saves from the same base_version both pass their checks and
wait on the scorer's row lock; the first through makes the version and applies its name, the second answers 409
and changes nothing, its name included."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from reviewapp.extensions import db
from reviewapp.models import ScoreDefinition, ScoreDefinitionVersion
from reviewapp.services.common import as_uuid
from tests.support.api import ApiClient
from tests.support.scoring import create_scorer

pytestmark = pytest.mark.postgres_only
STALE = "The scorer changed since you opened it. Reload the latest version and try again."


def wait_for_lock_waiters(count: int, timeout: float = 20.0) -> None:
    """Until `count` transactions wait for a row lock (so both requests have passed their checks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            waiting = conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE 'SELECT score_definitions.id%'"))
        if waiting >= count:
            return
        time.sleep(0.02)
    with db.engine.connect() as conn:
        activity = conn.execute(text("SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity "
                                     "WHERE datname = current_database()")).all()
    raise AssertionError(f"expected {count} requests waiting on the scorer's row lock: {activity}")


def test_two_saves_from_one_base_apply_one_name(app, api):
    scorer = create_scorer(api, name="Quality", description="Before")
    names = ["Helpfulness", "Accuracy"]
    started = threading.Barrier(3)

    def save(i: int):
        with app.app_context():
            client = ApiClient(app.test_client(), api.project_id, api.key)
            started.wait()
            response = client.post(f"score_definitions/{scorer['id']}/new_version/", {
                "config": {"options": [{"key": f"k{i}", "label": f"K{i}"}]}, "base_version": 1,
                "name": names[i], "description": f"By request {i}"})
            db.session.remove()
            return response.status_code, response.get_json()

    # Hold the scorer's row so both requests load it at version 1 and queue up on the lock behind this.
    with db.engine.connect() as holder:
        holder.execute(select(ScoreDefinition.id).where(ScoreDefinition.id == as_uuid(scorer["id"]))
                       .with_for_update())
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(save, i) for i in range(2)]
            try:
                started.wait()
                wait_for_lock_waiters(2)
            finally:
                holder.rollback()  # release: the requests go through one after the other
            results = [future.result(timeout=30) for future in futures]

    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409], results
    winner = next(i for i, (status, _) in enumerate(results) if status == 200)
    loser = 1 - winner
    assert results[loser][1] == {"detail": STALE, "current_version": 2}
    body = results[winner][1]
    assert (body["name"], body["description"], body["current_version"]) == (
        names[winner], f"By request {winner}", 2)

    db.session.expire_all()
    stored = api.get(f"score_definitions/{scorer['id']}/").get_json()
    assert stored == body  # the loser's name and description were not applied
    assert stored["name"] != names[loser]
    assert db.session.scalar(select(func.count(ScoreDefinitionVersion.id)).where(
        ScoreDefinitionVersion.definition_id == as_uuid(scorer["id"]))) == 2
