"""The access log's Detail and About columns name audits, concerns and samples by the child or
purpose they concern, never by their database ids; looked up once per page, not per row."""

from __future__ import annotations

import re

from inspection.access_log import LogFilter, read_log
from inspection.audit.rubric import default_rubric
from inspection.models import AccessLog, Audit, Child, Concern, Sample
from tests.query_count import count_queries
from tests.web.conftest import make_inspection, make_user, sign_in


def _cells(html: str) -> list[list[str]]:
    body = re.search(r"<tbody.*?</tbody>", html, re.S).group(0)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


async def _entries(inspection, n: int, start: int = 0) -> tuple[Audit, Concern]:
    """``n`` children, each with an audit viewed and a concern raised about them."""
    rubric = await default_rubric()
    for i in range(start, start + n):
        child = await Child.create(
            inspection=inspection,
            la_child_id=f"{1234 + i}",
            given_name=["Amelia", "Ben", "Cara", "Dev"][i % 4],
            family_name="Brown",
        )
        audit = await Audit.create(inspection=inspection, child=child, rubric=rubric)
        concern = await Concern.create(
            inspection=inspection, child=child, audit=audit, text="Worried"
        )
        for action, object_type, object_id, detail in (
            ("view-audit", "child", str(child.id), f"audit {audit.id}"),
            ("view-concern", "child", str(child.id), f"concern {concern.id}"),
            ("raise-concern", "concern", str(concern.id), ""),
        ):
            await AccessLog.create(
                user_email="insp@example.org",
                action=action,
                inspection_id=inspection.id,
                object_type=object_type,
                object_id=object_id,
                detail=detail,
            )
    return audit, concern


async def test_details_name_the_audit_or_concern_by_its_child(app_client):
    inspection = await make_inspection("Northshire ILACS", "NTH")
    audit, concern = await _entries(inspection, 1)
    sample = await Sample.create(
        inspection=inspection,
        method="srs",
        seed="5eed",
        population_hash="ef" * 32,
        population_size=2,
        purpose="Children in need, autumn",
    )
    await AccessLog.create(
        user_email="insp@example.org",
        action="view_sample",
        inspection_id=inspection.id,
        object_type="sample",
        object_id=str(sample.id),
    )
    await AccessLog.create(
        user_email="insp@example.org",
        action="link-run",
        inspection_id=inspection.id,
        object_type="inspection",
        object_id=str(inspection.id),
        detail="records=1200&children=950&deterministic_links=200&auto_linked=40&for_review=3",
    )
    await AccessLog.create(
        user_email="insp@example.org",
        action="view-audit",
        inspection_id=inspection.id,
        object_type="child",
        object_id="",
        detail="audit 999999",
    )
    await make_user("admin@example.org", "admin")
    await sign_in(app_client, "admin@example.org")
    page = await app_client.post("/admin/access-log", data={"user": "insp"})
    assert page.status_code == 200
    rows = [row[2:5] for row in _cells(page.text)]
    assert rows == [
        ["Viewed an audit", "Northshire ILACS", "An audit since removed"],
        [
            "Ran linkage",
            "Northshire ILACS",
            "1,200 records, 950 children, 200 joined by a shared identifier, "
            "40 joined automatically by match probability, 3 pairs waiting for a decision",
        ],
        ["Viewed a sample", "Northshire ILACS: Children in need, autumn", ""],
        ["Raised a concern", "Northshire ILACS: Concern about Amelia Brown (1234)", ""],
        [
            "Viewed a concern",
            "Northshire ILACS: Amelia Brown (1234)",
            "Concern about Amelia Brown (1234)",
        ],
        [
            "Viewed an audit",
            "Northshire ILACS: Amelia Brown (1234)",
            "Audit of Amelia Brown (1234)",
        ],
    ]
    assert f"audit {audit.id}" not in page.text and f"concern {concern.id}" not in page.text
    # the entries themselves are as they were written
    assert await AccessLog.filter(detail=f"audit {audit.id}").count() == 1
    # the filters still pick entries by action
    one = await app_client.post("/admin/access-log", data={"action": "view-concern"})
    assert [row[4] for row in _cells(one.text)] == ["Concern about Amelia Brown (1234)"]
    csv_text = (await app_client.get("/admin/access-log.csv", params={"user": "insp"})).text
    assert ",Audit of Amelia Brown (1234)," in csv_text


async def test_naming_a_page_of_entries_costs_the_same_for_one_child_as_for_twenty(db):
    inspection = await make_inspection()
    await _entries(inspection, 1)
    with count_queries() as few:
        _, rows = await read_log(LogFilter())
    assert len(rows) == 3
    await _entries(inspection, 19, start=1)
    with count_queries() as many:
        _, rows = await read_log(LogFilter())
    assert len(rows) == 60
    assert rows[0]["object"] == "Concern about Dev Brown (1253)"
    assert rows[1]["detail"] == "Concern about Dev Brown (1253)"
    assert many.count == few.count
