"""Every export and pack import is written to the access log: who, what, when, pseudonymised.

An export made by a job (``inspection.export.stored``) is logged when its file is taken (the
download, or the command line writing it out), with the entry its builder wrote down
(``ExportEntry``): the same row as an export made and taken at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from inspection.models import AccessLog, User


@dataclass(frozen=True)
class ExportEntry:
    """What the access log says of one export: the action, its object and the detail."""

    action: str
    object_type: str
    object_id: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ExportEntry:
        return cls(
            str(doc["action"]), str(doc["object_type"]), str(doc["object_id"]), str(doc["detail"])
        )

    async def log(self, inspection_id: int, user: User | None, ip: str = "") -> None:
        await log_export(
            self.action, inspection_id, user, self.object_type, self.object_id, self.detail, ip
        )


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
