"""Project members: inviting (a new account with a temporary password, or an existing user), changing roles and
removing, under one rule: a project always keeps at least one admin."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, select, update
from sqlalchemy.orm import aliased, joinedload

from reviewapp.extensions import db
from reviewapp.models import ROLES, Membership, Project, User
from reviewapp.services import accounts
from reviewapp.services.common import refusal_rolls_back
from reviewapp.services.errors import NotFound, ValidationError

LAST_ADMIN = ("{who} is this project's last admin. Make another member an admin first, so that someone can "
              "still manage the project.")


def list_members(project_id: int) -> list[Membership]:
    """The project's memberships with their users, admins first, then by email (one query)."""
    rank = {role: i for i, role in enumerate(reversed(ROLES))}
    members = db.session.scalars(
        select(Membership).options(joinedload(Membership.user))
        .join(User, User.id == Membership.user_id)
        .where(Membership.project_id == project_id)
        .order_by(User.email)
    ).all()
    return sorted(members, key=lambda m: rank[m.role])


def load_membership(project_id: int, membership_id: int | str) -> Membership:
    try:
        membership_id = int(membership_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    membership = db.session.scalar(
        select(Membership).where(Membership.project_id == project_id, Membership.id == membership_id))
    if membership is None:
        raise NotFound()
    return membership


def clean_role(raw: str | None) -> str:
    if not raw:
        raise ValidationError("This field is required.", "role", "required")
    if raw not in ROLES:
        raise ValidationError(f"“{raw[:40]}” is not a valid choice. Choose one of: {', '.join(ROLES)}.", "role",
                              "invalid_choice")
    return raw


@refusal_rolls_back
def invite(project: Project, actor: User, *, email: str | None, role: str | None, password: str | None = None,
           first_name: str = "", last_name: str = "") -> tuple[Membership, bool]:
    """Add the user with this email to the project; create their account (with `password`, a temporary one
    they change after signing in) when there is none. Returns the membership and whether an account was made.
    One transaction: a refused account leaves no membership, and the reverse."""
    role = clean_role(role)
    email = accounts.normalise_email(email or "")
    user = accounts.find_user_by_email(email)
    created = user is None
    if user is None:
        if not password:
            raise ValidationError("There is no account with this email yet: set a temporary password to create "
                                  "one.", "password", "required")
        user = accounts.create_user(email, password, first_name, last_name, commit=False)
    elif accounts.membership_for(user.id, project.id) is not None:
        raise ValidationError(f"{email} is already a member of this project.", "email")
    membership = accounts.set_membership(user, project, role, commit=False)
    db.session.commit()
    return membership, created


def _admins_locked(project_id: int) -> int:
    """How many admins the project has, with their memberships locked (PostgreSQL) until the transaction
    ends, so two admins demoting each other at once cannot leave the project without one."""
    ids = db.session.scalars(
        select(Membership.id).where(Membership.project_id == project_id, Membership.role == "admin")
        .order_by(Membership.id).with_for_update()
    ).all()
    return len(ids)


def _another_admin(project_id: int, membership_id: int):
    """SQL: some other admin of the project exists (checked inside the write itself, for SQLite)."""
    other = aliased(Membership)
    return exists().where(other.project_id == project_id, other.role == "admin", other.id != membership_id)


@refusal_rolls_back
def change_role(project_id: int, actor: User, membership_id: int | str, role: str | None) -> Membership:
    membership = load_membership(project_id, membership_id)
    role = clean_role(role)
    if role == membership.role:
        return membership
    if membership.role == "admin":
        _admins_locked(project_id)
        changed = db.session.execute(
            update(Membership)
            .where(Membership.id == membership.id, Membership.role == "admin",
                   _another_admin(project_id, membership.id))
            .values(role=role)
            .execution_options(synchronize_session=False)
        )
        if not cast(CursorResult[Any], changed).rowcount:
            raise ValidationError(LAST_ADMIN.format(who=membership.user.email), "role")
        db.session.commit()
        db.session.refresh(membership)
        return membership
    membership.role = role
    db.session.commit()
    return membership


@refusal_rolls_back
def remove_member(project_id: int, actor: User, membership_id: int | str) -> User:
    """Remove a member from the project (their account and API keys stay). Returns the removed user."""
    membership = load_membership(project_id, membership_id)
    user = membership.user
    if membership.role == "admin":
        _admins_locked(project_id)
    removed = db.session.execute(
        delete(Membership)
        .where(Membership.id == membership.id,
               (Membership.role != "admin") | _another_admin(project_id, membership.id))
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], removed).rowcount:
        raise ValidationError(LAST_ADMIN.format(who=user.email), None)
    db.session.expunge(membership)
    db.session.commit()
    return user
