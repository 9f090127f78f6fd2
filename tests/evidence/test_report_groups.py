"""The validation report as an inspector reads it: problems grouped by what is wrong, with
their counts, each group opening to its cells; lists named by their titles; the upload form
asks for an agency only with an agency extract."""

from __future__ import annotations

import io
import re

import httpx2
import openpyxl

from inspection.evidence.report import CELLS_SHOWN
from inspection.models import Inspection, Upload, ValidationIssue
from inspection.web.app import create_app
from tests.web.conftest import make_inspection, make_user, member, sign_in

LATE = "Date of Referral is after the reference date in List 3: Referral — 37 rows"
BLANK = "Ethnicity is blank in List 3: Referral — 2 rows"
SEX = "Gender holds a value not in its code list in List 1: Contacts — 1,500 rows"


async def _upload(inspection: Inspection) -> Upload:
    """An Annex A upload with 37 late referrals, 2 blank ethnicities and one problem repeated
    1,500 times down a column (stored once)."""
    upload = await Upload.create(
        inspection=inspection,
        source_kind="annex-a",
        filename="annex.xlsx",
        sha256="a" * 64,
        summary={
            "tables": [
                {
                    "name": "List 1",
                    "sheet": "List_1",
                    "rows": 1500,
                    "accepted": 1500,
                    "rejected": 0,
                },
                {"name": "List 3", "sheet": "Referrals", "rows": 40, "accepted": 40, "rejected": 0},
            ],
            "issues": {"error": 0, "warning": 40, "info": 0},
        },
    )

    def issue(**fields: object) -> ValidationIssue:
        return ValidationIssue(inspection_id=inspection.id, upload=upload, **fields)

    await ValidationIssue.bulk_create(
        [
            issue(
                sheet="Referrals",
                list_name="List 3",
                source_row=3 + i,
                column="Date of Referral",
                cell=f"F{3 + i}",
                value=f"{i + 1:02d}/12/2026",
                rule="after_reference_date",
                severity="warning",
                message=f"Date of Referral {i + 1:02d}/12/2026 is after the reference date.",
            )
            for i in range(37)
        ]
        + [
            issue(
                sheet="Referrals",
                list_name="List 3",
                source_row=row,
                column="Ethnicity",
                cell=f"C{row}",
                rule="missing_value",
                severity="warning",
                message="'Ethnicity' is blank; every row of List 3 should have it.",
            )
            for row in (7, 9)
        ]
        + [
            issue(
                sheet="List_1",
                list_name="List 1",
                source_row=3,
                column="Gender",
                cell="B3",
                value="X",
                rule="unknown_code",
                severity="warning",
                message="'X' is not a gender code, here and in 1,499 more rows of this column.",
                count=1500,
            )
        ]
    )
    return upload


def _summaries(html: str) -> list[str]:
    """The titles of the report's groups of problems (the details inside its issues section)."""
    issues = html[html.index('<div id="issues">') :]
    return re.findall(r'<span class="govuk-details__summary-text">([^<]+)</span>', issues)


async def _client(db) -> httpx2.AsyncClient:
    app = create_app(db, manage_database=False)
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://testserver")


