"""Objects for tests, made through the same services the app uses."""
from __future__ import annotations

import itertools

from reviewapp.extensions import db
from reviewapp.models import Project, User
from reviewapp.services import accounts

_seq = itertools.count(1)


class Factory:
    PASSWORD = "correct horse battery"

    def project(self, name: str | None = None) -> Project:
        return accounts.create_project(name or f"Project {next(_seq)}")

    def user(self, email: str | None = None, project: Project | None = None, role: str = "admin",
             password: str | None = None, **names) -> User:
        user = accounts.create_user(email or f"user{next(_seq)}@example.com", password or self.PASSWORD, **names)
        if project is not None:
            accounts.set_membership(user, project, role)
        return user

    def member(self, project: Project, role: str) -> User:
        return self.user(project=project, role=role)

    def api_key(self, user: User, scopes: str = "*", project_ids: list[int] | None = None) -> str:
        _, secret = accounts.create_api_key(user, scopes, "test", project_ids)
        return secret

    def commit(self) -> None:
        db.session.commit()
