"""Real-world mess for the Annex A workbook (``messy=True``): renamed sheets, shifted header rows,
header variants, unprefixed or free-text codes, text and serial dates, filler values, duplicates.

Every change is recorded so tests and the summary can say exactly what was done.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from inspection.synthetic.annex_a import Sheet

EXCEL_EPOCH = date(1899, 12, 30)

SHEET_NAMES = {1: "Contacts", 2: "List 2", 5: "Sec47 and ICPC", 8: "Children in Care"}
HEADER_VARIANTS: dict[int, dict[str, str]] = {
    1: {"Age of Child (Years)": "Age", "Date of Contact": "Date of Contact "},
    3: {"Date of referral": "Date of Referral", "Referral NFA?": "Referral NFA"},
    4: {
        # curly apostrophe in the template, straight one in the file
        "Was the child assessed as requiring LA children’s social care support": (
            "Was the child assessed as requiring LA children's social care support"
        )
    },
    6: {
        "Does the Child have a Disability": "Does the Child have a Disability?",
        "Case status": "Case Status",
    },
    7: {
        "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six "
        "Months (Y/N)": "Subject to Emergency Protection Order or Protected Under Police Powers "
        "in Last Six Months (Y/N))"
    },
    8: {
        "Child's Category of Need": "Child’s Category of Need",
        "Date Ceased to be Looked After ": "Date Ceased to be Looked After",
    },
}
FREE_TEXT = {
    "a) Male": ("Male", "M"),
    "b) Female": ("Female", "F"),
    "a) Yes": ("yes", "Y"),
    "b) No": ("No", "N"),
    "N1 - Abuse or neglect": ("N1 - Abuse or Neglect", "Abuse or neglect"),
    "q) 6: Police": ("Police", "6 - Police"),
    "e) 2A: Schools": ("Schools",),
    "a) Neglect": ("Neglect",),
    "b) Physical abuse": ("Physical abuse",),
    "e) PR4: Private provision": ("e) PR4 - Private provision",),
}
FILLERS = ("#N/A", "-", "..")


def _serial(day: date) -> int:
    return (day - EXCEL_EPOCH).days


def mess_up(sheets: list[Sheet], rng: random.Random) -> list[dict[str, Any]]:
    """Dirty the sheets in place; returns what was done, one entry per change."""
    notes: list[dict[str, Any]] = []
    by_number = {s.number: s for s in sheets}
    for n, name in SHEET_NAMES.items():
        notes.append({"list": n, "change": "sheet renamed", "from": by_number[n].name, "to": name})
        by_number[n].name = name
    by_number[3].blank_above_headers = True
    notes.append({"list": 3, "change": "blank row above headers"})
    by_number[4].title = None
    notes.append({"list": 4, "change": "title row removed (headers in row 1)"})
    for n, variants in HEADER_VARIANTS.items():
        sheet = by_number[n]
        for i, header in enumerate(sheet.headers):
            if header in variants:
                sheet.headers[i] = variants[header]
                notes.append(
                    {"list": n, "change": "header variant", "from": header, "to": variants[header]}
                )
    for sheet in sheets:
        if not sheet.rows:
            continue
        counts = {"free_text": 0, "text_date": 0, "serial_date": 0, "filler": 0}
        for row in sheet.rows:
            for i, value in enumerate(row):
                if i == 0 and sheet.number != 11:
                    continue  # the child id stays usable
                roll = rng.random()
                if isinstance(value, str) and value in FREE_TEXT and roll < 0.15:
                    row[i] = rng.choice(FREE_TEXT[value])
                    counts["free_text"] += 1
                elif type(value) is date and roll < 0.06:
                    row[i] = f"{value.day:02d}/{value.month:02d}/{value.year}"
                    counts["text_date"] += 1
                elif type(value) is date and roll < 0.09:
                    row[i] = _serial(value)
                    counts["serial_date"] += 1
                elif (i == 2 and roll < 0.03) or (  # ethnicity, or an empty optional cell
                    value is None and roll < 0.05 and sheet.number in (6, 8)
                ):
                    row[i] = rng.choice(FILLERS)
                    counts["filler"] += 1
        for kind, count in counts.items():
            if count:
                notes.append({"list": sheet.number, "change": kind, "cells": count})
    for n in (1, 3):
        rows = by_number[n].rows
        if not rows:
            continue
        picks = sorted(rng.sample(range(len(rows)), min(3, len(rows))), reverse=True)
        for index in picks:
            rows.insert(index + 1, list(rows[index]))
        notes.append({"list": n, "change": "duplicate rows", "rows": len(picks)})
    return notes
