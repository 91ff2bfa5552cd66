"""Score definitions ("scorers") and their immutable versions."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewapp.models.base import Base, UTCDateTime, json_type, utcnow, uuid7
from reviewapp.models.project import User

KINDS = ("categorical", "numeric", "boolean")


class ScoreDefinition(Base):
    __tablename__ = "score_definitions"
    __table_args__ = (
        Index("ix_score_definitions_project_archived_name", "project_id", "archived", "name"),
        Index("ix_score_definitions_project_archived_kind", "project_id", "archived", "kind"),
        Index("ix_score_definitions_project_archived_updated", "project_id", "archived", "updated_at"),
        Index("ix_score_definitions_project_archived_created", "project_id", "archived", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    current_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("score_definition_versions.id", use_alter=True, ondelete="SET NULL",
                   name="fk_score_definitions_current_version")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship(lazy="joined")
    current: Mapped[ScoreDefinitionVersion | None] = relationship(
        foreign_keys=[current_version_id], lazy="joined", post_update=True
    )

    def live(self) -> ScoreDefinitionVersion:
        """The current version. Every saved scorer has one (it is written with the scorer and only ever replaced),
        so a missing one is broken data, reported as such rather than as an AttributeError on None."""
        if self.current is None:
            raise LookupError(f"Scorer {self.id} ({self.name!r}) has no current version.")
        return self.current


class ScoreDefinitionVersion(Base):
    __tablename__ = "score_definition_versions"
    __table_args__ = (UniqueConstraint("definition_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    definition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("score_definitions.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict] = mapped_column(json_type())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship(lazy="joined")
