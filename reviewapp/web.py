"""What every HTML blueprint shares: the project-scoped view decorator and safe redirects."""
from __future__ import annotations

import functools
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import abort, g
from flask_login import current_user, login_required

from reviewapp.models import Membership
from reviewapp.services import accounts


def project_view(role: str = "viewer") -> Callable:
    """Require a signed-in member of the URL's project with at least `role`; pass the membership as `member`.

    Not a member (or no such project) is a 404, so project ids do not leak; too low a role is a 403."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        @login_required
        def wrapped(project_id: int, **kwargs: Any):
            # Every project of the user in one query: the layout's project switcher lists them too.
            g.memberships = accounts.memberships_of(current_user.id)
            membership = next((m for m in g.memberships if m.project_id == project_id), None)
            if membership is None:
                abort(404)
            if not membership.has_role(role):
                abort(403)
            g.membership = membership
            g.project = membership.project
            return view(membership, **kwargs)

        return wrapped

    return decorator


def current_membership() -> Membership | None:
    return g.get("membership")


def is_safe_next(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
