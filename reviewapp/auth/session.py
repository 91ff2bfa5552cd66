"""Flask-Login's user loader: the session names the user and the password generation it was issued for."""
from __future__ import annotations

from reviewapp.extensions import db
from reviewapp.models import User


def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or str(user.session_version) != version:
        return None  # the password changed since this session began
    return user
