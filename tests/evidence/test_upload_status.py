"""The uploads table on the evidence page names each upload's status in words."""

from __future__ import annotations

import re

import httpx2

from inspection.models import Upload
from inspection.web.app import create_app
from tests.web.conftest import make_inspection, make_user, member, sign_in


async def test_uploads_table_tags_each_status_with_its_label(db):
    inspection = await make_inspection()
    lead = await make_user("lead@example.org", "lead_inspector")
    await member(inspection, lead)
    old = await Upload.create(
        inspection=inspection, source_kind="annex-a", filename="old.xlsx", sha256="a" * 64
    )
    new = await Upload.create(
        inspection=inspection, source_kind="annex-a", filename="new.xlsx", sha256="b" * 64
    )
    old.status, old.superseded_by = "superseded", new
    await old.save()
    app = create_app(db, manage_database=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await sign_in(client, lead.email)
        page = await client.get(f"/inspections/{inspection.id}/evidence")
        report = await client.get(f"/inspections/{inspection.id}/evidence/uploads/{old.id}")
    assert page.status_code == 200
    tags = re.findall(r'<strong class="govuk-tag (govuk-tag--\w+)">([^<]*)</strong>', page.text)
    assert tags == [("govuk-tag--green", "Loaded"), ("govuk-tag--grey", "Superseded")]
    # The report says the same in words; the fingerprint is kept out of the way, explained.
    assert report.status_code == 200
    status = re.search(
        r'Status</dt><dd class="govuk-summary-list__value">([^<]*)</dd>', report.text
    )
    assert status is not None and status.group(1) == "Superseded"
    assert "File fingerprint" not in report.text
    assert (
        "A file is recognised by its fingerprint (SHA-256, beginning aaaaaaaa…): the same file "
        "uploaded again has the same fingerprint, so it is recognised as already loaded."
    ) in report.text.replace("\n", " ")
