"""Pseudonymised free text hides every name and identifier of any person of the inspection and
every child's date of birth, though only what the text could hold is asked of the database.

The exported text is compared with what the scrubber makes of it given every person of the
inspection (the rule), and the ranges asked for are checked to hold every value that the
scrubber would replace, on random values and texts."""

from __future__ import annotations

import io
import random
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from inspection.export.csv import build_csv, table_csv
from inspection.export.identities import birth_date_texts, ranges, spellings_of
from inspection.export.pseudonymise import Scrubber, fold
from inspection.export.tables import Column, FreeText, Table
from inspection.export.workbook import build_workbook
from inspection.models import Audit, Child, Concern, SourceRecord, Upload
from tests.export.factory import EXPORTED_AT, build_world

# A sibling and a parent of a sampled child, neither of them sampled, as a case note names them.
NOTE = (
    "Seen with sibling Priya and mum Mary Ann BRENNAN (NHS 943 476 5919, police ref "
    "pol-77/b); Priya's birthday 21/07/2014; ÉLODIE O’Hara-Quinn visited. Annual review; "
    "Ann and Jayden."
)
SCRUBBED = (
    "Seen with sibling [name] and mum [name] [name] (NHS [id], police ref "
    "[id]); [name]'s birthday [dob]; [name] [name] visited. Annual review; "
    "[name] and [name]."
)


async def _people_outside_the_sample(world) -> None:  # type: ignore[no-untyped-def]
    """A child of the inspection not in the sample, and records of people linked to no child."""
    await Child.create(
        inspection=world.inspection,
        la_child_id="LA900",
        given_name="Priya",
        family_name="Ashworth",
        dob=date(2014, 7, 21),
    )
    upload = await Upload.create(
        inspection=world.inspection, source_kind="agency", filename="police.csv", sha256="c" * 64
    )
    for person_id, given, family, nhs in (
        ("POL-77/B", "Mary Ann", "Brennan", "943 476 5919"),
        ("POL-78", "Élodie", "O’Hara-Quinn", ""),
        ("POL-79", "Ann", "Lee", ""),
    ):
        await SourceRecord.create(
            inspection=world.inspection,
            upload=upload,
            agency="police",
            person_id=person_id,
            given_name=given,
            family_name=family,
            nhs_number=nhs,
        )


async def _by_every_person(inspection_id: int, text: str) -> str:
    """What the scrubber makes of ``text`` given every person of the inspection (the rule)."""
    hidden: dict[str, str] = {}
    children = await Child.filter(inspection_id=inspection_id)
    records = await SourceRecord.filter(inspection_id=inspection_id)
    for c in children:
        hidden[fold(c.la_child_id or "")] = "[id]"
        for written in birth_date_texts(c.dob) if c.dob else ():
            hidden[written] = "[dob]"
    for r in records:
        for value in (r.la_child_id, r.nhs_number, r.upn, r.person_id):
            if len(value) >= 3:
                hidden[fold(value)] = "[id]"
    for person in [*children, *records]:
        for name in (person.given_name, person.family_name):
            if len(name) >= 3:
                hidden[fold(name)] = "[name]"
    return Scrubber(hidden)(text)


async def test_names_of_people_outside_the_sample_are_hidden_in_a_sampled_childs_text(db):
    world = await build_world()
    await _people_outside_the_sample(world)
    await Audit.filter(id=world.audits[0].id).update(strengths=NOTE)
    await Concern.filter(inspection_id=world.inspection.id).update(text=NOTE)
    assert await _by_every_person(world.inspection.id, NOTE) == SCRUBBED

    export = await build_workbook(world.inspection.id, world.lead, now=EXPORTED_AT)
    wb = load_workbook(io.BytesIO(export.data))
    wide = [tuple(r) for r in wb["Audits (wide)"].iter_rows(values_only=True)]
    strengths = wide[0].index("Strengths")
    assert wide[1][strengths] == SCRUBBED
    concerns = [tuple(r) for r in wb["Concerns"].iter_rows(values_only=True)]
    assert concerns[1][6] == SCRUBBED
    files = (await build_csv(world.inspection.id, world.lead)).files
    assert SCRUBBED in files["audits.csv"]
    assert "Priya" not in "".join(files.values())

    # The identifiable export keeps the note as it was written.
    plain = await build_workbook(world.inspection.id, world.lead, pseudonymise=False)
    sheet = load_workbook(io.BytesIO(plain.data))["Audits (wide)"]
    assert [tuple(r) for r in sheet.iter_rows(values_only=True)][1][strengths] == NOTE


def test_a_table_not_scrubbed_cannot_be_written():
    table = Table("t", "T", "", [Column("note", "Note")], [(FreeText("Jayden"),)])
    with pytest.raises(TypeError, match="not scrubbed"):
        table_csv(table)
    with pytest.raises(ValueError, match="Cannot convert"):
        Workbook().active.append(list(table.rows[0]))


def test_every_capital_outside_ascii_is_a_spelling_of_its_lower_case():
    for point in range(0x110000):
        if 0xD800 <= point <= 0xDFFF:
            continue
        char = chr(point)
        low = char.lower()
        if len(low) == 1 and low != char and not char.isascii():
            assert char in spellings_of(low), hex(point)
    assert "Σ" in spellings_of("ς")
    assert spellings_of("a") == ("a",)
    assert spellings_of("k") == ("k", "\u212a")


def _held(value: str) -> str:
    """A value as an index holds it: ASCII letters lowered, nothing else changed."""
    return "".join(c.lower() if c.isascii() else c for c in value)


def test_the_ranges_asked_hold_every_value_the_text_holds():
    rng = random.Random(14)
    alphabet = "abkKéÉΣσςİi1_ -'’./:(\u212a"
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        spelled = "".join(
            rng.choice([c, c.upper(), c.lower()]) if len(c.upper()) == 1 else c for c in value
        )
        filler = ["x", " ", "a", "-", "k", "é"]
        text = "".join(rng.choice(filler) for _ in range(rng.randint(0, 3)))
        text += spelled + "".join(rng.choice(filler) for _ in range(rng.randint(0, 3)))
        if Scrubber({fold(value): "[x]"})(text) == text:
            continue
        held = _held(value)
        assert any(lo <= held < hi for lo, hi in ranges([text])), (value, text)
