import io
import zipfile

from inspection.export.csv import build_csv, csv_zip, write_csv_dir
from inspection.models import AccessLog
from tests.export.factory import build_world


async def test_csv_tables_exact_text(db, tmp_path):
    world = await build_world()
    export = await build_csv(world.inspection.id, world.lead, pseudonymise=False)
    assert list(export.files) == [
        "sample.csv",
        "audits.csv",
        "scores.csv",
        "journeys.csv",
        "indicators.csv",
        "conversations.csv",
        "issues.csv",
        "actions.csv",
        "self_evaluation.csv",
    ]
    s, m = world.sample.id, [x.id for x in world.members]
    assert export.files["sample.csv"] == (
        "sample_id,purpose,method,member_id,child,given_name,family_name,dob,died,postcode,stratum,"
        "order,inclusion_probability,weight,status,replaced_by,replaced_by_child,reason,"
        "changed_by,changed_at,tracked,line_of_enquiry\r\n"
        f"{s},JTAI tracked cases,srs,{m[0]},LA001,Jayden,Smith,2015-04-03,,LS6 2AB,cin,1,0.5,2.0,"
        "selected,,,,,,,\r\n"
        f'{s},JTAI tracked cases,srs,{m[1]},LA002,"\'=HYPERLINK(""http://evil.example"",'
        '""click"")",Khan,2012-09-30,,BD1 1AA,cin,2,0.5,2.0,selected,,,,,,,\r\n'
        f"{s},JTAI tracked cases,srs,{m[2]},LA003,Maya,O'Neill,2019-01-15,,HX1 4QT,cin,3,0.5,2.0,"
        "selected,,,,,,,\r\n"
    )
    assert export.files["journeys.csv"].splitlines()[:4] == [
        "child,date,end_date,agency,what_happened,source,details",
        "LA001,2026-03-01,,Police,Police domestic abuse notification (first sign of need),"
        '"annex_a.xlsx, police.csv, row 2",',
        "LA001,2026-04-10,,Children's social care,Contact to children's social care,"
        '"annex_a.xlsx, List_1, row 3",Team: Front door; Worker: W. Jones',
        "LA001,2026-05-20,2026-09-01,Children's social care,Child in need plan started (help "
        'started),"annex_a.xlsx, List_6, row 4",',
    ]
    assert export.files["indicators.csv"].splitlines()[1] == (
        "LA001,2026-03-01,2026-05-20,80,2,2,1,0,no,0,0,0,0,,,"
    )
    assert export.files["issues.csv"].splitlines()[1] == (
        "annex_a.xlsx,List_1,List 1,7,F7,Contact source,'@SUM(A1),unknown-code,warning,"
        "Unknown contact source '@SUM(A1)',no"
    )
    a = world.audits[0].id
    assert export.files["scores.csv"].splitlines()[1] == (
        f"{a},{s},{m[0]},LA001,mini,1,first,Ann Auditor,submitted,child_seen,Child seen,Good,"
        "Evidence for child_seen: -note,,"
    )
    assert export.files["conversations.csv"] == (
        "child,held_on,who,how,said,tells_us,recorded_by,recorded_at,cited_in\r\n"
    )
    paths = write_csv_dir(export, tmp_path / "out")
    assert [p.name for p in paths] == list(export.files)
    raw = (tmp_path / "out" / "sample.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfsample_id,")
    assert raw[3:].decode("utf-8") == export.files["sample.csv"]
    with zipfile.ZipFile(io.BytesIO(csv_zip(export))) as archive:
        assert archive.namelist() == list(export.files)
        assert archive.read("issues.csv").decode("utf-8-sig") == export.files["issues.csv"]
    assert await AccessLog.filter(action="export-csv", user_id=world.lead.id).count() == 1


async def test_pseudonymised_csv(db):
    world = await build_world()
    export = await build_csv(world.inspection.id, world.lead, pseudonymise=True)
    text = "".join(export.files.values())
    for child in world.children:
        for secret in (child.la_child_id, child.family_name, child.dob.isoformat()):
            assert secret not in text
    header = export.files["sample.csv"].splitlines()[0]
    assert header.startswith("sample_id,purpose,method,member_id,child,dob,died,postcode,stratum")
