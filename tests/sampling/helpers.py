"""A small authority for sampling tests: children, events, a second inspection with audits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from inspection.models import Audit, Child, Event, Inspection, LocalAuthority, Rubric, Upload

REFERENCE = date(2026, 11, 2)
ETHNICITIES = ["a) WBRI", "MWBC", "AIND", "BCRB", "CHNE", "REFU", ""]
TEAMS = ["Assessment 1", "Assessment 2", "Children in care"]


async def authority(children: int = 30, code: str = "S01") -> Inspection:
    la = await LocalAuthority.create(code=code, name=f"Authority {code}")
    inspection = await Inspection.create(
        la=la, kind="ilacs-standard", title="Sampling test", reference_date=REFERENCE
    )
    upload = await Upload.create(
        inspection=inspection, source_kind="annex-a", filename="annex_a.xlsx", sha256="0" * 64
    )
    for i in range(children):
        child = await Child.create(
            inspection=inspection,
            la_child_id=f"C{i:03d}",
            dob=date(2026 - (i % 18), 1 + i % 12, 1 + i % 28),
            ethnicity=ETHNICITIES[i % len(ETHNICITIES)],
            disability="Y" if i % 5 == 0 else "N",
            team="" if i % 4 == 2 else TEAMS[i % 3],
        )
        await Event.create(
            inspection=inspection,
            child=child,
            upload=upload,
            agency="social_care",
            kind="contact",
            start=date(2026, 1 + i % 10, 10),
            team="Front door",
        )
        if i % 2 == 0:
            await Event.create(
                inspection=inspection,
                child=child,
                upload=upload,
                agency="social_care",
                kind="referral",
                start=date(2026, 6, 1 + i % 28),
                team="Late team",
            )
    return inspection


async def audited_elsewhere(
    inspection: Inspection, la_child_ids: list[str], submitted: datetime
) -> None:
    """A submitted audit of each child in another inspection of the same authority."""
    other = await Inspection.create(
        la_id=inspection.la_id,
        kind="self-audit",  # type: ignore[attr-defined]
        title="Earlier audit",
        reference_date=date(2026, 3, 1),
    )
    rubric, _ = await Rubric.get_or_create(code="t", version="1", defaults={"definition": {}})
    for la_child_id in la_child_ids:
        child = await Child.create(inspection=other, la_child_id=la_child_id)
        await Audit.create(
            inspection=other, child=child, rubric=rubric, status="submitted", submitted_at=submitted
        )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
