"""Every export and pack import is written to the access log: who, what, when, pseudonymised."""

from __future__ import annotations

from inspection.models import AccessLog, User


async def log_export(
    action: str,
    inspection_id: int,
    user: User | None,
    object_type: str,
    object_id: str,
    detail: str,
    ip: str = "",
) -> None:
    await AccessLog.create(
        user=user,
        user_email=user.email if user else "",
        inspection_id=inspection_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail[:500],
        ip=ip,
    )
