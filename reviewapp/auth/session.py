"""Browser sessions for Flask-Login: the cookie carries the secret of a server-side session record
(services/sessions.py), the throttled sign-in, and the client's address as this deployment can trust it."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, request
from flask_login import current_user, login_user, logout_user

from reviewapp.models import User
from reviewapp.services import sessions, sign_in


def _idle_lifetime() -> timedelta:
    return timedelta(days=current_app.config["SESSION_IDLE_DAYS"])


def load_user(token: str) -> User | None:
    """Flask-Login's user loader (also for a remember cookie, which carries the same secret)."""
    return sessions.user_of(token, _idle_lifetime())


def current_token() -> str | None:
    """The signed-in browser's session secret (what `get_id` gives Flask-Login), None when signed out."""
    return current_user.get_id() if current_user.is_authenticated else None


def throttle_limits() -> sign_in.Limits | None:
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return None
    return sign_in.Limits(per_account=config["SIGN_IN_ATTEMPTS_PER_ACCOUNT"],
                          per_address=config["SIGN_IN_ATTEMPTS_PER_ADDRESS"],
                          window=timedelta(seconds=config["SIGN_IN_WINDOW_SECONDS"]))


def authenticate(email: str, password: str) -> User | None:
    """The user these credentials sign in (throttled per account and per client address); raises Throttled.
    The address is the proxy's X-Forwarded-For only with REVIEWAPP_TRUSTED_PROXIES set (ProxyFix rewrites
    remote_addr then), so a client cannot pick its own address."""
    return sign_in.sign_in(email, password, request.remote_addr, throttle_limits())


def begin(user: User) -> None:
    """Sign the browser in with a new server-side session (a new cookie value: no session fixation)."""
    sessions.start(user, _idle_lifetime())
    login_user(user)


def end() -> None:
    """Sign this browser out and end its session record, so a saved copy of the cookie stops working too."""
    sessions.end(current_token())
    logout_user()
