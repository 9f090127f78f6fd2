import io
import zipfile

import httpx2
from openpyxl import load_workbook

from inspection.inspections import add_member
from inspection.models import AccessLog, Audit, Job, JobKind, Score
from inspection.web.app import create_app
from tests.export.factory import build_world
from tests.export.made import export_file
from tests.web.conftest import make_user, sign_in


async def client_for(db, world, role):
    user = await make_user(f"{role.replace('_', '')}@web.example", role)
    await add_member(world.inspection, user, role)
    client = httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=create_app(db, manage_database=False)),
        base_url="http://testserver",
    )
    return client, user


async def test_downloads_are_logged_with_the_choice(db):
    world = await build_world()
    client, user = await client_for(db, world, "qa_viewer")
    base = f"/inspections/{world.inspection.id}/exports"
    async with client:
        assert (await sign_in(client, user.email)).status_code == 303
        page = await client.get(base)
        assert page.status_code == 200
        assert f'action="{base}/workbook"' in page.text
        assert "offline-pack/make" not in page.text  # viewers cannot take packs
        response = await export_file(client, db, f"{base}/workbook", {"pseudonymise": "yes"})
        assert response.status_code == 200
        assert response.headers["content-disposition"].endswith('-pseudonymised.xlsx"')
        wb = load_workbook(io.BytesIO(response.content))
        assert wb["Sample"]["E2"].value.startswith("P-")
        response = await export_file(client, db, f"{base}/tables", {"pseudonymise": "no"})
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            assert "sample.csv" in archive.namelist()
            assert "LA001" in archive.read("sample.csv").decode("utf-8-sig")
        refused = await client.post(f"{base}/samples/{world.sample.id}/offline-pack/make")
        assert refused.status_code == 404
    logs = (
        await AccessLog.filter(user_id=user.id, action__startswith="export")
        .order_by("id")
        .values("action", "detail", "ip")
    )
    assert [(x["action"], "pseudonymised yes" in x["detail"]) for x in logs] == [
        ("export-xlsx", True),
        ("export-csv", False),
    ]
    assert all(x["ip"] for x in logs)


async def test_non_member_gets_not_found(db):
    world = await build_world()
    outsider = await make_user("out@web.example", "inspector")
    client = httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=create_app(db, manage_database=False)),
        base_url="http://testserver",
    )
    async with client:
        await sign_in(client, outsider.email)
        response = await client.post(f"/inspections/{world.inspection.id}/exports/workbook")
        assert response.status_code == 404
    assert await AccessLog.filter(action="export-xlsx").count() == 0
    assert await Job.filter(kind=JobKind.EXPORT).count() == 0


async def test_offline_pack_download_and_load(db):
    world = await build_world()
    await Audit.filter(id=world.audits[1].id).update(status="draft")
    client, user = await client_for(db, world, "lead_inspector")
    base = f"/inspections/{world.inspection.id}/exports/samples/{world.sample.id}"
    async with client:
        assert (await sign_in(client, user.email)).status_code == 303
        page = await client.get(f"/inspections/{world.inspection.id}/exports")
        assert f'action="{base}/offline-pack/make"' in page.text
        response = await export_file(client, db, f"{base}/offline-pack/make")
        assert response.status_code == 200
        wb = load_workbook(io.BytesIO(response.content))
        ws = wb["mini v1"]
        ws["F3"] = "Gd"
        out = io.BytesIO()
        wb.save(out)
        files = {"pack": ("pack.xlsx", out.getvalue(), "application/octet-stream")}
        bad = await client.post(f"{base}/offline-pack", files=files, headers={"HX-Request": "true"})
        assert bad.status_code == 400
        assert "<html" not in bad.text  # the htmx fragment only
        assert (
            '<td class="govuk-table__cell">mini v1</td><td class="govuk-table__cell">F3</td>'
            '<td class="govuk-table__cell">&#39;Gd&#39; is not a grade for Child seen; '
            "choose one of Outstanding, Good, Requires improvement to be good, "
            "Inadequate.</td>"
        ) in bad.text
        ws["F3"] = "Good"
        out = io.BytesIO()
        wb.save(out)
        files = {"pack": ("pack.xlsx", out.getvalue(), "application/octet-stream")}
        good = await client.post(f"{base}/offline-pack", files=files)
        assert good.status_code == 200
        assert "1 updated" in good.text
        assert (
            await Score.get(audit_id=world.audits[1].id, domain="child_seen").values_list(
                "grade", flat=True
            )
            == "good"
        )
        # Loading the same pack again: the audit moved on since the pack was made.
        ws["L3"] = "Changed again offline"
        out = io.BytesIO()
        wb.save(out)
        files = {"pack": ("pack.xlsx", out.getvalue(), "application/octet-stream")}
        conflict = await client.post(f"{base}/offline-pack", files=files)
        assert conflict.status_code == 409
        assert 'name="overwrite" type="checkbox" value="yes"' in conflict.text
        forced = await client.post(f"{base}/offline-pack", files=files, data={"overwrite": "yes"})
        assert forced.status_code == 200
    assert (await Audit.get(id=world.audits[1].id)).strengths == "Changed again offline"
    actions = (
        await AccessLog.filter(user_id=user.id)
        .exclude(action="sign-in")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert [a for a in actions if "pack" in a] == [
        "export-offline-pack",
        "import-offline-pack",
        "import-offline-pack",
    ]


async def test_exports_are_pseudonymised_unless_identifiable_is_chosen(db):
    world = await build_world()
    client, user = await client_for(db, world, "inspector")
    base = f"/inspections/{world.inspection.id}/exports"
    async with client:
        assert (await sign_in(client, user.email)).status_code == 303
        page = await client.get(base)
        for form in ("workbook", "csv"):
            assert (
                f'id="{form}-pseudonymised" name="pseudonymise" type="radio" value="yes" checked>'
                in page.text
            )
            assert f'id="{form}-identifiable" name="pseudonymise" type="radio" value="no">' in (
                page.text
            )
        default = await export_file(client, db, f"{base}/workbook")
        assert default.headers["content-disposition"].endswith('-pseudonymised.xlsx"')
        sheet = load_workbook(io.BytesIO(default.content))["Sample"]
        assert sheet["E2"].value.startswith("P-")
        assert "Given name" not in [c.value for c in sheet[1]]
        chosen = await export_file(client, db, f"{base}/workbook", {"pseudonymise": "no"})
        assert not chosen.headers["content-disposition"].endswith('-pseudonymised.xlsx"')
        assert load_workbook(io.BytesIO(chosen.content))["Sample"]["E2"].value == "LA001"
        zipped = await export_file(client, db, f"{base}/tables")
        with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
            sample = archive.read("sample.csv").decode("utf-8-sig")
        assert "LA001" not in sample and "Jayden" not in sample and ",P-" in sample
        zipped = await export_file(client, db, f"{base}/tables", {"pseudonymise": "no"})
        with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
            assert "LA001" in archive.read("sample.csv").decode("utf-8-sig")
    details = (
        await AccessLog.filter(user_id=user.id, action__startswith="export")
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert ["pseudonymised yes" in d for d in details] == [True, False, True, False]
