import asyncio
import io
import re

import httpx2
import openpyxl

from inspection.models import AccessLog
from inspection.web.app import create_app
from tests.evidence.workbooks import write_workbook
from tests.web.conftest import make_inspection, make_user, member, sign_in

ROWS = {
    1: [
        ["C1", "M", "WBRI", "01/01/2015", 11, "01/10/2026", "6"],
        ["", "F", "WBRI", "01/01/2016", 10, "02/10/2026", "Police"],
        ["C3", "F", "WBRI", "01/01/2016", 10, "03/10/2026", "Neighbour"],
    ],
    3: [["C1", "M", "WBRI", "01/01/2015", 11, "02/10/2026", "6", "maybe", 1, "T", "W"]],
}


def _wheres(html: str) -> list[str]:
    return re.findall(r"<td class=\"govuk-table__cell\"><code>([^<]+)</code>", html)


async def _poll(client, url):
    for _ in range(200):
        status = await client.get(url, headers={"HX-Request": "true"})
        if "hx-trigger" not in status.text:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError("the import never finished")


async def _client(db):
    app = create_app(db, manage_database=False)
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://testserver")


async def test_upload_progress_report_filter_and_xlsx_download(db, tmp_path):
    inspection = await make_inspection()
    user = await make_user("lead@example.org", "lead_inspector")
    await member(inspection, user)
    path = write_workbook(tmp_path / "annex.xlsx", ROWS)
    async with await _client(db) as client:
        assert (await sign_in(client, "lead@example.org")).status_code == 303
        base = f"/inspections/{inspection.id}/evidence"
        page = await client.get(base)
        assert page.status_code == 200 and "Upload and check" in page.text
        response = await client.post(
            base,
            headers={"HX-Request": "true"},
            data={"source_kind": "annex-a", "agency": ""},
            files={"file": ("annex.xlsx", path.read_bytes(), "application/octet-stream")},
        )
        assert response.status_code == 200
        assert "<html" not in response.text  # the fragment only
        assert 'hx-trigger="load delay:500ms"' in response.text
        assert 'hx-swap="outerHTML"' in response.text
        poll = re.search(r'hx-get="([^"]+/jobs/[^"]+)"', response.text).group(1)
        status = await _poll(client, poll)
        assert "annex.xlsx loaded" in status.text, status.text
        upload_id = int(re.search(r"/uploads/(\d+)", status.text).group(1))

        report = await client.get(f"{base}/uploads/{upload_id}")
        assert "<html" in report.text
        assert _wheres(report.text) == ["List_1!A4", "List_1!G5", "List_3!H3"]
        assert "3 issues." in report.text
        filtered = await client.get(
            f"{base}/uploads/{upload_id}",
            params={"list": "List 1", "severity": "warning"},
            headers={"HX-Request": "true"},
        )
        assert filtered.text.startswith('<div id="issues">')
        assert filtered.headers["vary"] == "HX-Request"
        assert _wheres(filtered.text) == ["List_1!G5"]
        by_rule = await client.get(
            f"{base}/uploads/{upload_id}", params={"rule": "missing_identifier"}
        )
        assert _wheres(by_rule.text) == ["List_1!A4"]

        download = await client.get(
            f"{base}/uploads/{upload_id}/issues.xlsx", params={"severity": "warning"}
        )
        assert download.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(download.content))
        rows = [list(r) for r in book["Issues"].iter_rows(values_only=True)]
        assert rows[0] == [
            "Severity",
            "List",
            "Sheet",
            "Row",
            "Column",
            "Cell",
            "Where",
            "Value",
            "Rule",
            "Row rejected",
            "Message",
            "Places",
        ]
        assert [r[:10] for r in rows[1:]] == [
            [
                "warning",
                "List 1",
                "List_1",
                5,
                "Contact Source",
                "G5",
                "List_1!G5",
                "Neighbour",
                "unknown_code",
                "no",
            ],
            [
                "warning",
                "List 3",
                "List_3",
                3,
                "Referral NFA?",
                "H3",
                "List_3!H3",
                "maybe",
                "unknown_code",
                "no",
            ],
        ]
        summary = [list(r) for r in book["Summary"].iter_rows(values_only=True)]
        assert summary[6:] == [
            ["List 1", "List_1", 2, 3, 2, 1, 1, 1, 0],
            ["List 3", "List_3", 2, 1, 1, 0, 0, 1, 0],
        ]
        actions = sorted(
            await AccessLog.filter(inspection_id=inspection.id).values_list("action", flat=True)
        )
        assert actions == [
            "export-validation-report",
            "view-validation-report",
            "view-validation-report",
            "view-validation-report",
        ]

        template = await client.get(f"{base}/templates/agency_police.csv")
        assert template.text.startswith("record_id,person_id,nhs_number,upn,la_child_id")
        page = (await client.get(base)).text
        assert (
            f'<a class="govuk-link" href="{base}/templates/ssda903_episodes.csv" download>'
            "ssda903_episodes.csv</a> (Episodes)" in page
        )
        episodes = await client.get(f"{base}/templates/ssda903_episodes.csv")
        assert episodes.status_code == 200
        assert episodes.text == (
            "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
            "PL_POST,URN\n"
        )
        assert (await client.get(f"{base}/templates/ssda903_nothing.csv")).status_code == 404


