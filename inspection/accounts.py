"""People: creating users, checking passwords (Argon2), throttling sign-in attempts."""

from __future__ import annotations

import asyncio
import os
import re

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from inspection.models import AccessLog, User
from inspection.models.columns import fits, max_length
from inspection.models.core import EMAIL_MAX_LENGTH, Role
from inspection.throttle import Throttle, admit, give_back

_hasher = PasswordHasher()
# Argon2 is deliberately slow CPU work in C, which releases the GIL: it runs in worker threads so
# the event loop keeps answering, and on at most half the cores at once so that sign-ins, even
# a flood of wrong ones, never take the whole machine. Waiting for a thread costs nothing.
_HASHING = anyio.CapacityLimiter(max(1, (os.cpu_count() or 2) // 2))
# Verified against when the e-mail is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    """An Argon2 hash of ``password`` (blocking: use ``new_password_hash`` from async code)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (blocking: use ``check_password``)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def new_password_hash(password: str) -> str:
    """``hash_password`` in a worker thread."""
    return await anyio.to_thread.run_sync(hash_password, password, limiter=_HASHING)


async def check_password(password_hash: str, password: str) -> bool:
    """``verify_password`` in a worker thread."""
    return await anyio.to_thread.run_sync(
        verify_password, password_hash, password, limiter=_HASHING
    )


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_fits(email: str) -> bool:
    """Whether ``email`` fits the e-mail columns; a longer address can be nobody's."""
    return fits(User, "email", normalise_email(email))


def email_too_long() -> str:
    """What to say when an e-mail address is longer than any account's can be."""
    return f"Enter an e-mail address of {max_length(User, 'email')} characters or fewer."


async def new_account_problems(email: str, name: str, role: str) -> dict[str, str]:
    """What is wrong with a new account's e-mail, name and role, by field (empty: nothing)."""
    problems: dict[str, str] = {}
    address = normalise_email(email)
    if not address:
        problems["email"] = "Enter the person's e-mail address"
    elif not email_fits(address):
        problems["email"] = email_too_long()
    elif not _EMAIL.match(address):
        problems["email"] = f"'{address}' is not an e-mail address: enter one like name@example.org"
    elif await User.filter(email=address).exists():
        problems["email"] = f"A user with e-mail {address} already exists"
    if not name.strip():
        problems["name"] = "Enter the person's full name"
    elif not fits(User, "name", name.strip()):
        problems["name"] = f"A name is {max_length(User, 'name')} characters at most"
    if role not in {r.value for r in Role}:
        roles = ", ".join(r.value for r in Role)
        problems["role"] = f"Unknown role '{role}': choose one of {roles}"
    return problems


async def create_user(email: str, name: str, role: str, password: str) -> User:
    problems = await new_account_problems(email, name, role)
    if problems:
        raise AccountError(next(iter(problems.values())) + ".")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    return await User.create(
        email=normalise_email(email),
        name=name.strip(),
        role=Role(role),
        password_hash=await new_password_hash(password),
    )


async def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = await new_password_hash(password)
    await user.save(update_fields=["password_hash"])


def _slowdown(attempts: int) -> float:
    """Seconds a refused attempt waits before its answer: longer as failures build up."""
    return min(0.2 * attempts, 2.0)


async def _log(user: User | None, email: str, action: str, ip: str) -> None:
    await AccessLog.create(user=user, user_email=email[:EMAIL_MAX_LENGTH], action=action, ip=ip)


async def authenticate(email: str, password: str, ip: str, throttle: Throttle) -> User | None:
    """The user if the password is right; ``None`` otherwise, the same for an unknown e-mail.

    The attempt is counted first (``inspection.throttle``): one over the limit for its account
    or its address in the window is refused, whatever the password, before any hashing. Every
    other attempt is checked against a hash, a stored one or a stand-in when the e-mail is
    unknown, so both cost the same; each failure is slowed down.
    """
    email = normalise_email(email)
    admission = await admit(email, ip, throttle)
    if not admission.admitted:
        await _log(None, email, "sign-in-throttled", ip)
        await asyncio.sleep(_slowdown(admission.attempts))
        return None
    # An e-mail longer than any stored one names nobody (and the ORM refuses to look it up).
    known = len(email) <= EMAIL_MAX_LENGTH
    user = await User.get_or_none(email=email, active=True) if known else None
    ok = await check_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is not None and ok:
        await give_back(admission)
        await _log(user, email, "sign-in", ip)
        return user
    await _log(None, email, "sign-in-failed", ip)
    await asyncio.sleep(_slowdown(admission.attempts))
    return None
