"""Personal API keys: stored as a SHA-256 digest of a high-entropy secret, shown once."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewapp.models.base import Base, UTCDateTime, json_type, utcnow, uuid7
from reviewapp.models.project import User

SCOPES = ("llm_analytics:read", "llm_analytics:write", "*")


class PersonalApiKey(Base):
    __tablename__ = "personal_api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    secure_value: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the key
    mask_value: Mapped[str] = mapped_column(String(32))  # e.g. "phx_ab…wxyz", safe to show
    scopes: Mapped[list[str]] = mapped_column(json_type())
    # None: every project the user belongs to; otherwise the project ids the key may reach.
    scoped_projects: Mapped[list[int] | None] = mapped_column(json_type())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def has_scope(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes

    def allows_project(self, project_id: int) -> bool:
        return self.scoped_projects is None or project_id in self.scoped_projects
