"""Fixtures the page tests share: an admin of the module's own `project` fixture, signed in on `client`."""
from __future__ import annotations

import pytest


@pytest.fixture
def admin(factory, project):
    return factory.user(email="admin@example.com", project=project, role="admin")


@pytest.fixture
def token(login, admin):
    """The admin signed in; the value is the CSRF token for the pages' form posts."""
    return login(admin)
