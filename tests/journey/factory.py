"""Building source records and events directly, as the importer would."""

from __future__ import annotations

from datetime import date
from typing import Any

from inspection.evidence.identifiers import verdict
from inspection.evidence.rows import identifiers_of
from inspection.evidence.staged import IdentifierFacts, RecordFacts
from inspection.models import (
    Child,
    Event,
    Inspection,
    LocalAuthority,
    PersonIdentifier,
    SourceRecord,
    Upload,
)


async def inspection(code: str = "T1") -> Inspection:
    la = await LocalAuthority.create(code=code, name=f"Test {code}")
    return await Inspection.create(
        la=la, kind="jtai", title="Test", reference_date=date(2026, 11, 1)
    )


async def upload(insp: Inspection, name: str, agency: str = "") -> Upload:
    return await Upload.create(
        inspection=insp,
        source_kind="agency" if agency else "annex-a",
        agency=agency,
        filename=name,
        sha256=name,
    )


async def record(
    insp: Inspection,
    up: Upload,
    agency: str,
    person_id: str,
    given: str = "",
    family: str = "",
    dob: date | None = None,
    sex: str = "",
    postcode: str = "",
    la_child_id: str = "",
    nhs: str = "",
    upn: str = "",
    child: Child | None = None,
    identifiers: tuple[IdentifierFacts, ...] = (),
) -> SourceRecord:
    """A record, with every identifier it gives kept as the loader keeps them."""
    made = await SourceRecord.create(
        inspection=insp,
        upload=up,
        agency=agency,
        person_id=person_id,
        la_child_id=la_child_id,
        nhs_number=nhs,
        upn=upn,
        given_name=given,
        family_name=family,
        dob=dob,
        sex=sex,
        postcode=postcode,
        child=child,
    )
    facts = RecordFacts(
        agency,
        person_id,
        la_child_id=la_child_id,
        nhs_number=nhs,
        upn=upn,
        identifiers=list(identifiers),
    )
    for held in identifiers_of(facts):
        await PersonIdentifier.create(
            inspection=insp,
            upload=up,
            record=made,
            scheme=held.scheme,
            value=held.value,
            valid=verdict(held.scheme, held.value),
            valid_from=held.valid_from,
            valid_to=held.valid_to,
        )
    return made


async def event(
    insp: Inspection,
    rec: SourceRecord,
    kind: str,
    start: date,
    end: date | None = None,
    row: int = 2,
    sheet: str = "",
    attributes: dict[str, Any] | None = None,
) -> Event:
    return await Event.create(
        inspection=insp,
        child_id=rec.child_id,
        record=rec,
        upload_id=rec.upload_id,
        agency=rec.agency,
        kind=kind,
        start=start,
        end=end,
        source_sheet=sheet,
        source_row=row,
        attributes=attributes or {},
    )
