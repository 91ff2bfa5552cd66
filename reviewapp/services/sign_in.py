"""Signing in with throttling: attempts are counted in the database per account and per client address, so every
worker and process shares one count, and an account under attack does not lock out its neighbours."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from reviewapp.extensions import db
from reviewapp.models import SignInAttempt, User, utcnow
from reviewapp.services import accounts
from reviewapp.services.errors import ServiceError


@dataclass(frozen=True)
class Limits:
    """Password checks allowed within `window`: per account (the email typed) and per client address; the
    address's limit is higher, since one office or proxy may serve many people."""

    per_account: int
    per_address: int
    window: timedelta


class Throttled(ServiceError):
    """Too many recent attempts: a 429 whose Retry-After is `retry_after` seconds."""

    status = 429

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail, None, "throttled")
        self.retry_after = retry_after


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "a minute" if minutes <= 1 else f"{minutes} minutes"


def _wait(where, limit: int, since: datetime, window: timedelta, now: datetime) -> int:
    """Seconds until the attempts matching `where` (the one being made included) fit the limit again; 0 if they
    do now."""
    times = db.session.scalars(
        select(SignInAttempt.attempted_at).where(where, SignInAttempt.attempted_at >= since)
        .order_by(SignInAttempt.attempted_at, SignInAttempt.id)
    ).all()
    excess = len(times) - limit
    if excess <= 0:
        return 0
    # With this attempt withdrawn, the `excess` oldest must age out of the window before the next one fits.
    return max(1, math.ceil((times[excess - 1] + window - now).total_seconds()))


def sign_in(email: str, password: str, address: str | None, limits: Limits | None) -> User | None:
    """The user these credentials sign in, None when they are wrong; Throttled when the account or the address
    has had too many attempts in the window. `limits` None switches throttling off."""
    if limits is None:
        return accounts.authenticate_user(email, password)
    account = accounts.canonical_email(email)[:254]
    address = (address or "unknown")[:64]
    now = utcnow()
    since = now - limits.window
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.attempted_at < since))
    # Stored (and committed) before it is counted, so that attempts made at the same moment by other workers
    # count each other: never more password checks than the limit, however many run at once.
    attempt = SignInAttempt(email=account, address=address, attempted_at=now)
    db.session.add(attempt)
    db.session.commit()
    attempt_id = attempt.id
    refusal = None
    if wait := _wait(SignInAttempt.email == account, limits.per_account, since, limits.window, now):
        refusal = Throttled(f"Too many sign-in attempts for this account. Try again in {_minutes(wait)}.", wait)
    elif wait := _wait(SignInAttempt.address == address, limits.per_address, since, limits.window, now):
        refusal = Throttled("Too many sign-in attempts from your network. Try again in "
                            f"{_minutes(wait)}.", wait)
    if refusal is not None:
        # A refused attempt checks no password, so it does not count: the lock ends one window after the last
        # real try, and hammering one locked account does not use up the address's allowance.
        db.session.execute(delete(SignInAttempt).where(SignInAttempt.id == attempt_id))
        db.session.commit()
        raise refusal
    user = accounts.authenticate_user(email, password)
    if user is not None:
        # The right password clears this account's failures (and this attempt): whoever knows it gains nothing
        # by them, and the failures on other accounts still count against the address.
        db.session.execute(delete(SignInAttempt).where(SignInAttempt.email == account,
                                                       SignInAttempt.id <= attempt_id))
        db.session.commit()
    return user