async def test_problems_are_grouped_by_rule_with_counts_and_open_to_their_cells(db):
    inspection = await make_inspection()
    await member(inspection, await make_user("lead@example.org", "lead_inspector"))
    upload = await _upload(inspection)
    url = f"/inspections/{inspection.id}/evidence/uploads/{upload.id}"
    async with await _client(db) as client:
        await sign_in(client, "lead@example.org")
        page = (await client.get(url)).text
        assert _summaries(page) == [SEX, LATE, BLANK]
        assert "40 issues at 1,539 places" in page
        # Each group opens (a closed details component) to its cells: sheet, row, column,
        # cell, value; the first 20 of the 37 late referrals, then a download of them all.
        late = page[page.index(LATE) : page.index(BLANK)]
        assert "Where: the first 20 of 37" in late
        cells = re.findall(
            r'<td class="govuk-table__cell">Referrals</td>\s*'
            r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)</td>\s*'
            r'<td class="govuk-table__cell">Date of Referral</td>\s*'
            r'<td class="govuk-table__cell"><code>Referrals!(F\d+)</code></td>\s*'
            r'<td class="govuk-table__cell app-break">([^<]+)</td>',
            late,
        )
        assert len(cells) == CELLS_SHOWN == 20
        assert cells[:2] == [("3", "F3", "01/12/2026"), ("4", "F4", "02/12/2026")]
        assert "17 more not listed here." in late
        assert (
            f'href="{url}/issues.xlsx?list=List%203&amp;severity=warning'
            '&amp;rule=after_reference_date" download>Download the full list (xlsx)</a>'
        ) in late
        blank = page[page.index(BLANK) :]
        assert "more not listed here" not in blank
        assert "Where: the first" not in blank
        sex = page[page.index(SEX) : page.index(LATE)]
        assert '<strong class="govuk-tag govuk-tag--blue">1,500 places</strong>' in sex

        # Lists by their titles: the rows read, the list filter and the rule filter in words.
        assert '<td class="govuk-table__cell">List 3: Referral</td>' in page
        assert '<option value="List 1" >List 1: Contacts</option>' in page
        assert '<option value="after_reference_date" >After the reference date</option>' in page

        filtered = await client.get(url, params={"rule": "missing_value"})
        assert _summaries(filtered.text) == [BLANK]

        download = await client.get(f"{url}/issues.xlsx")
        book = openpyxl.load_workbook(io.BytesIO(download.content))
        assert book.sheetnames == ["Summary", "By rule", "Issues"]
        by_rule = [tuple(r) for r in book["By rule"].iter_rows(values_only=True)]
        assert by_rule == [
            (
                "Severity",
                "List or table",
                "Sheet",
                "Column",
                "What is wrong",
                "Rows not loaded",
                "Rows or places",
            ),
            (
                "warning",
                "List 1: Contacts",
                "List_1",
                "Gender",
                "Gender holds a value not in its code list",
                "no",
                1500,
            ),
            (
                "warning",
                "List 3: Referral",
                "Referrals",
                "Date of Referral",
                "Date of Referral is after the reference date",
                "no",
                37,
            ),
            (
                "warning",
                "List 3: Referral",
                "Referrals",
                "Ethnicity",
                "Ethnicity is blank",
                "no",
                2,
            ),
        ]
        assert book["Issues"].max_row == 41  # every issue, none cut


async def test_the_agency_field_is_revealed_only_for_an_agency_extract(db):
    inspection = await make_inspection()
    await member(inspection, await make_user("insp@example.org", "inspector"))
    async with await _client(db) as client:
        await sign_in(client, "insp@example.org")
        page = (await client.get(f"/inspections/{inspection.id}/evidence")).text
    radios = re.findall(r'<input class="govuk-radios__input"[^>]*>', page)
    assert [re.search(r'value="([^"]+)"', r).group(1) for r in radios] == [
        "annex-a",
        "cin-census",
        "ssda903",
        "agency",
    ]
    # Only the agency extract's choice controls the agency field; the field sits in its
    # conditional reveal, hidden while another kind is chosen (and shown without scripts).
    assert ["data-reveals" in r for r in radios] == [False, False, False, True]
    assert 'data-reveals="conditional-agency"' in radios[3]
    assert "checked" in radios[0]
    reveal = page.index(
        '<div class="govuk-radios__conditional govuk-radios__conditional--hidden"'
        ' id="conditional-agency">'
    )
    assert reveal < page.index('id="agency"') < page.index("</fieldset>", reveal)
    assert page.count('name="agency"') == 1
    assert (
        '<label class="govuk-label govuk-radios__label" for="source_kind">Annex A workbook</label>'
        in page
    )


async def test_the_groups_cells_are_read_in_the_same_few_queries_however_many_groups(db):
    from inspection.evidence.report import issue_report
    from tests.query_count import count_queries

    inspection = await make_inspection()
    upload = await _upload(inspection)
    with count_queries() as three_groups:
        report = await issue_report(inspection.id, upload.id, limit=0)
    assert report is not None and [len(g.cells) for g in report.groups] == [1, 20, 2]
    for n in range(30):  # thirty more groups: one problem in each of thirty more columns
        await ValidationIssue.create(
            inspection_id=inspection.id,
            upload=upload,
            severity="warning",
            rule="unknown_code",
            message="not a code",
            sheet="Referrals",
            list_name="List 3",
            source_row=5,
            column=f"Column {n}",
            cell=f"Z{n + 1}",
            value="x",
        )
    with count_queries() as many_groups:
        report = await issue_report(inspection.id, upload.id, limit=0)
    assert report is not None and len(report.groups) == 33
    assert all(len(g.cells) >= 1 for g in report.groups)
    assert many_groups.count == three_groups.count
