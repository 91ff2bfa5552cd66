"""An event's order key is stored in each trace's provenance and compared with the keys of later events: however it
is computed, its text must stay the one the stored keys have (the strftime form), or a late event would be ranked
against keys of another shape."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from reviewapp.services.ingest.events import AIEvent
from reviewapp.services.ingest.posthog import parse_event


@pytest.mark.parametrize("when", [
    datetime(2025, 3, 1, 12, 0, tzinfo=UTC),  # no fraction of a second
    datetime(2025, 3, 1, 12, 0, 0, 1, tzinfo=UTC),
    datetime(2025, 3, 1, 12, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2))),  # another zone: its own fields
    datetime(1000, 1, 1, tzinfo=UTC),
    datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # strftime writes this year in three digits
    datetime(5, 1, 1, 0, 0, 0, 7, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2025, 3, 1, 12, 0),  # naive
])
def test_order_key_is_the_stored_text(when):
    event = AIEvent("0b7a3c1e-0000-4000-8000-000000000001", "$ai_span", "t", None, when, None, None, {})
    assert event.order_key == f"{when.strftime('%Y-%m-%dT%H:%M:%S.%f')}|{event.uuid}"


def test_a_datetime_from_an_in_process_mapping_is_taken_as_its_iso_text_would_be():
    """OTel's mapping hands parse_event the span's start as a datetime; the event is the one its ISO text gives."""
    now = datetime(2026, 1, 2, tzinfo=UTC)
    for when in (datetime(2025, 3, 1, 12, 0, 0, 250, tzinfo=UTC),
                 datetime(2025, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))), datetime(2025, 3, 1, 12, 0)):
        raw = {"event": "$ai_span", "uuid": "0b7a3c1e-0000-4000-8000-000000000001", "distinct_id": "d",
               "properties": {"$ai_trace_id": "t"}}
        from_text = parse_event({**raw, "timestamp": when.isoformat()}, "batch[0]", now)
        from_datetime = parse_event({**raw, "timestamp": when}, "batch[0]", now)
        assert from_datetime == from_text
        assert from_datetime is not None and from_datetime.timestamp.tzinfo is UTC
