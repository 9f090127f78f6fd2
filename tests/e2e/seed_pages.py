"""Fill the browser tests' database with one inspection that has a page of every type.

Run as ``python -m tests.e2e.seed_pages`` with the live server's environment: the demo
authority's evidence, linked; a stratified sample; one submitted audit, one draft; a
second-marking plan; a concern. Prints the inspection's id.
"""

from __future__ import annotations

import asyncio
from datetime import date

from inspection import settings
from inspection.audit.audits import create_audit, save_audit, submit_audit
from inspection.audit.concerns import raise_concern
from inspection.audit.moderation import set_plan
from inspection.db import database
from inspection.demo import load_demo_evidence
from inspection.inspections import add_member, create_inspection
from inspection.models import SampleMember, User
from inspection.models.core import Role
from tests.audit.helpers import ALL_GOOD
from tests.web.crawl import draw_children_in_need

SEED = "5ca1ab1e" * 8


async def seed() -> int:
    config = settings.load()
    async with database(config):
        lead = await User.get(email="lead@e2e.example")
        second = await User.get(email="second@e2e.example")
        inspection = await create_inspection(
            "E2E", "ilacs-standard", "Every page", date(2026, 11, 2)
        )
        await add_member(inspection, lead, Role.LEAD_INSPECTOR)
        await add_member(inspection, second, Role.INSPECTOR)
        await load_demo_evidence(inspection, lead, config)
        sample = await draw_children_in_need(inspection.id, lead, SEED)
        members = await SampleMember.filter(sample_id=sample.id, status="selected").order_by(
            "order"
        )
        done = await create_audit(inspection.id, members[0].id, second)
        await submit_audit(inspection.id, done.id, second, Role.INSPECTOR, 1, ALL_GOOD)
        draft = await create_audit(inspection.id, members[1].id, second)
        await save_audit(
            inspection.id, draft.id, second, Role.INSPECTOR, 1, {"strengths": "Seen alone."}
        )
        await raise_concern(
            inspection.id, done.id, second, Role.INSPECTOR, "Bruising seen on a home visit."
        )
        await set_plan(inspection.id, sample.id, 0.5, True, lead)
        return inspection.id


if __name__ == "__main__":
    print(asyncio.run(seed()))
