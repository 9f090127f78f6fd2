"""A constructed example of the authority's audits beside the inspectors' (three children
compared), used by the page and workbook test and, run as ``python -m
tests.audit.authority_example`` against ``INSPECTION_DATABASE_URL``, by the command-line test
(it prints the inspection's id).

The child seen, heard and understood: the authority graded Good, Good, Outstanding; the
inspectors Good, Requires improvement, Inadequate. One the same, two within one grade, the
authority better twice; quadratic kappa by hand: observed disagreement (0 + 1/9 + 1) / 3 =
10/27, expected 8/27, kappa 1 - 10/8 = -0.25. Every other domain is Good on both sides, and so
is every overall judgement. A fourth child has the authority's audit only, a fifth a draft
inspectors' audit: neither is compared.
"""

from __future__ import annotations

import asyncio

from inspection.audit.audits import create_audit, submit_audit
from inspection.audit.multi_agency import start_authority_audit
from inspection.db import database
from inspection.models import Inspection
from inspection.models.core import Role
from inspection.settings import load
from tests.audit.helpers import ALL_GOOD, make_inspection, make_sample, make_user

AUTHORITY = ["good", "good", "outstanding"]
INSPECTORS = ["good", "requires_improvement", "inadequate"]


def _values(grade: str) -> dict[str, str]:
    return {**ALL_GOOD, "grade:child_seen": grade, "evidence:child_seen": "Seen at home."}


async def build() -> Inspection:
    inspection = await make_inspection("T09")
    inspection.title = "Joint inspection"
    await inspection.save()
    _, members = await make_sample(inspection, n=5)
    la = await make_user(inspection, "la@x.test", "la_auditor")
    inspector = await make_user(inspection, "in@x.test", "inspector")
    await make_user(inspection, "lead@x.test", "lead_inspector")
    for i, member in enumerate(members[:4]):
        audit = await start_authority_audit(inspection.id, member.id, la)
        grade = AUTHORITY[i] if i < 3 else "inadequate"
        await submit_audit(inspection.id, audit.id, la, Role.LA_AUDITOR, 1, _values(grade))
    for i, member in enumerate(members[:3]):
        audit = await create_audit(inspection.id, member.id, inspector)
        await submit_audit(
            inspection.id, audit.id, inspector, Role.INSPECTOR, 1, _values(INSPECTORS[i])
        )
    await create_audit(inspection.id, members[4].id, inspector)
    return inspection


async def main() -> None:
    async with database(load()):
        print((await build()).id)


if __name__ == "__main__":
    asyncio.run(main())
