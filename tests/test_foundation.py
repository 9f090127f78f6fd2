from inspection.models import Child, Inspection, LocalAuthority


async def test_models_roundtrip(db):
    la = await LocalAuthority.create(code="X1", name="X")
    from datetime import date

    insp = await Inspection.create(la=la, kind="jtai", title="t", reference_date=date(2026, 1, 1))
    await Child.create(inspection=insp, la_child_id="A1")
    assert await Child.filter(inspection_id=insp.id).count() == 1
