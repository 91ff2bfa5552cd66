"""Users, projects, memberships and personal API keys: creation, password hashing and key authentication."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from reviewapp.extensions import db
from reviewapp.models import ROLES, SCOPES, Membership, PersonalApiKey, Project, User, utcnow
from reviewapp.services import sessions
from reviewapp.services.common import ID_MAX, clean_text, commit_or, refusal_rolls_back
from reviewapp.services.errors import NotFound, ValidationError


def _hasher() -> PasswordHasher:
    """argon2id with the library's recommended parameters; the test suite may ask for cheaper ones
    (ARGON2_PARAMETERS), since hashing cost is what it is for and would dominate the suite's time."""
    from flask import current_app

    custom = current_app.config.get("ARGON2_PARAMETERS") if current_app else None
    return PasswordHasher(**custom) if custom else _DEFAULT_HASHER


_DEFAULT_HASHER = PasswordHasher()
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KEY_PREFIX = "phx_"
MIN_PASSWORD_LENGTH = 8
PROJECT_NAME_MAX = 200
# last_used_at is written at most this often per key, so reads do not turn into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return True


def normalise_email(email: str) -> str:
    email = canonical_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ValidationError("Enter a valid email address.", "email")
    return email


def validate_password(password: str, attr: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Use at least {MIN_PASSWORD_LENGTH} characters.", attr)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == canonical_email(email)))


def any_user_exists() -> bool:
    """Whether anyone can sign in yet (the sign-in page explains how to create the first user if not)."""
    return db.session.scalar(select(User.id).limit(1)) is not None


def authenticate_user(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None:
        _hasher().hash(password or "x")  # spend the same time as a real check: no user enumeration by timing
        return None
    if not user.is_active or not verify_password(user, password):
        return None
    return user


@refusal_rolls_back
def create_user(
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    *,
    commit: bool = True,
) -> User:
    email = normalise_email(email)
    validate_password(password)
    if find_user_by_email(email) is not None:
        raise ValidationError("A user with this email already exists.", "email")
    user = User(
        email=email,
        first_name=(first_name or "").strip()[:150],
        last_name=(last_name or "").strip()[:150],
        password_hash=hash_password(password),
        distinct_id=secrets.token_urlsafe(24),
    )
    db.session.add(user)
    commit_or(ValidationError("A user with this email already exists.", "email"), commit=commit)
    return user


@refusal_rolls_back
def change_password(user: User, current: str, new: str, *, keep_session: str | None = None) -> None:
    """Set a new password and sign the user out everywhere but the session `keep_session` (the one asking)."""
    if not verify_password(user, current):
        raise ValidationError("Your current password is not correct.", "current_password")
    validate_password(new, "new_password")
    user.password_hash = hash_password(new)
    sessions.end_all(user.id, except_token=keep_session, commit=False)
    db.session.commit()


def set_auto_advance(user: User, on: bool) -> None:
    """Whether picking an answer on the review page moves on to the next scorer, for this user everywhere."""
    user.auto_advance = on
    db.session.commit()


def new_project_token() -> str:
    return "phc_" + secrets.token_urlsafe(32).replace("-", "").replace("_", "")[:40]


def clean_project_name(raw: str | None) -> str:
    return clean_text(raw, "name", max_length=PROJECT_NAME_MAX)


@refusal_rolls_back
def create_project(name: str, *, commit: bool = True) -> Project:
    project = Project(name=clean_project_name(name), api_token=new_project_token())
    db.session.add(project)
    db.session.flush()
    if commit:
        db.session.commit()
    return project


@refusal_rolls_back
def rename_project(project: Project, name: str | None) -> Project:
    project.name = clean_project_name(name)
    db.session.commit()
    return project


def find_project_by_name(name: str) -> Project | None:
    return db.session.scalars(select(Project).where(Project.name == name.strip()).order_by(Project.id)).first()


def find_project_by_token(token: str) -> Project | None:
    if not token:
        return None
    return db.session.scalar(select(Project).where(Project.api_token == token))


@refusal_rolls_back
def set_membership(user: User, project: Project, role: str, *, commit: bool = True) -> Membership:
    if role not in ROLES:
        raise ValidationError(f'"{role}" is not a valid choice.', "role", "invalid_choice")
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.project_id == project.id)
    )
    if membership is None:
        membership = Membership(user=user, project=project, role=role)
        db.session.add(membership)
    else:
        membership.role = role
    db.session.flush()
    if commit:
        db.session.commit()
    return membership


