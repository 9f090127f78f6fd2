"""Building an inspection with a sample of children for audit tests (rows created directly)."""

from __future__ import annotations

from datetime import date

from inspection.accounts import create_user
from inspection.inspections import add_member
from inspection.models import (
    Child,
    Event,
    Inspection,
    LocalAuthority,
    Sample,
    SampleMember,
    Upload,
    User,
)

PASSWORD = "correct horse battery"
ALL_GOOD = {
    "grade:child_seen": "good",
    "grade:need_and_risk": "good",
    "grade:assessment": "good",
    "grade:help_matched": "good",
    "grade:agencies_together": "good",
    "grade:planning_review": "good",
    "grade:management_oversight": "good",
    "grade:impact": "good",
    "strengths": "Warm direct work.",
    "improvements": "Plan review.",
}


async def make_inspection(code: str = "T01", reference: date = date(2026, 11, 1)) -> Inspection:
    la = await LocalAuthority.get_or_none(code=code) or await LocalAuthority.create(
        code=code, name=f"Authority {code}"
    )
    return await Inspection.create(
        la=la, kind="self-audit", title=f"Audit round {reference}", reference_date=reference
    )


async def make_user(
    inspection: Inspection, email: str, role: str, la_contact: bool = False
) -> User:
    user = await User.get_or_none(email=email) or await create_user(
        email, email.split("@")[0], role, PASSWORD
    )
    await add_member(inspection, user, role, la_contact)
    return user


async def make_sample(
    inspection: Inspection, n: int = 30, seed: str = "abc123", weights: list[float] | None = None
) -> tuple[Sample, list[SampleMember]]:
    upload = await Upload.create(
        inspection=inspection, source_kind="annex-a", filename="a.xlsx", sha256="0" * 64
    )
    sample = await Sample.create(
        inspection=inspection,
        method="stratified",
        seed=seed,
        population_hash="h",
        population_size=n * 10,
    )
    members = []
    for i in range(n):
        child = await Child.create(
            inspection=inspection,
            la_child_id=f"C{i:03d}",
            given_name=f"Child{i}",
            family_name="Test",
            team="Team A" if i % 2 == 0 else "Team B",
        )
        await Event.create(
            inspection=inspection,
            child=child,
            upload=upload,
            agency="social_care",
            kind="referral",
            start=date(2026, 5, 1),
        )
        if i % 3 == 0:
            await Event.create(
                inspection=inspection,
                child=child,
                upload=upload,
                agency="police",
                kind="police_concern",
                start=date(2026, 4, 1),
            )
            await Event.create(
                inspection=inspection,
                child=child,
                upload=upload,
                agency="social_care",
                kind="cp_plan_start",
                start=date(2026, 6, 1),
            )
        w = weights[i] if weights else 10.0
        members.append(
            await SampleMember.create(
                inspection_id=inspection.id,
                sample=sample,
                child=child,
                population_key=f"C{i:03d}",
                stratum="cp" if i % 3 == 0 else "cin",
                inclusion_probability=1 / w,
                weight=w,
                order=i,
                status="selected",
            )
        )
    return sample, members
