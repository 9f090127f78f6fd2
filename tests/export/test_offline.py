import io

from openpyxl import load_workbook

from inspection.audit.audits import save_audit
from inspection.export.offline import build_offline_pack, import_offline_pack
from inspection.models import AccessLog, Audit, Sample, Score
from inspection.models.core import Role
from tests.export.factory import EXPORTED_AT, build_world


async def draft_world():
    """The test world with member 2's audit back in draft and a draft started for member 3."""
    world = await build_world()
    await Audit.filter(id=world.audits[1].id).update(status="draft")
    third = await Audit.create(
        inspection=world.inspection,
        member=world.members[2],
        child_id=world.members[2].child_id,
        auditor=world.auditor,
        rubric=world.rubric,
    )
    return world, third


async def make_pack(world):
    pack = await build_offline_pack(
        world.inspection.id, world.sample.id, world.auditor, now=EXPORTED_AT, pack_id="pack1"
    )
    return load_workbook(io.BytesIO(pack.data))


def to_bytes(wb):
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def scores_of(audit_id):
    return sorted(await Score.filter(audit_id=audit_id).values_list("domain", "grade", "evidence"))


async def test_pack_layout(db):
    world, third = await draft_world()
    wb = await make_pack(world)
    assert wb.sheetnames == ["Instructions", "_pack", "mini v1", "Conversations"]
    assert wb["_pack"].sheet_state == "veryHidden"
    ws = wb["mini v1"]
    assert [c.value for c in ws[1]] == [
        "Member",
        "Child",
        "Name",
        "Stratum",
        "Audit status",
        "Child seen: grade",
        "Child seen: evidence",
        "Impact: grade",
        "Impact: evidence",
        "Overall judgement",
        "Reason for changing the overall judgement",
        "Strengths",
        "What would make it better",
        "Themes (separate with commas)",
    ]
    assert [c.value for c in ws[3]][:10] == [
        world.members[1].id,
        "LA002",
        '=HYPERLINK("http://evil.example","click") Khan',
        "cin",
        "draft",
        "Requires improvement to be good",
        "Evidence for child_seen: -note",
        "Inadequate",
        "Evidence for impact: -note",
        "Inadequate",
    ]
    assert ws["C3"].data_type == "s"  # text, never a formula
    assert [c.value for c in ws[4]][:6] == [
        world.members[2].id,
        "LA003",
        "Maya O'Neill",
        "cin",
        "draft",
        None,
    ]
    assert [(str(d.sqref), d.formula1) for d in ws.data_validations.dataValidation] == [
        ("F2:F4", '"Outstanding,Good,Requires improvement to be good,Inadequate"'),
        ("H2:H4", '"Outstanding,Good,Requires improvement to be good,Inadequate"'),
        ("J2:J4", '"Outstanding,Good,Requires improvement to be good,Inadequate"'),
    ]
    assert (
        await AccessLog.filter(
            action="export-offline-pack", object_id=str(world.sample.id), user_id=world.auditor.id
        ).count()
        == 1
    )


async def test_round_trip_saves_changed_rows_only(db):
    world, third = await draft_world()
    wb = await make_pack(world)
    ws = wb["mini v1"]
    ws["F4"], ws["G4"] = "Good", "Seen alone twice; -2 visits missed in May"
    ws["H4"], ws["I4"] = "inadequate", "=no change for Maya"
    ws["L4"], ws["M4"], ws["N4"] = "Voice recorded", "Act on drift", "Neglect, drift"
    result = await import_offline_pack(
        world.inspection.id, to_bytes(wb), world.auditor, Role.INSPECTOR, sample_id=world.sample.id
    )
    assert result.problems == [] and result.conflicts == []
    assert (result.saved, result.created, result.updated, result.unchanged) == (True, 0, 1, 2)
    assert await scores_of(third.id) == [
        ("child_seen", "good", "Seen alone twice; -2 visits missed in May"),
        ("impact", "inadequate", "=no change for Maya"),
    ]
    saved = await Audit.get(id=third.id)
    assert (saved.version, saved.status, saved.strengths, saved.themes) == (
        2,
        "draft",
        "Voice recorded",
        ["neglect", "drift"],
    )
    assert saved.proposed_overall == "inadequate"
    untouched = await Audit.get(id=world.audits[1].id)
    assert untouched.version == 1
    log = await AccessLog.get(action="import-offline-pack")
    assert log.detail == "pack pack1; created 0; updated 1; unchanged 2; overwrite no"


