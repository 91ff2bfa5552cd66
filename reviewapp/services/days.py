"""Days for charts: the window of UTC days a page covers, and the UTC day of a timestamp computed in SQL (SQLite
and PostgreSQL spell it differently), so every per-day figure is grouped by the database the same way."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func

from reviewapp.extensions import db


def last_days(days: int, now: datetime) -> tuple[datetime, list[str]]:
    """The start of the first of the last `days` UTC days (today included), and each day as YYYY-MM-DD."""
    first_day = now.astimezone(UTC).date() - timedelta(days=days - 1)
    return (datetime.combine(first_day, time(), UTC),
            [(first_day + timedelta(days=i)).isoformat() for i in range(days)])


def utc_day(column):
    """The UTC calendar day of a timestamp column, as YYYY-MM-DD text, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)  # SQLite keeps these columns as naive UTC text

