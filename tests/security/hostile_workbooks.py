"""Workbooks of a few kilobytes written part by part, as an attacker would, not by a library.

Each asks a reader for a huge grid in its own way. ``sheet`` is the worksheet's XML inside
``<sheetData>``; the first cell of each is a List 1 header, so only the trick is unusual.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/{part}"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_PACKAGE = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
    'org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="List_1" '
    'sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
    'org/officeDocument/2006/relationships/worksheet" Target="{target}"/></Relationships>'
)
HEADER = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Child Unique ID</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Date of Contact</t></is></c></row>'
)


def workbook(
    path: Path, sheet: str, part: str = "xl/worksheets/sheet1.xml", target: str | None = None
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _TYPES.format(part=part))
        archive.writestr("_rels/.rels", _PACKAGE)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr(
            "xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(target=target or f"/{part}")
        )
        archive.writestr(
            part,
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}" xmlns:x="{MAIN}">'
            f"<sheetData>{sheet}</sheetData></worksheet>",
        )
    return path


FAR = '<row r="1048576"><c {reference}><v>1</v></c></row>'

# name: (sheet XML, part, relationship target); each reaches row 1,048,576 and at least
# column 1,000, a grid of a billion cells or more.
WORKBOOKS = {
    "quoted_in_apostrophes": (HEADER + FAR.format(reference="r='XFD1048576'"), None, None),
    "spaces_around_equals": (HEADER + FAR.format(reference='r = "XFD1048576"'), None, None),
    "character_reference": (HEADER + FAR.format(reference='r="&#88;FD1048576"'), None, None),
    "sheet_stored_elsewhere": (
        HEADER + FAR.format(reference='r="XFD1048576"'),
        "xl/elsewhere/data.xml",
        "elsewhere/data.xml",
    ),
    "cells_without_references": (
        HEADER + '<row r="1048576">' + "<c><v>1</v></c>" * 1_000 + "</row>",
        None,
        None,
    ),
    "namespace_prefix": (
        HEADER + '<x:row r="1048576">' + "<x:c><x:v>1</x:v></x:c>" * 1_000 + "</x:row>",
        None,
        None,
    ),
    "reference_hidden_in_another_attribute": (
        HEADER + "<row r=\"1048576\"><c s=' r=\"A1\"' r='XFD1048576'><v>1</v></c></row>",
        None,
        None,
    ),
}
# 1,000,000 rows x 19 columns: under the 20 million cells allowed, but only 3 hold anything.
SPARSE = HEADER + '<row r="1000000"><c r="S1000000"><v>1</v></c></row>'


def opendocument(path: Path, repeated_rows: int, repeated_columns: int) -> Path:
    """An OpenDocument spreadsheet whose one row of values is repeated across the whole grid."""
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}" '
        f'xmlns:table="{table}" xmlns:text="{text}" office:version="1.2"><office:body>'
        '<office:spreadsheet><table:table table:name="List_1"><table:table-row>'
        '<table:table-cell office:value-type="string"><text:p>Child Unique ID</text:p>'
        "</table:table-cell></table:table-row>"
        f'<table:table-row table:number-rows-repeated="{repeated_rows}">'
        f'<table:table-cell table:number-columns-repeated="{repeated_columns}" '
        'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
        "</table:table-row></table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
            'names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/"'
            ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            "</manifest:manifest>",
        )
    return path