async def test_bad_file_upload_shows_why_nothing_was_loaded(db, tmp_path):
    inspection = await make_inspection()
    user = await make_user("insp@example.org", "inspector")
    await member(inspection, user)
    async with await _client(db) as client:
        await sign_in(client, "insp@example.org")
        base = f"/inspections/{inspection.id}/evidence"
        response = await client.post(
            base,
            headers={"HX-Request": "true"},
            data={"source_kind": "annex-a"},
            files={"file": ("notes.xlsx", b"hello", "application/octet-stream")},
        )
        poll = re.search(r'hx-get="([^"]+/jobs/[^"]+)"', response.text).group(1)
        status = await _poll(client, poll)
        assert "notes.xlsx was not loaded" in status.text
        assert "Nothing was loaded: notes.xlsx is not a spreadsheet" in status.text


async def test_readers_cannot_upload_and_strangers_see_nothing(db):
    inspection = await make_inspection()
    reader = await make_user("viewer@example.org", "qa_viewer")
    await member(inspection, reader)
    await make_user("stranger@example.org", "inspector")
    async with await _client(db) as client:
        await sign_in(client, "viewer@example.org")
        page = await client.get(f"/inspections/{inspection.id}/evidence")
        assert page.status_code == 200 and "Upload and check" not in page.text
        refused = await client.post(
            f"/inspections/{inspection.id}/evidence", data={"source_kind": "annex-a"}
        )
        assert refused.status_code == 404
    async with await _client(db) as client:
        await sign_in(client, "stranger@example.org")
        assert (await client.get(f"/inspections/{inspection.id}/evidence")).status_code == 404


async def test_an_ssda903_return_is_uploaded_as_a_zip_and_its_problems_named_by_file_and_row(
    db, tmp_path
):
    from tests.evidence.test_ssda903 import GOOD, write_zip

    inspection = await make_inspection()
    await member(inspection, await make_user("lead@example.org", "lead_inspector"))
    tables = {**GOOD, "Reviews": [["100001", "03/04/2012", "", "PN1"]]}
    path = write_zip(tmp_path / "ssda903.zip", tables)
    async with await _client(db) as client:
        await sign_in(client, "lead@example.org")
        base = f"/inspections/{inspection.id}/evidence"
        page = (await client.get(base)).text
        assert "SSDA903 children looked after return" in page
        response = await client.post(
            base,
            headers={"HX-Request": "true"},
            data={"source_kind": "ssda903", "agency": ""},
            files={"file": ("ssda903.zip", path.read_bytes(), "application/zip")},
        )
        poll = re.search(r'hx-get="([^"]+/jobs/[^"]+)"', response.text).group(1)
        status = await _poll(client, poll)
        assert "ssda903.zip loaded" in status.text, status.text
        upload_id = int(re.search(r"/uploads/(\d+)", status.text).group(1))
        report = await client.get(f"{base}/uploads/{upload_id}")
        assert _wheres(report.text) == ["reviews.csv row 2"]
        assert "The review has no date (REVIEW); the row was not loaded." in report.text
