"""The synthetic local authority: children with true journeys, and the files an inspection
receives about them (Annex A, CIN census, the SSDA903 children looked after return,
partner-agency extracts) plus the answer key.

``generate`` is deterministic per seed: the same seed writes byte-identical files.
See docs/synthetic.md.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

from inspection.synthetic.agencies import AgencyExtracts
from inspection.synthetic.annex_a import AnnexLists, write_workbook
from inspection.synthetic.cin_census import CinCensusWriter
from inspection.synthetic.journeys import Journey, Staff, Storyteller, Window
from inspection.synthetic.mess import mess_up
from inspection.synthetic.noise import NOISE, Noise
from inspection.synthetic.population import Population
from inspection.synthetic.ssda903 import FILENAME as SSDA903_FILE
from inspection.synthetic.ssda903 import Ssda903Writer
from inspection.synthetic.truth import TruthWriter, events, first_need

__all__ = ["generate", "LA_NAME", "FILES", "NOISE", "Noise"]

LA_NAME = "Synthshire County Council"
FILES = (
    "annex_a.xlsx",
    "police.csv",
    "health.csv",
    "education.csv",
    "early_help.csv",
    "social_care.csv",
    "cin_census.xml",
    SSDA903_FILE,
    "truth.json",
)
LA_FAMILY_SHARE = 0.62


def generate(
    children: int,
    seed: int,
    out_dir: Path,
    reference_date: date = date(2026, 11, 2),
    messy: bool = False,
    noise: Noise | str = "basic",
) -> dict[str, Any]:
    """Write the synthetic authority's files for ``children`` children into ``out_dir``;
    ``noise`` is a name in ``NOISE`` or a ``Noise`` of one's own (how untidy agencies'
    records are)."""
    if children < 1:
        raise ValueError("children must be at least 1")
    if isinstance(noise, str):
        if noise not in NOISE:
            raise ValueError(f"noise must be one of {', '.join(NOISE)}")
        noise_name, rates = noise, NOISE[noise]
    else:
        noise_name, rates = "custom", noise
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    window = Window.before(reference_date)
    staff = Staff.hire(rng)
    teller = Storyteller(rng, window, staff)
    population = Population(rng, reference_date, rates.twin_share)
    extracts = AgencyExtracts(
        random.Random(f"{seed}:agencies"), rates, random.Random(f"{seed}:noise"), reference_date
    )
    annex = AnnexLists(random.Random(f"{seed}:annex"), window, staff)
    stats = {
        "la_children": 0,
        "partner_only_children": 0,
        "care_leavers": 0,
        "twins": 0,
        "lookalikes": 0,
        "sibling_groups": 0,
        "events": 0,
    }
    meta = {
        "generator": "inspection.synthetic",
        "seed": seed,
        "children_requested": children,
        "reference_date": reference_date.isoformat(),
        "local_authority": LA_NAME,
        "annex_a_window": {"start": window.start.isoformat(), "end": reference_date.isoformat()},
        "adoption_window_start": window.year_start.isoformat(),
    }
    if noise_name != "basic":
        meta["noise"] = {"name": noise_name, **rates.as_dict()}
    made = 0
    with (
        open(out_dir / "cin_census.xml", "w", encoding="utf-8", newline="\n") as cin_fh,
        open(out_dir / "truth.json", "w", encoding="utf-8", newline="\n") as truth_fh,
    ):
        cin = CinCensusWriter(cin_fh, reference_date)
        care = Ssda903Writer(reference_date)
        truth = TruthWriter(truth_fh, meta)
        while made < children:
            kind, kids = population.family(children - made)
            made += len(kids)
            journeys = [Journey(p) for p in kids]
            if kind == "care_leaver":
                teller.care_leaver(journeys[0])
                stats["care_leavers"] += 1
            elif rng.random() < LA_FAMILY_SHARE:
                teller.la_family(journeys)
            else:
                teller.partner_only(journeys)
            stats["lookalikes"] += kind == "lookalike"
            stats["sibling_groups"] += len(kids) > 1
            for j in journeys:
                if not j.known_to_la and not j.partner:
                    teller.random_signal(j)
                    if not j.partner:
                        teller.partner(
                            j,
                            "health",
                            "gp_concern",
                            j.person.dob,
                            details="New birth visit concern",
                        )
                if j.known_to_la:
                    j.person.la_child_id = population.la_child_id()
                    stats["la_children"] += 1
                else:
                    stats["partner_only_children"] += 1
                stats["twins"] += j.person.twin
                evs = events(j, window)
                if first_need(evs) is None:  # help always follows someone noticing a need
                    teller.need_before(j, evs[0][0])
                    evs = events(j, window)
                stats["events"] += len(evs)
                extracts.add(j)
                annex.add(j, evs)
                cin.child(j)
                care.child(j)
                truth.child(j, evs)
        cin.close()
        truth.close()
    annex.prospective_adopters(max(1, annex.adopter_family // 2))
    files: dict[str, int] = extracts.write(out_dir)
    sheets = annex.sheets()
    mess: list[dict[str, Any]] = []
    if messy:
        mess = mess_up(sheets, random.Random(f"{seed}:mess"))
    write_workbook(out_dir / "annex_a.xlsx", sheets, reference_date, LA_NAME)
    files["cin_census.xml"] = cin.count
    files[SSDA903_FILE] = care.children
    care.write(out_dir)
    files["truth.json"] = made
    return {
        "children": made,
        "seed": seed,
        "reference_date": reference_date.isoformat(),
        "out_dir": str(out_dir),
        "messy": messy,
        **({} if noise_name == "basic" else {"noise": {"name": noise_name, **rates.as_dict()}}),
        **({"untidy": extracts.counts} if rates.touches_records() else {}),
        "files": files,
        "annex_a": {s.name: len(s.rows) for s in sheets},
        **stats,
        "mess": mess,
    }
