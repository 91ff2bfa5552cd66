"""Server-side sign-in state: browser sessions (what sign-out revokes) and failed sign-ins (what throttling counts)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from reviewapp.models.base import Base, UTCDateTime, utcnow


class UserSession(Base):
    """One signed-in browser. The session cookie carries a secret whose digest is stored here, so deleting the
    row ends the session even for a copy of the cookie."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SignInAttempt(Base):
    """A sign-in that is being checked or failed: counted per account (the email as typed, normalised) and per
    client address, by every worker and process alike."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_email_attempted_at", "email", "attempted_at"),
        Index("ix_sign_in_attempts_address_attempted_at", "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