def canonical_email(email: str | None) -> str:
    """An email as accounts are keyed by it (sign-in, throttling and look-ups must agree)."""
    return (email or "").strip().lower()


def membership_for(user_id: int, project_id: int) -> Membership | None:
    """The user's membership of the project, with the project loaded in the same query; None for an id no
    project can have (past the database's integer, where the query itself would fail)."""
    if not 0 < project_id <= ID_MAX:
        return None
    return db.session.scalar(
        select(Membership)
        .options(joinedload(Membership.project))
        .where(Membership.user_id == user_id, Membership.project_id == project_id)
    )


def memberships_of(user_id: int) -> list[Membership]:
    """All of a user's memberships with their projects, by project name: one query."""
    return list(db.session.scalars(
        select(Membership)
        .join(Membership.project)
        .options(contains_eager(Membership.project))
        .where(Membership.user_id == user_id)
        .order_by(Project.name, Project.id)
    ))


def memberships_of_user(user: User) -> list[Membership]:
    """memberships_of for a signed-in user, without a query when their session read them with the account."""
    if user.memberships_read:
        return list(user.memberships)
    return memberships_of(user.id)


def projects_of(user: User) -> list[tuple[Project, str]]:
    return [(membership.project, membership.role) for membership in memberships_of_user(user)]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scopes(raw: str | list[str]) -> list[str]:
    scopes = [s.strip() for s in (raw.split(",") if isinstance(raw, str) else raw) if s.strip()]
    if not scopes:
        raise ValidationError("Choose at least one scope.", "scopes", "required")
    for scope in scopes:
        if scope not in SCOPES:
            raise ValidationError(
                f'"{scope}" is not a valid scope. Allowed: {", ".join(SCOPES)}.', "scopes", "invalid_choice"
            )
    return sorted(set(scopes))


@refusal_rolls_back
def create_api_key(
    user: User,
    scopes: str | list[str],
    label: str = "",
    project_ids: Sequence[int | str] | None = None,
) -> tuple[PersonalApiKey, str]:
    """Create a key and return it with its secret, which is never stored and cannot be shown again.
    `project_ids` as given: any that is not the id of one of the user's projects (a non-number too) is refused."""
    scopes = parse_scopes(scopes)
    scoped: list[int] = []
    if project_ids:
        member_of = {p.id for p, _ in projects_of(user)}
        for pid in project_ids:
            if not isinstance(pid, int) or pid not in member_of:
                raise ValidationError(f"You are not a member of project {pid}.", "project")
            scoped.append(pid)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = PersonalApiKey(
        user=user,
        label=(label or "").strip()[:100],
        secure_value=_digest(secret),
        mask_value=f"{secret[:8]}…{secret[-4:]}",
        scopes=scopes,
        scoped_projects=sorted(set(scoped)) if scoped else None,
    )
    db.session.add(key)
    db.session.commit()
    return key, secret


def authenticate_api_key(secret: str) -> PersonalApiKey | None:
    """The key matching this secret, with last_used_at refreshed; None when unknown."""
    if not secret:
        return None
    digest = _digest(secret)
    key = db.session.scalar(select(PersonalApiKey).where(PersonalApiKey.secure_value == digest))
    if key is None or not hmac.compare_digest(key.secure_value, digest) or not key.user.is_active:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
        db.session.commit()
    return key


def api_keys_of(user: User) -> list[PersonalApiKey]:
    return list(
        db.session.scalars(
            select(PersonalApiKey).where(PersonalApiKey.user_id == user.id).order_by(PersonalApiKey.created_at.desc())
        )
    )


@refusal_rolls_back
def revoke_api_key(user: User, key_id) -> None:
    key = db.session.scalar(
        select(PersonalApiKey).where(PersonalApiKey.id == key_id, PersonalApiKey.user_id == user.id)
    )
    if key is None:
        raise NotFound()
    db.session.delete(key)
    db.session.commit()

