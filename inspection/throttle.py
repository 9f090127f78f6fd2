"""Sign-in throttling: attempts counted per address and per account, in the database.

An attempt takes a place in its address's count, then in its account's count, for the current
window, each with one atomic statement (``INSERT … ON CONFLICT DO UPDATE … RETURNING``), before
any password is looked at. No two attempts can read the same count, whether they run in one
process or in several workers sharing the database, so in one window at most ``attempts``
attempts on an account (and ``per_address`` from an address) are ever checked; every later one
is refused, whatever its password, without being hashed. An attempt that signs in gives its
places back; a failed one keeps them until the window ends. An address already over its limit
takes no place in the account's count, so one address cannot lock out every account it names.

A window starts at the first attempt after the previous one ended and lasts
``window_seconds``. The same statement works on SQLite (writes are serialised) and
PostgreSQL (the conflicting row is locked for the statement).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from tortoise import Tortoise

_TAKE_PLACE = (
    "INSERT INTO sign_in_throttle (subject, window_started, attempts) VALUES (?, ?, 1) "
    "ON CONFLICT (subject) DO UPDATE SET "
    "attempts = CASE WHEN sign_in_throttle.window_started <= ? THEN 1 "
    "ELSE sign_in_throttle.attempts + 1 END, "
    "window_started = CASE WHEN sign_in_throttle.window_started <= ? "
    "THEN excluded.window_started ELSE sign_in_throttle.window_started END "
    "RETURNING window_started, attempts"
)
_GIVE_BACK = (
    "UPDATE sign_in_throttle SET attempts = attempts - 1 "
    "WHERE subject = ? AND window_started = ? AND attempts > 0"
)
_FORGET = "DELETE FROM sign_in_throttle WHERE window_started <= ?"


@dataclass(frozen=True)
class Throttle:
    """At most ``attempts`` checked attempts per account and ``per_address`` per address in
    any window of ``window_seconds``."""

    attempts: int = 5
    window_seconds: int = 300
    per_address: int = 20


@dataclass(frozen=True)
class Place:
    subject: str
    window_started: int
    attempts: int


@dataclass(frozen=True)
class Admission:
    """The places an attempt took; ``admitted`` when its password may be checked."""

    admitted: bool
    places: tuple[Place, ...]

    @property
    def attempts(self) -> int:
        """The attempts counted so far in the window of the last count this attempt joined."""
        return self.places[-1].attempts


def _subject(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\n{value}".encode("utf-8", "surrogatepass")).hexdigest()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _sql(statement: str) -> str:
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect != "postgres":
        return statement
    parts = statement.split("?")
    numbered = [f"{part}${i + 1}" for i, part in enumerate(parts[:-1])]
    return "".join(numbered) + parts[-1]


async def _take_place(subject: str, now: int, window_ms: int) -> Place:
    ended = now - window_ms
    rows = await Tortoise.get_connection("default").execute_query_dict(
        _sql(_TAKE_PLACE), [subject, now, ended, ended]
    )
    row = rows[0]
    return Place(subject, int(row["window_started"]), int(row["attempts"]))


async def admit(email: str, ip: str, throttle: Throttle, now_ms: int | None = None) -> Admission:
    """Count this attempt for ``ip`` and, unless the address is over its limit, for ``email``
    (already normalised); admitted when neither count is over its limit."""
    now = _now_ms() if now_ms is None else now_ms
    window = throttle.window_seconds * 1000
    address = await _take_place(_subject("address", ip), now, window)
    if address.attempts > throttle.per_address:
        return Admission(False, (address,))
    account = await _take_place(_subject("account", email), now, window)
    return Admission(account.attempts <= throttle.attempts, (address, account))


async def give_back(admission: Admission) -> None:
    """Return the places of an attempt that signed in (only within the window it joined)."""
    connection = Tortoise.get_connection("default")
    for place in admission.places:
        await connection.execute_query(_sql(_GIVE_BACK), [place.subject, place.window_started])


async def forget_ended(throttle: Throttle, now_ms: int | None = None) -> int:
    """Delete the counts whose window has ended; the number deleted."""
    now = _now_ms() if now_ms is None else now_ms
    deleted, _ = await Tortoise.get_connection("default").execute_query(
        _sql(_FORGET), [now - throttle.window_seconds * 1000]
    )
    return deleted
