"""Shared set-up for the evidence tests that touch the database."""

from __future__ import annotations

from datetime import date

from tortoise import Tortoise

from inspection.models import Inspection, LocalAuthority


async def make_inspection(code: str = "E01", reference: date = date(2026, 11, 2)) -> Inspection:
    la = await LocalAuthority.create(code=code, name=f"Authority {code}")
    return await Inspection.create(
        la=la, kind="ilacs-standard", title="Evidence test", reference_date=reference
    )


async def every_table_count() -> dict[str, int]:
    """Rows in every table of the data model."""
    conn = Tortoise.get_connection("default")
    counts = {}
    for model in Tortoise.apps["models"].values():
        table = model._meta.db_table
        _, rows = await conn.execute_query(f'SELECT COUNT(*) AS n FROM "{table}"')  # noqa: S608
        counts[table] = int(dict(rows[0])["n"])
    return counts
