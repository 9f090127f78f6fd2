"""People: creating users, checking passwords (Argon2), throttling sign-in attempts."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from inspection.models import AccessLog, LoginAttempt, User
from inspection.models.columns import fits, max_length
from inspection.models.core import Role

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_fits(email: str) -> bool:
    """Whether ``email`` fits the e-mail columns; a longer address can be nobody's."""
    return fits(User, "email", normalise_email(email))


def email_too_long() -> str:
    """What to say when an e-mail address is longer than any account's can be."""
    return f"Enter an e-mail address of {max_length(User, 'email')} characters or fewer."


async def create_user(email: str, name: str, role: str, password: str) -> User:
    email = normalise_email(email)
    if not email_fits(email):
        raise AccountError(email_too_long())
    if not _EMAIL.match(email):
        raise AccountError(f"'{email}' is not an e-mail address.")
    try:
        role_value = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise AccountError(f"Unknown role '{role}'. Roles are: {roles}.") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    if await User.filter(email=email).exists():
        raise AccountError(f"A user with e-mail {email} already exists.")
    return await User.create(
        email=email,
        name=name.strip() or email,
        role=role_value,
        password_hash=hash_password(password),
    )


async def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = hash_password(password)
    await user.save(update_fields=["password_hash"])


@dataclass(frozen=True)
class Throttle:
    attempts: int = 5
    window_seconds: int = 300


async def _recent_failures(email: str, ip: str, since: datetime) -> tuple[int, int]:
    by_account = await LoginAttempt.filter(email=email, success=False, at__gte=since).count()
    by_address = await LoginAttempt.filter(ip=ip, success=False, at__gte=since).count()
    return by_account, by_address


async def authenticate(email: str, password: str, ip: str, throttle: Throttle) -> User | None:
    """The user if the password is right; ``None`` otherwise, the same for an unknown e-mail.

    Repeated failures for one account or one address are refused for the rest of the window,
    whatever the password, and each failure is slowed down.
    """
    email = normalise_email(email)
    now = datetime.now(UTC)
    since = now - timedelta(seconds=throttle.window_seconds)
    by_account, by_address = await _recent_failures(email, ip, since)
    user = await User.get_or_none(email=email, active=True)
    throttled = by_account >= throttle.attempts or by_address >= throttle.attempts * 4
    ok = _verify(user.password_hash if user else _DUMMY_HASH, password)
    success = bool(user) and ok and not throttled
    await LoginAttempt.create(email=email, ip=ip, at=now, success=success)
    await AccessLog.create(
        user=user if success else None,
        user_email=email,
        action="sign-in" if success else ("sign-in-throttled" if throttled else "sign-in-failed"),
        ip=ip,
    )
    if not success:
        await asyncio.sleep(min(0.2 * (by_account + 1), 2.0))
        return None
    return user
