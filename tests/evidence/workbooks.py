"""Small Annex A workbooks built with openpyxl, laid out like Ofsted's template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from python_calamine import CalamineWorkbook

# Ofsted's official template (August 2019), committed with the empty templates users download.
TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "templates" / "annex_a_template_2019.xlsx"


def template_headers() -> dict[int, list[str]]:
    """Row 2 of each List_N sheet of the 2019 template, exactly as spelled there."""
    book = CalamineWorkbook.from_path(str(TEMPLATE))
    return {
        n: [str(c) for c in book.get_sheet_by_name(f"List_{n}").to_python()[1]]
        for n in range(1, 12)
    }


HEADERS = template_headers()
LIST9_CURRENT = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Does the Child have a Disability",
    "Allocated Team",
    "Allocated Worker",
    "Eligibility Category",
    "LA in Touch",
    "Type of Accommodation",
    "Suitability of Accommodation",
    "Activity Status",
    "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
    "Allocated Personal Advisor",
    "Latest Pathway Plan Review Date",
    "Latest Date of Contact",
]


def write_workbook(
    path: Path,
    lists: dict[int, list[list[Any]]],
    *,
    headers: dict[int, list[str]] | None = None,
    sheet_names: dict[int, str] | None = None,
    title: bool = True,
    blank_rows_above: int = 0,
) -> Path:
    """A workbook with one sheet per list: optional title row, headers, then ``rows``."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for number, rows in lists.items():
        sheet = book.create_sheet((sheet_names or {}).get(number, f"List_{number}"))
        for _ in range(blank_rows_above):
            sheet.append([])
        if title:
            sheet.append([f"List {number}: title"])
        sheet.append((headers or {}).get(number, HEADERS[number]))
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path
