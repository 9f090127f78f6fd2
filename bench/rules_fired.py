"""Which plausibility rules fire, and how often, on the demo authority and the messy one.

    python bench/rules_fired.py [--fixtures demo messy]

For each committed authority under ``fixtures/`` (its Annex A, CIN census, SSDA903 and five agency
extracts, as ``inspection.demo.DEMO_FILES`` names them), a fresh SQLite database is made, the
files are loaded through the importer (``inspection.evidence.load.import_file``) and linked
(``inspection.journey.linkage.link_inspection``). Then it counts, per rule of the catalogue
(``inspection/evidence/plausibility_rules_v2024.json``): the validation issues of the census
rules, and the findings of the journey rules over every child's journey
(``inspection.journey.consistency.check``). Prints one table per authority. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

from tortoise import Tortoise

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspection.demo import DEMO_FILES  # noqa: E402
from inspection.evidence.load import import_file  # noqa: E402
from inspection.evidence.plausibility import rules  # noqa: E402
from inspection.journey.build import journeys_for_inspection  # noqa: E402
from inspection.journey.consistency import check  # noqa: E402
from inspection.journey.linkage import link_inspection  # noqa: E402
from inspection.models import Child, Inspection, LocalAuthority, ValidationIssue  # noqa: E402
from inspection.settings import Settings, tortoise_config  # noqa: E402


async def fired(folder: Path, work: Path) -> tuple[int, Counter[str], Counter[str]]:
    url = f"sqlite://{work / 'rules.sqlite3'}"
    await Tortoise.init(config=tortoise_config(url))
    await Tortoise.generate_schemas()
    try:
        summary = json.loads((folder / "summary.json").read_text())
        reference = date.fromisoformat(summary.get("reference_date", "2026-11-02"))
        la = await LocalAuthority.create(code="SYN", name="Synthshire County Council")
        inspection = await Inspection.create(
            la=la, kind="ilacs-standard", title=folder.name, reference_date=reference
        )
        settings = Settings(data_dir=work, database_url=url, secret_key=os.urandom(24).hex())
        for name, kind, agency in DEMO_FILES:
            await import_file(inspection.id, folder / name, kind, agency, settings)
        await link_inspection(inspection.id)
        census_rules = {r.issue_rule: r.id for r in rules().values()}
        issues: Counter[str] = Counter()
        for rule in await ValidationIssue.filter(
            upload__inspection_id=inspection.id, rule__in=list(census_rules)
        ).values_list("rule", flat=True):
            issues[census_rules[str(rule)]] += 1
        findings: Counter[str] = Counter()
        for journey in (await journeys_for_inspection(inspection.id)).values():
            findings.update(f.rule for f in check(journey))
        children = await Child.filter(inspection_id=inspection.id).count()
        return children, issues, findings
    finally:
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", nargs="+", default=["demo", "messy"])
    args = parser.parse_args()
    for name in args.fixtures:
        with tempfile.TemporaryDirectory() as work:
            children, issues, findings = asyncio.run(fired(ROOT / "fixtures" / name, Path(work)))
        print(f"{name}: {children} children")
        print(f"  {'rule':<6} {'where':<8} {'fired':>6}  message")
        for rule in rules().values():
            count = issues[rule.id] + findings[rule.id]
            print(f"  {rule.id:<6} {rule.applies_to:<8} {count:>6}  {rule.template[:70]}")


if __name__ == "__main__":
    main()
