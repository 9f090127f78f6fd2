"""Times as people in England read them: stored in UTC, shown in UK time (GMT or BST).

Every timestamp the service stores is UTC; a person reading a page, an export or the access
log sees the time on their own clock. A naive timestamp (SQLite returns some without their
zone) is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def in_uk(value: datetime) -> datetime:
    """``value`` on the UK's clock."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UK)


def uk_datetime(value: datetime, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return in_uk(value).strftime(fmt)
