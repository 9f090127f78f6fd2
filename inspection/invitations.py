"""Inviting people and ending their access: nobody types another person's password.

An admin invites a person (``invite_user``): the account is made without a password and a
set-password link is returned, to be passed on by the admin (the service sends no mail). The
link holds a random token; only its sha256 is stored. It works once, for ``INVITATION_VALID``,
and a newer link for the same person ends the older ones. The same link resets a forgotten
password (``new_link``). Deactivating a person ends their sessions and links; they cannot sign
in until reactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from inspection.accounts import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    email_fits,
    email_too_long,
    new_account_problems,
    new_password_hash,
    normalise_email,
)
from inspection.models import Invitation, Session, User
from inspection.models.core import Role

INVITATION_VALID = timedelta(days=7)
# Stored instead of a hash until the person sets a password: no password ever matches it.
UNUSABLE_HASH = "!"  # noqa: S105 (not a password: a value no password hashes to)
INVITATION_PATH = "/invitations/"


@dataclass(frozen=True)
class Link:
    """A set-password link just made: its token is known only here and to the person it is for."""

    user: User
    token: str
    expires_at: datetime

    @property
    def path(self) -> str:
        return f"{INVITATION_PATH}{self.token}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_link(user: User, made_by: User | None) -> Link:
    """A set-password link for ``user``; any earlier link not yet used stops working."""
    if not user.active:
        raise AccountError(f"{user.name} is deactivated: reactivate them first.")
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    async with in_transaction():
        await Invitation.filter(user_id=user.id, used_at__isnull=True).update(used_at=now)
        invitation = await Invitation.create(
            user=user,
            token_hash=_digest(token),
            created_by=made_by,
            created_at=now,
            expires_at=now + INVITATION_VALID,
        )
    return Link(user, token, invitation.expires_at)


async def invite_user(email: str, name: str, role: str, made_by: User | None) -> Link:
    """A new account for ``email`` without a password, and the link to set one."""
    problems = await new_account_problems(email, name, role)
    if problems:
        raise AccountError(next(iter(problems.values())) + ".")
    async with in_transaction():
        user = await User.create(
            email=normalise_email(email),
            name=name.strip(),
            role=Role(role),
            password_hash=UNUSABLE_HASH,
        )
        link = await new_link(user, made_by)
    return link


async def invitation_for(token: str) -> Invitation | None:
    """The invitation ``token`` opens, with its user, if it still works; else ``None``."""
    if not token or len(token) > 100:
        return None
    invitation = (
        await Invitation.filter(token_hash=_digest(token), used_at__isnull=True)
        .select_related("user")
        .first()
    )
    if invitation is None or invitation.expires_at <= datetime.now(UTC):
        return None
    if not invitation.user.active:
        return None
    return invitation


def password_errors(password: str, confirmation: str) -> dict[str, str]:
    """What is wrong with a new password and its confirmation, by field."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return {"password": f"Your password must be at least {MIN_PASSWORD_LENGTH} characters"}
    if password != confirmation:
        return {"confirmation": "The passwords do not match: type the same password twice"}
    return {}


async def accept(token: str, password: str) -> User | None:
    """Set the password of the person ``token`` invites and use the link up; ``None`` when the
    link no longer works. Any session the person had ends (a reset signs out everywhere)."""
    invitation = await invitation_for(token)
    if invitation is None:
        return None
    problems = password_errors(password, password)
    if problems:
        raise AccountError(problems["password"] + ".")
    password_hash = await new_password_hash(password)
    async with in_transaction():
        used = await Invitation.filter(id=invitation.id, used_at__isnull=True).update(
            used_at=datetime.now(UTC)
        )
        if not used:  # the same link used twice at once: the other use won
            return None
        await User.filter(id=invitation.user.id).update(password_hash=password_hash)
        await Session.filter(user_id=invitation.user.id).delete()
    return invitation.user


async def deactivate(user: User, by: User | None) -> None:
    """``user`` can no longer sign in: their sessions end and their links stop working."""
    if by is not None and by.id == user.id:
        raise AccountError("You cannot deactivate your own account.")
    async with in_transaction():
        await User.filter(id=user.id).update(active=False)
        await Session.filter(user_id=user.id).delete()
        await Invitation.filter(user_id=user.id, used_at__isnull=True).update(
            used_at=datetime.now(UTC)
        )
    user.active = False


async def forget_finished(now: datetime | None = None) -> int:
    """Delete the links that can no longer be used (used, ended by a newer link or a
    deactivation, or expired): only their hashes were kept, and nothing reads them again.
    How many were deleted."""
    when = now or datetime.now(UTC)
    finished = Q(used_at__isnull=False) | Q(expires_at__lte=when)
    return int(await Invitation.filter(finished).delete())


async def reactivate(user: User) -> None:
    """``user`` may sign in again with the password they had (or a new link)."""
    await User.filter(id=user.id).update(active=True)
    user.active = True


def has_password(user: User) -> bool:
    return user.password_hash != UNUSABLE_HASH


async def user_by_email(email: str) -> User | None:
    """The account with ``email`` (any case), or ``None``."""
    if not email_fits(email):
        raise AccountError(email_too_long())
    return await User.get_or_none(email=normalise_email(email))
