"""Browser sessions kept server-side: the cookie names a record here, so signing out, changing the password and
deactivating an account end sessions for good, a saved copy of the cookie included."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import contains_eager

from reviewapp.extensions import db
from reviewapp.models import Membership, Project, User, UserSession, utcnow

# last_seen_at is written at most this often per session, so reading pages does not turn into writing.
SEEN_RESOLUTION = timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, idle_lifetime: timedelta) -> str:
    """Open a session for the user and return its secret (for the cookie; only its digest is stored). Sessions
    idle for longer than `idle_lifetime`, anyone's, are deleted on the way."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(delete(UserSession).where(UserSession.last_seen_at < now - idle_lifetime))
    db.session.add(UserSession(user_id=user.id, token_digest=_digest(token), created_at=now, last_seen_at=now))
    db.session.commit()
    user.session_token = token
    return token


def user_of(token: str, idle_lifetime: timedelta) -> User | None:
    """The active user whose live session has this secret, in one query; None when the session was ended, has
    been idle too long, or the account is deactivated. The same query reads the user's memberships with their
    projects (a project page's access check and its project switcher need them: accounts.memberships_of_user)."""
    if not token:
        return None
    row = db.session.execute(
        select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
        .outerjoin(User.memberships).outerjoin(Membership.project)
        .options(contains_eager(User.memberships).contains_eager(Membership.project))
        .where(UserSession.token_digest == _digest(token))
        .order_by(Project.name, Project.id)
    ).unique().first()
    if row is None:
        return None
    user, record = row
    now = utcnow()
    if not user.is_active or record.last_seen_at < now - idle_lifetime:
        return None
    fresh = now - record.last_seen_at <= SEEN_RESOLUTION
    if not fresh:
        record.last_seen_at = now
        db.session.commit()  # expires what was read: the memberships are read again when asked
    user.memberships_read = fresh
    user.session_token = token
    return user


def end(token: str | None) -> None:
    """Sign this session out: its cookie, and every copy of it, stops working."""
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_digest == _digest(token)))
        db.session.commit()


def end_all(user_id: int, *, except_token: str | None = None, commit: bool = True) -> int:
    """Sign the user out everywhere (but the session `except_token`, if given); returns how many ended."""
    statement = delete(UserSession).where(UserSession.user_id == user_id)
    if except_token:
        statement = statement.where(UserSession.token_digest != _digest(except_token))
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    ended = cast(CursorResult[Any], result).rowcount  # a DELETE's result is a cursor's, with a row count
    if commit:
        db.session.commit()
    return ended

