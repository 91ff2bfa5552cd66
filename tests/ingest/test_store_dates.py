"""The store writes events and summaries without SQLAlchemy's per-row statement handling on SQLite: the dates it
writes must still be the ones SQLAlchemy would, or filters and orderings on them would miss or misplace rows."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from reviewapp.extensions import db
from reviewapp.models import Trace, TraceEvent
from reviewapp.services.ingest.posthog import ingest_batch
from tests.ingest.builders import event


@pytest.mark.parametrize("sent, stored", [
    ("2025-03-01T14:00:00.5+02:00", datetime(2025, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)),  # another zone
    ("2025-03-01T12:00:00Z", datetime(2025, 3, 1, 12, 0, tzinfo=UTC)),  # no fraction of a second
    ("0999-12-31T23:59:59.000001+00:00", datetime(999, 12, 31, 23, 59, 59, 1, tzinfo=UTC)),  # a 3-digit year
])
def test_dates_the_store_writes_match_dates_sqlalchemy_binds(factory, sent, stored):
    project = factory.project()
    body = event("$ai_generation", "t", **{"$ai_latency": 2.0})
    body["timestamp"] = sent
    assert ingest_batch(project.id, [body]).stored == 1
    # Compared in SQL, with the dates bound by SQLAlchemy: equal only if stored in the same form.
    assert db.session.scalar(select(TraceEvent.timestamp).where(TraceEvent.timestamp == stored)) == stored
    assert db.session.scalar(select(Trace.first_timestamp).where(
        Trace.first_timestamp == stored, Trace.ends_at == stored + timedelta(seconds=2),
        Trace.last_timestamp >= stored - timedelta(microseconds=1))) == stored


def test_dates_in_one_batch_keep_their_order(factory):
    project = factory.project()
    zone = timezone(timedelta(hours=-7))
    times = [datetime(2025, 3, 1, 5, 0, 0, tzinfo=zone), datetime(2025, 3, 1, 11, 59, 59, 999999, tzinfo=UTC),
             datetime(2025, 3, 1, 12, 0, 0, 1, tzinfo=UTC)]
    bodies = []
    for n, when in enumerate(times):
        body = event("$ai_span", "t", **{"$ai_span_name": f"step {n}"})
        body["timestamp"] = when.isoformat()
        bodies.append(body)
    ingest_batch(project.id, list(reversed(bodies)))
    names = db.session.scalars(select(TraceEvent.properties["$ai_span_name"].as_string())
                               .where(TraceEvent.project_id == project.id).order_by(TraceEvent.timestamp)).all()
    assert names == ["step 1", "step 0", "step 2"]  # 05:00-07:00 is 12:00 UTC, after 11:59:59.999999
