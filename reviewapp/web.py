"""What every HTML blueprint shares: the project-scoped view decorator, page numbers and safe redirects."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from flask import abort, g, request
from flask_login import current_user, login_required
from werkzeug.routing import PathConverter

from reviewapp.services import accounts
from reviewapp.services.common import ID_MAX, INT64_MAX


class TraceIdConverter(PathConverter):
    """A trace id in a path, `<trace:trace_id>`: any text, slashes and line breaks included (trace ids come from
    clients, and werkzeug's path converter stops at a line break, and at a leading slash)."""

    regex = r"[\s\S]+?"
    part_isolating = False  # werkzeug infers it from a "/" in the regex; this one matches slashes without naming one


def project_view(role: str = "viewer") -> Callable:
    """Require a signed-in member of the URL's project with at least `role`; pass the membership as `member`.

    Not a member (or no such project) is a 404, so project ids do not leak; too low a role is a 403."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        @login_required
        def wrapped(project_id: int, **kwargs: Any):
            if project_id > ID_MAX:
                abort(400, "The project id is too large: no project has it.")
            # Every project of the user (read with the session): the layout's project switcher lists them too.
            g.memberships = accounts.memberships_of_user(current_user)
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


def page_number(per_page: int, name: str = "page") -> int:
    """The 1-based page number in the query parameter `name`, for a list shown `per_page` rows at a time.

    Absent, unreadable or below 1 is the first page; a page whose first row lies past any offset a database can
    hold is a 400 page that says so."""
    try:
        page = int(request.args.get(name, ""))
    except ValueError:  # not a number, or more digits than int() reads
        return 1
    if (page - 1) * per_page > INT64_MAX:
        abort(400, "That page number is too large: no list here has that many pages.")
    return max(page, 1)


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Only local paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
