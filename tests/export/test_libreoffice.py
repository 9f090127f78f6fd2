"""The workbook opens in LibreOffice without repair: convert it headless and read it back.

Needs the Debian package ``libreoffice-calc-nogui`` (``soffice``); skipped when it is absent.
"""

import csv
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from inspection.export.offline import build_offline_pack
from inspection.export.workbook import build_workbook
from tests.export.factory import EXPORTED_AT, HYPERLINK, build_world

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"
)


def convert(src, out_dir, target):
    result = subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{out_dir}/profile",
            "--convert-to",
            target,
            "--outdir",
            str(out_dir / "converted"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


async def test_workbook_survives_libreoffice(db, tmp_path):
    world = await build_world()
    export = await build_workbook(
        world.inspection.id, world.lead, pseudonymise=False, now=EXPORTED_AT
    )
    src = tmp_path / "export.xlsx"
    src.write_bytes(export.data)
    convert(src, tmp_path, "xlsx")
    back = load_workbook(tmp_path / "converted" / "export.xlsx")
    assert back.sheetnames == load_workbook(src).sheetnames
    sample = back["Sample"]
    assert sample["E2"].value == "LA001"
    assert sample["F3"].value == "'" + HYPERLINK  # still text after LibreOffice read it
    assert sample["F3"].data_type == "s"
    assert sample["H2"].value.year == 2015 and sample["H2"].is_date
    assert back["Audits"]["L5"].value == "Inadequate"
    # And the Sample sheet (the fifth, after About, Judgement, Summary, By area) as CSV.
    convert(
        src, tmp_path, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,5"
    )
    text = (tmp_path / "converted" / "export-Sample.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0][:5] == ["Sample", "Purpose", "Method", "Member", "Child"]
    assert rows[2][4:7] == ["LA002", "'" + HYPERLINK, "Khan"]
    assert rows[1][7] == "03/04/2015"


async def test_offline_pack_survives_libreoffice(db, tmp_path):
    world = await build_world()
    pack = await build_offline_pack(
        world.inspection.id, world.sample.id, world.auditor, now=EXPORTED_AT
    )
    src = tmp_path / "pack.xlsx"
    src.write_bytes(pack.data)
    convert(src, tmp_path, "xlsx")
    back = load_workbook(tmp_path / "converted" / "pack.xlsx")
    assert "_pack" in back.sheetnames
    assert back["mini v1"]["B2"].value == "LA001"