async def test_every_bad_cell_reported_and_nothing_written(db):
    world, third = await draft_world()
    wb = await make_pack(world)
    ws = wb["mini v1"]
    ws["F4"] = "Gd"
    ws["H4"] = "Inadequate"  # evidence I4 left blank
    ws["F3"] = "Not applicable"  # Child seen always applies
    ws["J4"] = "Brilliant"
    ws.append([999, "LA999", "", "", "", "Good"])
    ws.append([world.members[2].id, "LA003", "", "", "", "Good"])
    ws.append(["x7"])
    result = await import_offline_pack(
        world.inspection.id, to_bytes(wb), world.auditor, Role.INSPECTOR
    )
    assert [str(p) for p in result.problems] == [
        "Sheet 'mini v1' cell F3: Child seen always applies, so 'Not applicable' cannot be chosen.",
        "Sheet 'mini v1' cell F4: 'Gd' is not a grade for Child seen; choose one of "
        "Outstanding, Good, Requires improvement to be good, Inadequate.",
        "Sheet 'mini v1' cell I4: write the evidence for Impact: the rubric requires it for "
        "Inadequate.",
        "Sheet 'mini v1' cell J4: 'Brilliant' is not an overall judgement; choose one of "
        "Outstanding, Good, Requires improvement to be good, Inadequate.",
        f"Sheet 'mini v1' cell A5: member 999 is not in sample {world.sample.id}.",
        f"Sheet 'mini v1' cell A6: member {world.members[2].id} appears twice (also in row 4).",
        "Sheet 'mini v1' cell A7: 'x7' is not a member number.",
    ]
    assert result.saved is False
    assert await scores_of(third.id) == []
    assert (await Audit.get(id=world.audits[1].id)).version == 1
    assert await AccessLog.filter(action="import-offline-pack").count() == 0


async def test_pack_for_another_sample_inspection_or_rubric_version(db):
    world, third = await draft_world()
    wb = await make_pack(world)
    data = to_bytes(wb)
    other = await Sample.create(
        inspection=world.inspection, method="srs", seed="1", population_hash="0", population_size=1
    )
    result = await import_offline_pack(
        world.inspection.id, data, world.auditor, Role.INSPECTOR, sample_id=other.id
    )
    assert [str(p) for p in result.problems] == [
        f"This pack is for sample {world.sample.id}, not sample {other.id}."
    ]
    result = await import_offline_pack(world.inspection.id + 1, data, world.auditor, Role.INSPECTOR)
    assert [str(p) for p in result.problems] == [
        f"This pack was made for inspection {world.inspection.id}, not inspection "
        f"{world.inspection.id + 1}."
    ]
    wb["mini v1"]["H1"] = "Impact on the child: grade"
    result = await import_offline_pack(
        world.inspection.id, to_bytes(wb), world.auditor, Role.INSPECTOR
    )
    assert [str(p) for p in result.problems] == [
        "Sheet 'mini v1' cell H1: expected the heading 'Impact: grade', found 'Impact on the "
        "child: grade': this sheet does not match rubric mini version 1."
    ]
    result = await import_offline_pack(
        world.inspection.id, b"not a workbook", world.auditor, Role.INSPECTOR
    )
    assert [str(p) for p in result.problems] == [
        "The pack is not an Excel workbook (.xlsx). Load the offline audit pack as it was saved."
    ]


async def test_audit_changed_online_is_not_overwritten_without_the_choice(db):
    world, third = await draft_world()
    wb = await make_pack(world)
    await save_audit(
        world.inspection.id,
        third.id,
        world.auditor,
        Role.INSPECTOR,
        1,
        {"grade:child_seen": "outstanding", "grade:impact": "good"},
    )
    ws = wb["mini v1"]
    ws["F4"], ws["H4"] = "Good", "Good"
    data = to_bytes(wb)
    result = await import_offline_pack(world.inspection.id, data, world.auditor, Role.INSPECTOR)
    assert result.saved is False
    assert [str(c) for c in result.conflicts] == [
        f"Sheet 'mini v1' cell A4: audit {third.id} of member {world.members[2].id} was at "
        "version 1 when the pack was made and has since been saved online (now version 2)."
    ]
    assert await scores_of(third.id) == [("child_seen", "outstanding", ""), ("impact", "good", "")]
    result = await import_offline_pack(
        world.inspection.id, data, world.auditor, Role.INSPECTOR, overwrite=True
    )
    assert result.saved is True and result.updated == 1
    assert await scores_of(third.id) == [("child_seen", "good", ""), ("impact", "good", "")]
    assert (await Audit.get(id=third.id)).version == 3


async def test_submitted_audit_cannot_be_changed_from_a_pack(db):
    world, third = await draft_world()
    wb = await make_pack(world)
    wb["mini v1"]["L2"] = "Changed offline"
    result = await import_offline_pack(
        world.inspection.id, to_bytes(wb), world.auditor, Role.INSPECTOR
    )
    assert [str(p) for p in result.problems] == [
        f"Sheet 'mini v1' cell A2: member {world.members[0].id}'s audit is submitted and can no "
        "longer be changed."
    ]


async def test_member_without_an_audit_gets_one(db):
    world = await build_world()
    await Audit.filter(id=world.audits[1].id).update(status="draft")
    pack = await build_offline_pack(
        world.inspection.id, world.sample.id, world.auditor, now=EXPORTED_AT
    )
    wb = load_workbook(io.BytesIO(pack.data))
    # member 3 has no audit yet: it goes on the default rubric's sheet
    assert wb.sheetnames == ["Instructions", "_pack", "child_help v2", "mini v1", "Conversations"]
    ws = wb["child_help v2"]
    assert ws["A2"].value == world.members[2].id
    ws["F2"] = "Good"
    result = await import_offline_pack(
        world.inspection.id, to_bytes(wb), world.auditor, Role.INSPECTOR
    )
    assert result.problems == [] and (result.created, result.updated) == (1, 0)
    audit = await Audit.get(member_id=world.members[2].id, marking="first")
    assert (audit.auditor_id, audit.version) == (world.auditor.id, 2)
    assert ("child_seen", "good", "") in await scores_of(audit.id)
